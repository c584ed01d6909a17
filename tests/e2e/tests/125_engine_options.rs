//! More `run` options: mounts, tmpfs, network modes, capabilities, privileged, security
//! options, ulimits, cpus, stop signal/timeout, init, healthchecks, `-d --rm`, logs options,
//! formats, prune.

use std::time::Duration;

use berth_e2e::Berth;

fn setup(name: &str) -> Option<Berth> {
    let b = Berth::new(name)?;
    b.busybox_image("bb");
    Some(b)
}

fn wait_for(b: &Berth, args: &[&str], want: &str) -> String {
    let mut got = String::new();
    for _ in 0..250 {
        got = b.cmd(args).out().to_string();
        if got == want {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    got
}

#[test]
fn mount_flag_tmpfs_and_network_modes() {
    let Some(b) = setup("mounts-net") else { return };
    let host = b.host_dir("m");
    std::fs::write(host.join("f"), "via --mount\n").unwrap();
    let spec = format!("type=bind,source={},target=/m,readonly", host.display());
    assert_eq!(
        b.cmd(&["run", "--rm", "--mount", &spec, "bb", "cat", "/m/f"])
            .ok()
            .stdout,
        "via --mount\n"
    );
    b.cmd(&["run", "--rm", "--mount", &spec, "bb", "touch", "/m/x"])
        .fails();
    let o = b
        .cmd(&[
            "run",
            "--rm",
            "--tmpfs",
            "/t:size=1m",
            "bb",
            "sh",
            "-c",
            "grep ' /t ' /proc/mounts",
        ])
        .ok();
    assert!(
        o.out().contains("tmpfs") && o.out().contains("size=1024k"),
        "{o}"
    );
    let o = b
        .cmd(&[
            "run",
            "--rm",
            "--network",
            "none",
            "bb",
            "sh",
            "-c",
            "ls /sys/class/net",
        ])
        .ok();
    assert_eq!(o.out(), "lo");
    // --network host is the namespace berth runs in (the test's own).
    let host_links = b.in_netns(&["ip", "-o", "link"]).ok().lines().len();
    let o = b
        .cmd(&[
            "run",
            "--rm",
            "--network",
            "host",
            "bb",
            "sh",
            "-c",
            "ls /sys/class/net | wc -l",
        ])
        .ok();
    assert_eq!(o.out(), host_links.to_string());
    // -p is discarded (with Docker's warning) on the host network.
    let o = b
        .cmd(&[
            "run",
            "--rm",
            "--network",
            "host",
            "-p",
            "8080:80",
            "bb",
            "true",
        ])
        .ok();
    assert!(o.stderr.contains("Published ports are discarded"), "{o}");
}

#[test]
fn capabilities_privileged_and_security_options() {
    let Some(b) = setup("caps") else { return };
    let caps = |extra: &[&str]| {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["bb", "sh", "-c", "grep CapEff /proc/self/status"]);
        b.cmd(&args)
            .ok()
            .out()
            .split_whitespace()
            .last()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        caps(&[]),
        "00000000a80425fb",
        "Docker's default capability set"
    );
    assert_eq!(caps(&["--cap-drop", "ALL"]), "0000000000000000");
    assert_eq!(
        caps(&["--cap-drop", "ALL", "--cap-add", "NET_ADMIN"]),
        "0000000000001000"
    );
    assert_ne!(caps(&["--privileged"]), "00000000a80425fb");
    // Docker's seccomp profile blocks unshare of a user namespace without CAP_SYS_ADMIN...
    b.cmd(&["run", "--rm", "bb", "unshare", "-U", "true"])
        .fails();
    let o = b
        .cmd(&[
            "run",
            "--rm",
            "--security-opt",
            "no-new-privileges",
            "bb",
            "grep",
            "NoNewPrivs",
            "/proc/self/status",
        ])
        .ok();
    assert!(o.out().ends_with('1'), "{o}");
    let o = b
        .cmd(&[
            "run",
            "--rm",
            "--security-opt",
            "seccomp=unconfined",
            "bb",
            "grep",
            "Seccomp:",
            "/proc/self/status",
        ])
        .ok();
    assert!(o.out().ends_with('0'), "{o}");
    let o = b
        .cmd(&["run", "--rm", "bb", "grep", "Seccomp:", "/proc/self/status"])
        .ok();
    assert!(o.out().ends_with('2'), "{o}");
    // Masked and read-only /proc paths.
    b.cmd(&[
        "run",
        "--rm",
        "bb",
        "sh",
        "-c",
        "echo 1 > /proc/sys/kernel/domainname",
    ])
    .fails();
    assert_eq!(
        b.cmd(&["run", "--rm", "bb", "cat", "/proc/keys"])
            .ok()
            .out(),
        ""
    );
}

#[test]
fn ulimits_cpus_and_resources_in_inspect() {
    let Some(b) = setup("resources") else { return };
    assert_eq!(
        b.cmd(&[
            "run",
            "--rm",
            "--ulimit",
            "nofile=512:1024",
            "bb",
            "sh",
            "-c",
            "ulimit -n"
        ])
        .ok()
        .out(),
        "512"
    );
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "res",
        "--cpus",
        "0.5",
        "--memory",
        "64m",
        "--pids-limit",
        "50",
        "bb",
        "sleep",
        "1000",
    ])
    .ok();
    let o = b
        .cmd(&[
            "inspect",
            "--format",
            "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}",
            "res",
        ])
        .ok();
    assert_eq!(o.out(), "500000000 67108864 50");
    b.cmd(&["run", "--rm", "--cpus", "many", "bb", "true"])
        .code_is(125)
        .stderr_mentions(&["--cpus"]);
    b.cmd(&["run", "--rm", "--restart", "sometimes", "bb", "true"])
        .code_is(125);
    b.cmd(&["run", "--rm", "--ulimit", "nofile=x", "bb", "true"])
        .code_is(125);
}

