//! The create body mapping's unit tests.

use super::*;
use berth_engine::spec::RestartPolicy;
use std::time::Duration;

#[test]
fn docker_cli_body() {
    let body = json!({
        "Hostname": "", "Domainname": "", "User": "1000:1000", "AttachStdin": false,
        "AttachStdout": true, "AttachStderr": true, "ExposedPorts": {"80/tcp": {}},
        "Tty": false, "OpenStdin": false, "StdinOnce": false, "Env": ["A=1", "B"],
        "Cmd": ["sh", "-c", "echo hi"], "Image": "busybox", "Volumes": {"/data": {}},
        "WorkingDir": "/tmp", "Entrypoint": null, "OnBuild": null,
        "Labels": {"k": "v"}, "StopSignal": "SIGINT", "StopTimeout": 3,
        "HostConfig": {"Binds": ["/h:/h"], "NetworkMode": "net1", "AutoRemove": true,
                       "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
                       "RestartPolicy": {"Name": "", "MaximumRetryCount": 0},
                       "MemorySwappiness": -1},
        "NetworkingConfig": {"EndpointsConfig": {"net1": {"Aliases": ["web"],
                              "IPAMConfig": {"IPv4Address": "10.9.0.5"}}}}
    });
    let p = parse_body(body, Some("c1"), None).unwrap();
    let o = &p.opts;
    assert_eq!(p.image, "busybox");
    assert_eq!(o.name.as_deref(), Some("c1"));
    assert_eq!(o.user.as_deref(), Some("1000:1000"));
    assert_eq!(o.env, ["A=1", "B"]);
    assert_eq!(o.cmd, ["sh", "-c", "echo hi"]);
    assert_eq!(o.entrypoint, None);
    assert_eq!(o.workdir.as_deref(), Some("/tmp"));
    assert_eq!(o.labels.get("k").map(String::as_str), Some("v"));
    assert_eq!(o.stop_signal.as_deref(), Some("SIGINT"));
    assert_eq!(o.stop_timeout, Some(3));
    assert!(o.rm && o.detach);
    assert_eq!(o.restart, RestartPolicy::No);
    assert_eq!(o.mounts.len(), 2);
    assert_eq!(o.mounts[1].target, "/data");
    assert_eq!(o.publish, ["8080:80/tcp"]);
    assert_eq!(o.expose, ["80/tcp"]);
    assert_eq!(o.network, NetworkMode::Named("net1".into()));
    assert_eq!(o.network_aliases, ["web"]);
    assert_eq!(o.ip.as_deref(), Some("10.9.0.5"));
    assert_eq!(p.config_patch["AttachStdout"], true);
    assert_eq!(p.config_patch["ExposedPorts"], json!({"80/tcp": {}}));
}

#[test]
fn entrypoints_and_health() {
    let p = parse_body(
        json!({"Image": "x", "Entrypoint": [""], "Cmd": "true",
               "Healthcheck": {"Test": ["CMD", "true"], "Interval": 2000000000, "Retries": 2}}),
        None,
        None,
    )
    .unwrap();
    assert_eq!(p.opts.entrypoint, Some(vec![]));
    assert_eq!(p.opts.cmd, ["true"]);
    assert_eq!(p.opts.health.test, Some(vec!["CMD".into(), "true".into()]));
    assert_eq!(p.opts.health.interval, Some(Duration::from_secs(2)));
    assert_eq!(p.opts.health.retries, Some(2));
    let p = parse_body(
        json!({"Image": "x", "Healthcheck": {"Test": ["NONE"]}}),
        None,
        None,
    )
    .unwrap();
    assert!(p.opts.health.no_healthcheck);
}

#[test]
fn refusals() {
    let err = |v: Value| parse_body(v, None, None).unwrap_err();
    assert_eq!(err(Value::Null).status, 400);
    assert!(err(json!({"Cmd": ["x"]})).message.contains("Image"));
    assert_eq!(err(json!({"Image": "x", "Env": "A=1"})).status, 400);
    assert_eq!(err(json!({"Image": "x", "WorkingDir": "rel"})).status, 400);
    assert_eq!(
        err(json!({"Image": "x", "StopSignal": "SIGNOPE"})).status,
        400
    );
    assert!(
        err(json!({"Image": "x", "MacAddress": "02:42:ac:11:00:02"}))
            .message
            .contains("MacAddress")
    );
    assert!(
        err(json!({"Image": "x", "HostConfig": {"VolumesFrom": ["other"]}}))
            .message
            .contains("VolumesFrom")
    );
    assert_eq!(
        err(json!({"Image": "x", "NetworkingConfig": {"EndpointsConfig": {"a": {}, "b": {}}}}))
            .status,
        400
    );
    assert_eq!(
        err(json!({"Image": "x", "NetworkingConfig": {"EndpointsConfig": {"bridge": {"Aliases": ["a"]}}}}))
            .status,
        400
    );
    assert_eq!(
        err(json!({"Image": "x", "Healthcheck": {"Test": ["BOGUS"]}})).status,
        400
    );
}
