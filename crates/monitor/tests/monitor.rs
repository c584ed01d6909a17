//! Root-only tests of the monitor with real busybox containers.

mod common;

use std::io::Write;
use std::os::fd::OwnedFd;
use std::time::Duration;

use berth_monitor::{AttachClient, Hello, LogsOptions, RelayEnd, RestartPolicy};
use common::Ctr;

const T: Duration = Duration::from_secs(20);

fn all() -> Hello {
    Hello {
        stdin: false,
        stdout: true,
        stderr: true,
        start: true,
    }
}

/// Attaches with `hello` and relays until exit; returns (end, stdout, stderr).
fn attach(c: &Ctr, hello: Hello, stdin: Option<OwnedFd>) -> (RelayEnd, String, String) {
    let mut cl = AttachClient::connect(&c.cfg.socket).expect("connect");
    cl.hello(&hello).expect("hello");
    let (mut o, mut e) = (Vec::new(), Vec::new());
    let end = cl.relay(stdin, &mut o, &mut e, None).expect("relay");
    (
        end,
        String::from_utf8_lossy(&o).into_owned(),
        String::from_utf8_lossy(&e).into_owned(),
    )
}

#[test]
fn attach_start_streams_and_exit_code() {
    require_env!();
    let mut c = Ctr::new("echo", &["sh", "-c", "echo out; echo err >&2; exit 3"]);
    let s = c.spawn().expect("spawn");
    assert!(s.container_pid > 0 && s.monitor_pid > 0);
    let st = c.status().expect("status after spawn");
    assert_eq!(st.status, "created");
    assert_eq!(st.pid, s.container_pid);
    let (end, out, err) = attach(&c, all(), None);
    assert_eq!(end, RelayEnd::Exited(3));
    assert_eq!(out, "out\n");
    assert_eq!(err, "err\n");
    let st = c.wait_finished(T);
    assert_eq!((st.status.as_str(), st.exit_code, st.pid), ("exited", 3, 0));
    assert!(!st.started_at.is_empty() && !st.finished_at.is_empty());
    assert!(!c.cfg.socket.exists(), "control socket left behind");
    // The runtime's container is deleted.
    let g = berth_runtime::ops::Globals {
        root: c.cfg.runtime_root.clone(),
    };
    assert!(berth_runtime::ops::state::state_json(&g, &c.cfg.id).is_err());
}

#[test]
fn logs_tail_timestamps_partial() {
    require_env!();
    let mut c = Ctr::new(
        "logs",
        &[
            "sh",
            "-c",
            "echo one; echo two >&2; printf 'th'; sleep 0.2; printf 'ree\\n'; printf 'four'",
        ],
    );
    c.spawn().expect("spawn");
    let (end, out, _) = attach(&c, all(), None);
    assert_eq!(end, RelayEnd::Exited(0));
    assert_eq!(out, "one\nthree\nfour");
    c.wait_finished(T);
    let raw = std::fs::read_to_string(&c.cfg.log.path).expect("log file");
    assert!(raw.contains(" stdout P th\n"), "no partial line in {raw}");
    let (o, e) = c.logs(&LogsOptions::default());
    assert_eq!(o, "one\nthree\nfour\n");
    assert_eq!(e, "two\n");
    let tail = LogsOptions {
        tail: Some(2),
        ..Default::default()
    };
    assert_eq!(c.logs(&tail).0, "three\nfour\n");
    let ts = LogsOptions {
        timestamps: true,
        ..Default::default()
    };
    let (o, _) = c.logs(&ts);
    for line in o.lines() {
        let (t, _) = line.split_once(' ').expect("timestamp prefix");
        assert!(berth_monitor::time::parse(t).is_some(), "bad timestamp {t}");
    }
}

