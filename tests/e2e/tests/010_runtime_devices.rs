//! Devices: the default set, listed device nodes, and the device cgroup rules.

use berth_e2e::{json, Test};

#[test]
fn default_devices_exist() {
    let Some(t) = Test::new("default_devices") else {
        return;
    };
    let mut b = t.bundle("defdev");
    // busybox stat: %F type, %t/%T major/minor in hex.
    b.sh(
        "for d in null zero full random urandom tty; do stat -c \"$d %F %t:%T\" /dev/$d; done; \
          test -e /dev/ptmx && echo ptmx; echo x > /dev/null && echo null-writable; \
          head -c 4 /dev/zero | wc -c",
    );
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(
        o.lines(),
        [
            "null character special file 1:3",
            "zero character special file 1:5",
            "full character special file 1:7",
            "random character special file 1:8",
            "urandom character special file 1:9",
            "tty character special file 5:0",
            "ptmx",
            "null-writable",
            "4",
        ],
        "{o}"
    );
}

#[test]
fn listed_device_node_is_created() {
    let Some(t) = Test::new("listed_device") else {
        return;
    };
    let mut b = t.bundle("dev");
    b.set(
        "/linux/devices",
        json!([{"path": "/dev/e2e-full", "type": "c", "major": 1, "minor": 7, "fileMode": 0o666, "uid": 1000, "gid": 100}]),
    )
    .resources(json!({"devices": [
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 7, "access": "rw"}
    ]}))
    .sh("stat -c '%F %t:%T %a %u:%g' /dev/e2e-full; echo x > /dev/e2e-full");
    let o = t.rt.run(&b.id, &b).fails();
    assert_eq!(
        o.lines(),
        ["character special file 1:7 666 1000:100"],
        "{o}"
    );
    assert!(
        o.stderr.contains("No space left on device"),
        "writing to a full device must give ENOSPC: {o}"
    );
}

#[test]
fn device_cgroup_denies_unlisted_access() {
    let Some(t) = Test::new("device_cgroup") else {
        return;
    };
    // Block 7:0 (loop0): denied by the cgroup -> EPERM; allowed -> opens (or ENXIO without
    // the loop driver). Either way the two cases are told apart by the error.
    let probe = "head -c 1 /dev/e2e-loop > /dev/null";
    let dev = json!([{"path": "/dev/e2e-loop", "type": "b", "major": 7, "minor": 0, "fileMode": 0o600, "uid": 0, "gid": 0}]);

    let mut denied = t.bundle("devdeny");
    denied
        .set("/linux/devices", dev.clone())
        .resources(json!({"devices": [{"allow": false, "access": "rwm"}]}))
        .sh(probe);
    let o = t.rt.run(&denied.id, &denied).fails();
    assert!(
        o.stderr.contains("Operation not permitted"),
        "device cgroup did not deny b 7:0: {o}"
    );

    let mut allowed = t.bundle("devallow");
    allowed
        .set("/linux/devices", dev)
        .resources(json!({"devices": [
            {"allow": false, "access": "rwm"},
            {"allow": true, "type": "b", "major": 7, "minor": 0, "access": "rwm"}
        ]}))
        .sh(probe);
    let o = t.rt.run(&allowed.id, &allowed);
    assert!(
        !o.stderr.contains("Operation not permitted"),
        "an allow rule for b 7:0 did not apply: {o}"
    );
}
