//! exec (args, --env, --cwd, --user, -p process.json, exit codes, namespaces) and ps.

use std::fs;
use std::time::Duration;

use berth_e2e::{json, Bundle, Test, Value};

const WAIT: Duration = Duration::from_secs(10);

fn running(t: &Test) -> Bundle {
    let b = t.sleeper("exec");
    fs::create_dir_all(b.rootfs.join("work/sub")).unwrap();
    t.rt.create_and_start(&b.id, &b);
    b
}

#[test]
fn exec_args_and_exit_code() {
    let Some(t) = Test::new("exec_args") else {
        return;
    };
    let b = running(&t);
    let o = t.rt.exec(&b.id, &[], &["echo", "one", "two words"]).ok();
    assert_eq!(o.out(), "one two words", "{o}");
    t.rt.exec(&b.id, &[], &["sh", "-c", "exit 7"]).code_is(7);
    t.rt.exec(&b.id, &[], &["false"]).code_is(1);
    t.rt.exec(&b.id, &[], &["/no/such/binary"]).fails();
    assert_eq!(
        t.rt.status(&b.id).as_deref(),
        Some("running"),
        "exec must not disturb the container"
    );
}

#[test]
fn exec_env_adds_to_the_container_env() {
    let Some(t) = Test::new("exec_env") else {
        return;
    };
    let b = running(&t);
    // runc semantics: --env adds to (or overrides) process.env of config.json; PATH stays.
    let o =
        t.rt.exec(
            &b.id,
            &["--env", "E2E_FOO=bar baz"],
            &["sh", "-c", "echo \"$E2E_FOO\"; echo \"$PATH\""],
        )
        .ok();
    let path = b.config["process"]["env"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .find_map(|e| e.strip_prefix("PATH="))
        })
        .unwrap_or("")
        .to_string();
    assert_eq!(o.lines(), ["bar baz", path.as_str()], "{o}");
}

#[test]
fn exec_cwd_and_user() {
    let Some(t) = Test::new("exec_opts") else {
        return;
    };
    let b = running(&t);
    let o =
        t.rt.exec(
            &b.id,
            &["--cwd", "/work/sub", "--user", "1000:100"],
            &["/bin/sh", "-c", "pwd; id -u; id -g"],
        )
        .ok();
    assert_eq!(o.lines(), ["/work/sub", "1000", "100"], "{o}");
    let o =
        t.rt.exec(&b.id, &["--user", "1000"], &["/bin/id", "-u"])
            .ok();
    assert_eq!(o.out(), "1000", "{o}");
}

#[test]
fn exec_process_json() {
    let Some(t) = Test::new("exec_process_json") else {
        return;
    };
    let b = running(&t);
    let p = t.dir.join("process.json");
    let process = json!({
        "terminal": false,
        "user": {"uid": 1000, "gid": 1000, "additionalGids": [10]},
        "args": ["sh", "-c", "echo \"$E2E_P\"; pwd; id -u; id -g; exit 4"],
        "env": ["PATH=/bin", "E2E_P=from-process-json"],
        "cwd": "/work",
        "noNewPrivileges": true
    });
    fs::write(&p, serde_json::to_vec(&process).unwrap()).unwrap();
    let o =
        t.rt.exec(&b.id, &["-p", &p.display().to_string()], &[])
            .code_is(4);
    assert_eq!(
        o.lines(),
        ["from-process-json", "/work", "1000", "1000"],
        "{o}"
    );
}

#[test]
fn exec_joins_the_container_namespaces() {
    let Some(t) = Test::new("exec_ns") else {
        return;
    };
    let b = running(&t);
    let pid = t.rt.pid(&b.id);
    for ns in ["pid", "net", "ipc", "uts", "mnt"] {
        let o =
            t.rt.exec(&b.id, &[], &["readlink", &format!("/proc/self/ns/{ns}")])
                .ok();
        assert_eq!(
            o.out(),
            Test::ns_of(pid, ns),
            "exec'd process is not in the container's {ns} namespace"
        );
    }
    let o = t.rt.exec(&b.id, &[], &["cat", "/proc/1/cmdline"]).ok();
    assert!(
        o.stdout.starts_with("sleep"),
        "pid 1 seen by exec is not the container's process: {o}"
    );
}