#[test]
fn detached_exit_recorded() {
    require_env!();
    let mut c = Ctr::new("detached", &["sh", "-c", "echo bye; sleep 0.2; exit 5"]);
    c.spawn().expect("spawn");
    {
        let mut cl = AttachClient::connect(&c.cfg.socket).expect("connect");
        cl.hello(&Hello {
            start: true,
            ..Default::default()
        })
        .expect("hello");
    }
    let st = c.wait_finished(T);
    assert_eq!((st.status.as_str(), st.exit_code), ("exited", 5));
    assert!(!st.oom_killed);
    assert_eq!(c.logs(&LogsOptions::default()).0, "bye\n");
}

#[test]
fn stdin_relay() {
    require_env!();
    let mut c = Ctr::new("stdin", &["cat"]);
    c.cfg.stdin = true;
    c.spawn().expect("spawn");
    let (r, w) = nix::unistd::pipe().expect("pipe");
    let mut w = std::fs::File::from(w);
    w.write_all(b"hello\nworld\n").expect("write");
    drop(w);
    let h = Hello {
        stdin: true,
        ..all()
    };
    let (end, out, _) = attach(&c, h, Some(r));
    assert_eq!(end, RelayEnd::Exited(0));
    assert_eq!(out, "hello\nworld\n");
}

#[test]
fn tty_mode() {
    require_env!();
    let mut c = Ctr::new("tty", &["tty"]);
    c.edit_spec(|s| s["process"]["terminal"] = serde_json::json!(true));
    c.cfg.tty = true;
    c.spawn().expect("spawn");
    let (end, out, err) = attach(&c, all(), None);
    assert_eq!(end, RelayEnd::Exited(0));
    assert_eq!(out.trim_end(), "/dev/pts/0");
    assert!(err.is_empty());
}

#[test]
fn restart_on_failure_twice() {
    require_env!();
    let mut c = Ctr::new("restart", &["sh", "-c", "echo run; exit 1"]);
    c.cfg.restart = RestartPolicy::OnFailure { max_retries: 2 };
    c.spawn().expect("spawn");
    let (end, _, _) = attach(&c, all(), None);
    assert_eq!(end, RelayEnd::Exited(1));
    let st = c.wait_finished(T);
    assert_eq!(
        (st.status.as_str(), st.exit_code, st.restart_count),
        ("exited", 1, 2)
    );
    assert_eq!(c.logs(&LogsOptions::default()).0, "run\nrun\nrun\n");
}

#[test]
fn stop_requested_prevents_restart() {
    require_env!();
    let mut c = Ctr::new("stopreq", &["sh", "-c", "exit 0"]);
    c.cfg.restart = RestartPolicy::Always;
    c.spawn().expect("spawn");
    std::fs::write(c.cfg.ctr_dir.join(berth_monitor::STOP_REQUESTED), "").expect("touch");
    let (end, _, _) = attach(&c, all(), None);
    assert_eq!(end, RelayEnd::Exited(0));
    let st = c.wait_finished(T);
    assert_eq!((st.status.as_str(), st.restart_count), ("exited", 0));
}

#[test]
fn log_rotation() {
    require_env!();
    let mut c = Ctr::new("rotate", &["seq", "1", "200"]);
    c.cfg.log.max_size = 500;
    c.cfg.log.max_files = 2;
    c.spawn().expect("spawn");
    let (end, out, _) = attach(&c, all(), None);
    assert_eq!(end, RelayEnd::Exited(0));
    assert!(out.ends_with("199\n200\n"));
    c.wait_finished(T);
    let p = &c.cfg.log.path;
    let r1 = berth_monitor::log_writer::rotated(p, 1);
    let r2 = berth_monitor::log_writer::rotated(p, 2);
    assert!(p.exists() && r1.exists() && !r2.exists());
    assert!(std::fs::metadata(p).expect("stat").len() <= 500);
    let (o, _) = c.logs(&LogsOptions::default());
    assert!(o.ends_with("199\n200\n"), "{o}");
    assert!(!o.starts_with("1\n"), "old lines should be rotated away");
}

