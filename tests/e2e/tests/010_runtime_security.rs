//! sysctl and seccomp.

use berth_e2e::{json, Test, Value};

#[test]
fn sysctl_in_new_net_and_ipc_namespaces() {
    let Some(t) = Test::new("sysctl") else { return };
    let host_fwd = std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").unwrap_or_default();
    let want_fwd = if host_fwd.trim() == "1" { "0" } else { "1" };
    let host_shm = std::fs::read_to_string("/proc/sys/kernel/shm_rmid_forced").unwrap_or_default();
    let want_shm = if host_shm.trim() == "1" { "0" } else { "1" };
    let mut b = t.bundle("sysctl");
    b.namespace("network", None)
        .namespace("ipc", None)
        .set(
            "/linux/sysctl",
            json!({"net.ipv4.ip_forward": want_fwd, "kernel.shm_rmid_forced": want_shm}),
        )
        .sh("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shm_rmid_forced");
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(o.lines(), [want_fwd, want_shm], "{o}");
    assert_eq!(
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").unwrap_or_default(),
        host_fwd,
        "host changed"
    );
    assert_eq!(
        std::fs::read_to_string("/proc/sys/kernel/shm_rmid_forced").unwrap_or_default(),
        host_shm,
        "host changed"
    );
}

fn seccomp_denying(names: &[&str], extra: Value) -> Value {
    let mut rule = json!({"names": names, "action": "SCMP_ACT_ERRNO"});
    if let (Value::Object(r), Value::Object(e)) = (&mut rule, extra) {
        r.extend(e);
    }
    json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [rule]})
}

#[test]
fn seccomp_errno_eperm_for_mkdir() {
    let Some(t) = Test::new("seccomp_mkdir") else {
        return;
    };
    let mut b = t.bundle("seccomp");
    b.set(
        "/linux/seccomp",
        seccomp_denying(&["mkdir", "mkdirat"], json!({"errnoRet": 1})),
    )
    .sh("mkdir /tmp/x; echo mkdir=$?; touch /tmp/y && echo touch-ok");
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(o.lines(), ["mkdir=1", "touch-ok"], "{o}");
    assert!(o.stderr.contains("Operation not permitted"), "{o}");
}

#[test]
fn seccomp_default_errno_is_eperm() {
    let Some(t) = Test::new("seccomp_default_errno") else {
        return;
    };
    let mut b = t.bundle("secdef");
    b.set(
        "/linux/seccomp",
        seccomp_denying(&["mkdir", "mkdirat"], json!({})),
    )
    .args(&["mkdir", "/tmp/x"]);
    let o = t.rt.run(&b.id, &b).fails();
    assert!(o.stderr.contains("Operation not permitted"), "{o}");
}

#[test]
fn seccomp_custom_errno() {
    let Some(t) = Test::new("seccomp_errno_ret") else {
        return;
    };
    let mut b = t.bundle("secret");
    b.set(
        "/linux/seccomp",
        seccomp_denying(&["mkdir", "mkdirat"], json!({"errnoRet": libc::ENOSPC})),
    )
    .args(&["mkdir", "/tmp/x"]);
    let o = t.rt.run(&b.id, &b).fails();
    assert!(
        o.stderr.contains("No space left on device"),
        "errnoRet ENOSPC not returned: {o}"
    );
}

#[test]
fn seccomp_argument_conditions() {
    let Some(t) = Test::new("seccomp_args") else {
        return;
    };
    let mut b = t.bundle("secargs");
    // Deny chmod to mode 0777 only; chmod and fchmodat carry the mode in args 1 and 2.
    b.set(
        "/linux/seccomp",
        json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 0o777, "op": "SCMP_CMP_EQ"}]},
            {"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 2, "value": 0o777, "op": "SCMP_CMP_EQ"}]}
        ]}),
    )
    .sh("touch /tmp/f; chmod 755 /tmp/f && echo 755-ok; chmod 777 /tmp/f; echo 777=$?; stat -c %a /tmp/f");
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(o.lines(), ["755-ok", "777=1", "755"], "{o}");
}

#[test]
fn seccomp_kill_action() {
    let Some(t) = Test::new("seccomp_kill") else {
        return;
    };
    let mut b = t.bundle("seckill");
    b.set(
        "/linux/seccomp",
        json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL"}
        ]}),
    )
    .sh("mkdir /tmp/x; echo status=$?");
    let o = t.rt.run(&b.id, &b).ok();
    // The shell reports a child killed by SIGSYS as 128 + 31.
    assert_eq!(o.out(), format!("status={}", 128 + libc::SIGSYS), "{o}");
}

#[test]
fn seccomp_with_native_architecture() {
    let Some(t) = Test::new("seccomp_arch") else {
        return;
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "SCMP_ARCH_X86_64",
        "aarch64" => "SCMP_ARCH_AARCH64",
        other => panic!("add the SCMP_ARCH name for {other}"),
    };
    let mut profile = seccomp_denying(&["mkdir", "mkdirat"], json!({}));
    profile["architectures"] = json!([arch]);
    let mut b = t.bundle("secarch");
    b.set("/linux/seccomp", profile)
        .sh("mkdir /tmp/x; echo mkdir=$?");
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(o.out(), "mkdir=1", "{o}");
}