#[test]
fn stop_signal_and_timeout() {
    let Some(b) = setup("stop-signal") else {
        return;
    };
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "sig",
        "--stop-signal",
        "USR1",
        "bb",
        "sh",
        "-c",
        "trap 'exit 9' USR1; while true; do sleep 0.1; done",
    ])
    .ok();
    b.cmd(&["stop", "sig"]).ok();
    assert_eq!(b.cmd(&["wait", "sig"]).ok().out(), "9");
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "slow",
        "--stop-timeout",
        "1",
        "bb",
        "sleep",
        "1000",
    ])
    .ok();
    let o = b.cmd(&["stop", "slow"]).ok();
    assert!(
        o.elapsed < Duration::from_secs(5) && o.stderr.contains("1s"),
        "{o}"
    );
}

#[test]
fn init_reaps_and_forwards() {
    let Some(b) = setup("init") else { return };
    if !std::path::Path::new("/usr/bin/tini-static").exists() {
        b.cmd(&["run", "--rm", "--init", "bb", "true"])
            .code_is(125)
            .stderr_mentions(&["tini"]);
        return;
    }
    let o = b
        .cmd(&[
            "run",
            "--rm",
            "--init",
            "bb",
            "sh",
            "-c",
            "cat /proc/1/cmdline | tr '\\0' ' '",
        ])
        .ok();
    assert!(o.out().starts_with("/sbin/docker-init"), "{o}");
}

#[test]
fn healthcheck_states_show_in_ps_and_inspect() {
    let Some(b) = setup("health") else { return };
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "hc",
        "--health-cmd",
        "test -f /tmp/ok",
        "--health-interval",
        "200ms",
        "--health-retries",
        "2",
        "bb",
        "sh",
        "-c",
        "touch /tmp/ok; exec sleep 1000",
    ])
    .ok();
    assert_eq!(
        wait_for(
            &b,
            &["inspect", "--format", "{{.State.Health.Status}}", "hc"],
            "healthy"
        ),
        "healthy"
    );
    assert!(b.cmd(&["ps"]).ok().out().contains("(healthy)"));
    b.cmd(&["exec", "hc", "rm", "/tmp/ok"]).ok();
    assert_eq!(
        wait_for(
            &b,
            &["inspect", "--format", "{{.State.Health.Status}}", "hc"],
            "unhealthy"
        ),
        "unhealthy"
    );
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "nohc",
        "--no-healthcheck",
        "bb",
        "sleep",
        "1000",
    ])
    .ok();
    assert_eq!(
        b.cmd(&[
            "inspect",
            "--format",
            "{{if .State.Health}}health{{else}}none{{end}}",
            "nohc"
        ])
        .ok()
        .out(),
        "none"
    );
}