#[test]
fn spawn_error_leaves_nothing() {
    require_env!();
    let mut c = Ctr::new("bad", &["/does/not/exist"]);
    let err = c.spawn().expect_err("spawn must fail").to_string();
    assert!(err.contains("/does/not/exist"), "unexpected error: {err}");
    assert!(!c.cfg.socket.exists(), "socket left behind");
    assert!(
        !c.cfg.runtime_root.join(&c.cfg.id).exists(),
        "runtime state left"
    );
    // No process still refers to this container directory.
    let dir = c.cfg.ctr_dir.to_string_lossy().into_owned();
    for e in std::fs::read_dir("/proc").expect("proc").flatten() {
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd);
        assert!(
            !cmd.contains(&dir)
                || !common::alive(e.file_name().to_string_lossy().parse().unwrap_or(0)),
            "left running: {cmd}"
        );
    }
}

#[test]
fn healthcheck_healthy_then_unhealthy() {
    require_env!();
    let mut c = Ctr::new("health", &["sh", "-c", "sleep 30"]);
    c.cfg.healthcheck = Some(berth_monitor::Health {
        test: vec![
            "CMD-SHELL".into(),
            "test -e /tmp/bad && exit 1; echo ok".into(),
        ],
        interval_ns: 200_000_000,
        timeout_ns: 5_000_000_000,
        start_period_ns: 0,
        retries: 2,
    });
    c.spawn().expect("spawn");
    AttachClient::connect(&c.cfg.socket)
        .and_then(|mut cl| {
            cl.hello(&Hello {
                start: true,
                ..Default::default()
            })
        })
        .expect("start");
    let wait_for = |want: &str| {
        let start = std::time::Instant::now();
        loop {
            let st = c.status().expect("status");
            let h = st.health.clone().expect("health");
            if h.status == want {
                return h;
            }
            assert!(start.elapsed() < T, "health never {want}: {h:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let h = wait_for("healthy");
    assert_eq!(
        h.log.last().map(|r| (r.exit_code, r.output.as_str())),
        Some((0, "ok\n"))
    );
    std::fs::write(c.cfg.bundle.join("rootfs/tmp/bad"), "").expect("touch");
    let h = wait_for("unhealthy");
    assert!(h.failing_streak >= 2 && h.log.len() <= 5);
}

#[test]
fn idle_monitor_rss() {
    require_env!();
    let mut c = Ctr::new("rss", &["sleep", "100"]);
    let s = c.spawn().expect("spawn");
    AttachClient::connect(&c.cfg.socket)
        .and_then(|mut cl| {
            cl.hello(&Hello {
                start: true,
                ..Default::default()
            })
        })
        .expect("start");
    std::thread::sleep(Duration::from_millis(300));
    let text = std::fs::read_to_string(format!("/proc/{}/status", s.monitor_pid)).expect("status");
    let rss = text
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .unwrap_or_default()
        .to_string();
    eprintln!("idle monitor {rss}");
    eprintln!("{}", common::rss_breakdown(s.monitor_pid));
    std::fs::write(c.cfg.ctr_dir.join(berth_monitor::STOP_REQUESTED), "").expect("touch");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(s.container_pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill");
    let st = c.wait_finished(T);
    assert_eq!((st.status.as_str(), st.exit_code), ("exited", 137));
}

#[test]
fn on_exit_command_runs_after_final_status() {
    require_env!();
    let mut c = Ctr::new("onexit", &["sh", "-c", "exit 4"]);
    let marker = c.tmp.path().join("on-exit-ran");
    let status_file = c.cfg.ctr_dir.join("status.json");
    // Copies the final status: proves it was written before on_exit ran.
    c.cfg.on_exit = Some(vec![
        common::BUSYBOX.into(),
        "cp".into(),
        status_file.to_string_lossy().into_owned(),
        marker.to_string_lossy().into_owned(),
    ]);
    c.spawn().expect("spawn");
    let (end, _, _) = attach(&c, all(), None);
    assert_eq!(end, RelayEnd::Exited(4));
    c.wait_finished(T);
    let copied: berth_monitor::Status =
        serde_json::from_slice(&std::fs::read(&marker).expect("on_exit did not run"))
            .expect("status json");
    assert_eq!((copied.status.as_str(), copied.exit_code), ("exited", 4));
}
