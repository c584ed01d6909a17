//! Fuzz targets (see tests/fuzz): a bundle's `config.json` (parse, then validate against a
//! bundle with a rootfs), its seccomp profile (checked and compiled to BPF, never loaded),
//! and Docker-format seccomp profiles. Every input must give `Ok` or an error: no panic, no
//! hang.

use berth_fuzz::fuzz_target;
use berth_runtime::{seccomp, spec};

const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "true",
    "-1",
    "1e999",
    "4294967296",
    "\"ociVersion\":",
    "\"process\":",
    "\"root\":",
    "\"mounts\":",
    "\"linux\":",
    "\"namespaces\":",
    "\"seccomp\":",
    "\"syscalls\":",
    "\"names\":",
    "\"action\":",
    "\"args\":",
    "\"index\":",
    "\"op\":",
    "\"SCMP_ACT_ALLOW\"",
    "\"SCMP_ACT_NOTIFY\"",
    "\"SCMP_ACT_ERRNO\"",
    "\"errnoRet\":",
    "\"defaultAction\":",
    "\"architectures\":",
    "\"SCMP_ARCH_X86_64\"",
    "\"flags\":",
    "\"includes\":",
    "\"excludes\":",
    "\"caps\":",
    "\"minKernel\":",
    "\"uidMappings\":",
    "\"hostname\":",
    "\"cwd\":",
    "\"SCMP_CMP_MASKED_EQ\"",
    "\"/\"",
    "\"..\"",
];

const DEFAULT_PROFILE: &str = include_str!("../src/seccomp/default_profile.json");

fn seeds() -> Vec<Vec<u8>> {
    let mut default = oci_spec::runtime::Spec::default();
    if let Some(linux) = default.linux_mut() {
        linux.set_seccomp(Some(seccomp::default_docker_profile()));
    }
    vec![
        serde_json::to_vec(&oci_spec::runtime::Spec::default()).expect("spec json"),
        serde_json::to_vec(&default).expect("spec json"),
        DEFAULT_PROFILE.as_bytes().to_vec(),
        br#"{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"},"linux":{"namespaces":[{"type":"mount"},{"type":"user"}],"uidMappings":[{"containerID":0,"hostID":1000,"size":1}],"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]}]}}}"#.to_vec(),
    ]
}

#[test]
fn fuzz_runtime_spec() {
    let bundle = tempfile::tempdir().expect("bundle");
    std::fs::create_dir(bundle.path().join("rootfs")).expect("rootfs");
    let caps = [
        &["CAP_SYS_ADMIN", "CAP_CHOWN"][..],
        seccomp::DOCKER_DEFAULT_CAPS,
    ];
    fuzz_target!(
        seeds = seeds(),
        max_len = 64 * 1024,
        dictionary = JSON_TOKENS,
        body = |input: &[u8]| {
            match spec::parse(input) {
                Ok(s) => {
                    let _ = spec::validate(&s, bundle.path());
                    if let Some(profile) = s.linux().as_ref().and_then(|l| l.seccomp().as_ref()) {
                        let _ = seccomp::compile(profile, None);
                    }
                }
                Err(_) => {
                    let value: Result<serde_json::Value, _> = serde_json::from_slice(input);
                    if let Some(v) = value
                        .ok()
                        .and_then(|v| v.pointer("/linux/seccomp").cloned())
                    {
                        let _ = seccomp::parse(&v);
                    }
                }
            }
            if let Ok(text) = std::str::from_utf8(input) {
                for c in caps {
                    if let Ok(profile) = seccomp::docker_profile(text, c) {
                        let _ = seccomp::compile(&profile, None);
                    }
                }
            }
        },
    );
}