#[test]
fn detached_rm_removes_on_exit() {
    let Some(b) = setup("detached-rm") else {
        return;
    };
    b.cmd(&[
        "run",
        "-d",
        "--rm",
        "--name",
        "gone",
        "bb",
        "sh",
        "-c",
        "sleep 0.2",
    ])
    .ok();
    assert_eq!(wait_for(&b, &["ps", "-aq"], ""), "");
}

#[test]
fn logs_options() {
    let Some(b) = setup("logs") else { return };
    b.cmd(&[
        "run",
        "--name",
        "lg",
        "bb",
        "sh",
        "-c",
        "for i in 1 2 3 4 5; do echo line$i; done",
    ])
    .ok();
    assert_eq!(
        b.cmd(&["logs", "--tail", "2", "lg"]).ok().stdout,
        "line4\nline5\n"
    );
    let o = b.cmd(&["logs", "-t", "lg"]).ok();
    let first = o.lines()[0].clone();
    assert!(
        first.ends_with(" line1") && first.contains('T') && first.contains('Z'),
        "{o}"
    );
    assert_eq!(
        b.cmd(&["logs", "--since", "1h", "lg"]).ok().lines().len(),
        5
    );
    assert_eq!(
        b.cmd(&["logs", "--until", "2000-01-01T00:00:00Z", "lg"])
            .ok()
            .stdout,
        ""
    );
    // -f ends when the container does.
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "fl",
        "bb",
        "sh",
        "-c",
        "echo a; sleep 0.5; echo b",
    ])
    .ok();
    let o = b
        .cmd_timeout(&["logs", "-f", "fl"], Duration::from_secs(20))
        .ok();
    assert_eq!(o.stdout, "a\nb\n");
}

#[test]
fn formats_filters_and_prune() {
    let Some(b) = setup("formats") else { return };
    b.cmd(&["create", "--name", "one", "bb"]).ok();
    b.cmd(&["run", "-d", "--name", "two", "bb", "sleep", "1000"])
        .ok();
    let o = b
        .cmd(&["ps", "-a", "--format", "{{.Names}} {{.State}}"])
        .ok();
    let mut lines = o.lines();
    lines.sort();
    assert_eq!(lines, ["one created", "two running"]);
    let o = b.cmd(&["ps", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(o.out()).unwrap();
    assert_eq!(v["Names"], "two");
    let o = b.cmd(&["images", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(o.out()).unwrap();
    assert_eq!(v["Repository"], "bb");
    assert_eq!(
        b.cmd(&[
            "ps",
            "-a",
            "--filter",
            "status=created",
            "--format",
            "{{.Names}}"
        ])
        .ok()
        .out(),
        "one"
    );
    let o = b.cmd(&["container", "prune", "-f"]).ok();
    assert!(o.out().contains("Deleted Containers"), "{o}");
    assert_eq!(
        b.cmd(&["ps", "-a", "--format", "{{.Names}}"]).ok().out(),
        "two"
    );
    b.cmd(&["ps", "--format", "{{.Nope"]).code_is(1);
    // Volumes.
    b.cmd(&["volume", "create", "--label", "k=v", "vv"]).ok();
    assert_eq!(
        b.cmd(&[
            "volume",
            "inspect",
            "--format",
            "{{.Name}} {{.Driver}} {{.Labels.k}}",
            "vv"
        ])
        .ok()
        .out(),
        "vv local v"
    );
    assert!(b.cmd(&["volume", "ls"]).ok().out().contains("vv"));
    b.cmd(&["volume", "prune", "-f", "-a"]).ok();
    assert_eq!(b.cmd(&["volume", "ls", "-q"]).ok().out(), "");
    b.cmd(&["volume", "rm", "vv"]).fails();
}
