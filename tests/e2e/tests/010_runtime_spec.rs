//! spec: the runtime writes a valid default config.json that runs as generated.

use std::fs;

use berth_e2e::{make_busybox_rootfs, Bundle, Test, Value};

#[test]
fn spec_writes_a_valid_config() {
    let Some(t) = Test::new("spec") else { return };
    let dir = t.host_dir("spec-bundle");
    t.rt.spec(&dir).ok();
    let text = fs::read_to_string(dir.join("config.json")).expect("spec wrote no config.json");
    let c: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("config.json is not JSON ({e}):\n{text}"));

    let v = c["ociVersion"].as_str().unwrap_or("");
    assert!(v.starts_with("1."), "ociVersion {v:?}");
    assert_eq!(c["root"]["path"], "rootfs", "root.path");
    let args = c["process"]["args"]
        .as_array()
        .map(|a| a.len())
        .unwrap_or(0);
    assert!(
        args >= 1,
        "process.args must have at least one entry: {}",
        c["process"]
    );
    assert!(
        c["process"]["cwd"]
            .as_str()
            .is_some_and(|s| s.starts_with('/')),
        "process.cwd must be absolute"
    );
    assert!(
        c["process"]["user"]["uid"].is_u64() && c["process"]["user"]["gid"].is_u64(),
        "process.user"
    );
    let ns: Vec<&str> = c["linux"]["namespaces"]
        .as_array()
        .map(|a| a.iter().filter_map(|n| n["type"].as_str()).collect())
        .unwrap_or_default();
    for want in ["pid", "mount", "ipc", "uts", "network"] {
        assert!(ns.contains(&want), "default namespaces lack {want}: {ns:?}");
    }
    let mounts: Vec<&str> = c["mounts"]
        .as_array()
        .map(|a| a.iter().filter_map(|m| m["destination"].as_str()).collect())
        .unwrap_or_default();
    for want in ["/proc", "/dev", "/dev/pts", "/sys"] {
        assert!(
            mounts.contains(&want),
            "default mounts lack {want}: {mounts:?}"
        );
    }
    assert!(
        c["process"]["capabilities"]["bounding"].is_array(),
        "default capabilities"
    );
    assert!(c["linux"]["maskedPaths"].is_array() && c["linux"]["readonlyPaths"].is_array());
}

#[test]
fn spec_in_current_directory_and_no_overwrite() {
    let Some(t) = Test::new("spec_cwd") else {
        return;
    };
    let dir = t.host_dir("cwd-bundle");
    let o = std::process::Command::new(&t.rt.bin)
        .arg("spec")
        .current_dir(&dir)
        .output()
        .expect("run spec");
    assert!(
        o.status.success(),
        "spec in cwd failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let first =
        fs::read(dir.join("config.json")).expect("spec (no --bundle) wrote no ./config.json");
    serde_json::from_slice::<Value>(&first).expect("valid JSON");

    // Like runc: an existing config.json is not overwritten.
    fs::write(dir.join("config.json"), "{\"mine\": true}").unwrap();
    t.rt.spec(&dir)
        .fails()
        .stderr_mentions(&["exist", "config.json"]);
    assert_eq!(
        fs::read_to_string(dir.join("config.json")).unwrap(),
        "{\"mine\": true}"
    );
}

#[test]
fn generated_spec_runs() {
    let Some(t) = Test::new("spec_runs") else {
        return;
    };
    let dir = t.host_dir("gen");
    make_busybox_rootfs(&dir.join("rootfs"));
    t.rt.spec(&dir).ok();
    // Only what a non-interactive run needs: no terminal, a command.
    let id = t.id("gen");
    let mut b = Bundle::load(&id, &dir);
    b.terminal(false).sh("echo generated-ok; hostname");
    let o = t.rt.run(&id, &b).ok();
    let lines = o.lines();
    assert_eq!(
        lines.first().map(String::as_str),
        Some("generated-ok"),
        "{o}"
    );
    if let Some(h) = b.config["hostname"].as_str() {
        assert_eq!(
            lines.get(1).map(String::as_str),
            Some(h),
            "hostname from the default spec: {o}"
        );
    }
}