#[test]
fn exec_in_stopped_container_fails() {
    let Some(t) = Test::new("exec_stopped") else {
        return;
    };
    let mut b = t.bundle("es");
    b.args(&["true"]);
    t.rt.create_and_start(&b.id, &b);
    t.rt.wait_status(&b.id, "stopped", WAIT);
    t.rt.exec(&b.id, &[], &["true"]).fails();
    t.rt.exec(&t.id("nosuch"), &[], &["true"]).fails();
}

#[test]
fn ps_lists_container_pids() {
    let Some(t) = Test::new("ps") else { return };
    let ctl = t.host_dir("ctl");
    let mut b = t.bundle("ps");
    b.bind(&ctl, "/ctl", false)
        .sh("sleep 1000 & : > /ctl/ready; wait");
    t.rt.create_and_start(&b.id, &b);
    assert!(berth_e2e::wait_until(WAIT, || ctl.join("ready").exists()));
    let init = t.rt.pid(&b.id);
    let o = t.rt.ps_json(&b.id).ok();
    let v: Value =
        serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("ps --format json ({e}):\n{o}"));
    let mut pids: Vec<i64> = v
        .as_array()
        .expect("array")
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    pids.sort();
    let mut want: Vec<i64> = berth_e2e::leaks::pids_in_cgroup(&b.cgroup())
        .into_iter()
        .map(i64::from)
        .collect();
    want.sort();
    assert!(
        pids.contains(&i64::from(init)),
        "ps does not list pid {init}: {o}"
    );
    assert_eq!(pids.len(), 2, "ps should list the shell and its sleep: {o}");
    assert_eq!(pids, want, "ps disagrees with the cgroup's processes");
    let table = t.rt.cmd(&["ps", &b.id]).ok();
    assert!(
        table.stdout.contains(&init.to_string()),
        "ps table lacks {init}:\n{table}"
    );
}

#[test]
fn exec_env_overrides_and_home_follows_the_user() {
    let Some(t) = Test::new("exec_env_home") else {
        return;
    };
    let b = running(&t);
    // `env` itself prints exactly the environment the runtime passed: one TERM, the last.
    let o =
        t.rt.exec(
            &b.id,
            &["--env", "TERM=e2e-one", "--env", "TERM=e2e-two"],
            &["env"],
        )
        .ok();
    let term: Vec<String> = o
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("TERM="))
        .collect();
    assert_eq!(term, ["TERM=e2e-two"], "{o}");
    for (user, want) in [("0", "/root"), ("1000", "/home/user"), ("4242:4242", "/")] {
        let o =
            t.rt.exec(&b.id, &["--user", user], &["sh", "-c", "echo \"$HOME\""])
                .ok();
        assert_eq!(o.out(), want, "--user {user}: {o}");
    }
    let o =
        t.rt.exec(
            &b.id,
            &["--env", "HOME=/set"],
            &["sh", "-c", "echo \"$HOME\""],
        )
        .ok();
    assert_eq!(o.out(), "/set", "{o}");
}

/// (crun keeps the caller's group and session too; runc 1.1.5 makes the process a session
/// leader.)
#[test]
fn exec_keeps_the_callers_process_group() {
    let Some(t) = Test::new("exec_pgrp") else {
        return;
    };
    let b = running(&t);
    // Fields 5 and 6 of /proc/self/stat: process group and session. The caller's group and
    // session lie outside the container's pid namespace, where they read as 0; a process
    // that made its own group or session would see its own pid there.
    let o = t.rt.exec(&b.id, &[], &["cat", "/proc/self/stat"]).ok();
    let fields: Vec<&str> = o
        .out()
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(
        fields.get(2..4),
        Some(&["0", "0"][..]),
        "pgrp and session: {o}"
    );
}
