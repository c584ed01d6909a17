//! Fuzz target (see tests/fuzz): the API's pure mappings of client input (container create
//! and update bodies, exec, network and volume create bodies, commit configurations,
//! `X-Registry-Auth`, query strings with `filters`, API version prefixes). An input's
//! first byte picks the mapping, the rest is what the client sent. Every input must map or
//! give a 400/404/409 with a message: no panic, no hang, no other status.

use berth_api::fuzz::{run, TARGETS};
use berth_fuzz::fuzz_target;

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "null",
    "true",
    "false",
    "-1",
    "0",
    "1e400",
    "18446744073709551616",
    "\"\"",
    "\"Image\":",
    "\"HostConfig\":",
    "\"Binds\":",
    "\"PortBindings\":",
    "\"Mounts\":",
    "\"Type\":\"bind\"",
    "\"Type\":\"tmpfs\"",
    "\"Type\":\"volume\"",
    "\"Target\":",
    "\"Source\":",
    "\"RestartPolicy\":",
    "\"Name\":",
    "\"MaximumRetryCount\":",
    "\"NetworkMode\":",
    "\"container:\"",
    "\"host\"",
    "\"none\"",
    "\"Cmd\":",
    "\"Entrypoint\":",
    "\"Env\":",
    "\"Healthcheck\":",
    "\"Test\":",
    "\"CMD-SHELL\"",
    "\"NONE\"",
    "\"EndpointsConfig\":",
    "\"IPAMConfig\":",
    "\"IPv4Address\":",
    "\"Devices\":",
    "\"SecurityOpt\":",
    "\"seccomp=unconfined\"",
    "\"Tmpfs\":",
    "\"Ulimits\":",
    "\"ConsoleSize\":",
    "\"DetachKeys\":",
    "\"ctrl-\"",
    "\"IPAM\":",
    "\"Config\":",
    "\"Subnet\":",
    "\"Gateway\":",
    "\"Labels\":",
    "\"DriverOpts\":",
    "\"Memory\":",
    "\"NanoCpus\":",
    "\"PidsLimit\":",
    "\"ExposedPorts\":",
    "\"80/tcp\"",
    "\"HostPort\":",
    "\"65536\"",
    ":",
    "/",
    "../",
    "%",
    "%2F",
    "%ff",
    "&",
    "=",
    "filters=",
    "{\"label\":[",
    "{\"status\":{",
    "/v1.41",
    "/v1.",
    "/v99999999999.1",
    "h=",
    "w=",
    "buildargs=",
    "detachKeys=",
    "\u{1F600}",
    "\\u0000",
    "\\ud800",
];

fn seed(target: &str, body: &str) -> Vec<u8> {
    let i = TARGETS.iter().position(|t| *t == target).expect("target");
    let mut v = vec![u8::try_from(i).expect("few targets")];
    v.extend_from_slice(body.as_bytes());
    v
}

fn seeds() -> Vec<Vec<u8>> {
    let create = include_str!("data/create_many_flags.json");
    vec![
        seed("container_create", create),
        seed("container_create", r#"{"Image":"busybox","Cmd":"true"}"#),
        seed(
            "container_create",
            r#"{"Image":"x","HostConfig":{"NetworkMode":"container:abc","RestartPolicy":{"Name":"always"},"Mounts":[{"Type":"bind","Source":"/","Target":"/h","BindOptions":{"Propagation":"rslave"}}]}}"#,
        ),
        seed(
            "container_update",
            r#"{"Memory":268435456,"MemorySwap":-1,"NanoCpus":500000000,"CpusetCpus":"0-1","PidsLimit":50,"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":2}}"#,
        ),
        seed(
            "exec_create",
            r#"{"User":"root","Privileged":false,"Tty":true,"ConsoleSize":[24,80],"AttachStdin":true,"AttachStderr":true,"AttachStdout":true,"Detach":false,"DetachKeys":"ctrl-p,ctrl-q","Env":["A=1"],"WorkingDir":"/","Cmd":["sh","-c","ls"]}"#,
        ),
        seed(
            "network_create",
            r#"{"Name":"net1","CheckDuplicate":true,"Driver":"bridge","Scope":"","EnableIPv6":false,"IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"172.30.0.0/24","IPRange":"","Gateway":"172.30.0.1"}]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{},"Labels":{"a":"b"}}"#,
        ),
        seed(
            "volume_create",
            r#"{"Driver":"local","DriverOpts":{},"Labels":{"a":"b"},"Name":"vol1"}"#,
        ),
        seed(
            "commit_config",
            r#"{"Cmd":["sh"],"Env":["A=1"],"ExposedPorts":{"80/tcp":{}},"Labels":{"a":"b"},"StopSignal":"SIGTERM"}"#,
        ),
        // {"username":"u","password":"p","serveraddress":"localhost:5000"}
        seed(
            "registry_auth",
            "eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InAiLCJzZXJ2ZXJhZGRyZXNzIjoibG9jYWxob3N0OjUwMDAifQ==",
        ),
        seed("registry_auth", "e30="),
        // X-Registry-Config: {"localhost:5000":{"username":"u","password":"p"}}
        seed(
            "registry_auth",
            "eyJsb2NhbGhvc3Q6NTAwMCI6eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InAifX0=",
        ),
        seed("image_name", "localhost%3A5000/a/b%40sha256%3Aabc"),
        seed("image_name", "%E2%82%AC%ff/x"),
        seed(
            "query",
            "all=1&size=0&limit=-1&filters=%7B%22status%22%3A%5B%22exited%22%5D%2C%22label%22%3A%7B%22a%3Db%22%3Atrue%7D%7D",
        ),
        seed("query", "h=40&w=120&detachKeys=ctrl-p,ctrl-q&name=%5Eweb%24"),
        seed(
            "query",
            "t=x%3Alatest&dockerfile=Dockerfile&buildargs=%7B%22A%22%3A%221%22%7D&labels=%7B%7D&nocache=1",
        ),
        seed(
            "query",
            "changes=CMD%20%5B%22sh%22%5D&changes=ENV%20A%3D1&changes=EXPOSE%2080%2Fudp&since=1700000000.500000000&until=10m&t=5&signal=SIGTERM&tail=10&follow=1&filters=%7B%22type%22%3A%5B%22container%22%5D%2C%22event%22%3A%5B%22start%22%5D%2C%22scope%22%3A%5B%22local%22%5D%7D",
        ),
        seed("path", "/v1.41/containers/json"),
        seed("path", "/v1.12/info"),
        seed("path", "/volumes/x"),
    ]
}

#[test]
fn fuzz_api_input_mappers() {
    fuzz_target!(
        seeds = seeds(),
        max_len = 8192,
        dictionary = TOKENS,
        body = |input: &[u8]| {
            let Some((&which, data)) = input.split_first() else {
                return;
            };
            if let Err(e) = run(usize::from(which), data) {
                let status = e.status.as_u16();
                assert!(
                    matches!(status, 400 | 404 | 409),
                    "status {status} for client input: {}",
                    e.message
                );
                assert!(!e.message.is_empty(), "an error without a message");
            }
        },
    );
}

#[test]
fn the_realistic_seeds_map() {
    for s in seeds() {
        let (&which, data) = s.split_first().expect("seed");
        if let Err(e) = run(usize::from(which), data) {
            let text = String::from_utf8_lossy(data);
            let refused = text.contains("/v1.12") || text.contains("container:abc");
            assert!(
                refused,
                "{}: {text}: {}",
                TARGETS[usize::from(which)],
                e.message
            );
        }
    }
}
