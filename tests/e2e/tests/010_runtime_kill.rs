//! kill: signals by name and by number, the default signal, --all, and errors.

use std::fs;
use std::path::Path;
use std::time::Duration;

use berth_e2e::{leaks, Bundle, Test};

const WAIT: Duration = Duration::from_secs(10);

/// PID 1 of a pid namespace only gets signals it has a handler for, so the container traps
/// TERM and USR1, records which one arrived in /ctl/sig, and exits 0.
fn trapping(t: &Test, ctl: &Path) -> Bundle {
    let mut b = t.bundle("kill");
    b.bind(ctl, "/ctl", false).sh(
        "trap 'echo TERM > /ctl/sig; exit 0' TERM; trap 'echo USR1 > /ctl/sig; exit 0' USR1; \
         : > /ctl/ready; while true; do sleep 0.05; done",
    );
    b
}

fn started(t: &Test, b: &Bundle, ctl: &Path) {
    t.rt.create_and_start(&b.id, b);
    assert!(
        berth_e2e::wait_until(WAIT, || ctl.join("ready").exists()),
        "container never got ready"
    );
}

#[test]
fn kill_term_by_name_and_number() {
    let Some(t) = Test::new("kill_term") else {
        return;
    };
    for sig in ["TERM", "SIGTERM", "15"] {
        let ctl = t.host_dir(&format!("ctl-{sig}"));
        let b = trapping(&t, &ctl);
        started(&t, &b, &ctl);
        t.rt.kill_and_wait(&b.id, sig, WAIT);
        let got = fs::read_to_string(ctl.join("sig")).unwrap_or_default();
        assert_eq!(got.trim(), "TERM", "kill {sig} delivered {got:?}");
        t.delete_and_check(&b.id);
    }
}

#[test]
fn kill_default_signal_is_term() {
    let Some(t) = Test::new("kill_default") else {
        return;
    };
    let ctl = t.host_dir("ctl");
    let b = trapping(&t, &ctl);
    started(&t, &b, &ctl);
    t.rt.cmd(&["kill", &b.id]).ok();
    t.rt.wait_status(&b.id, "stopped", WAIT);
    assert_eq!(
        fs::read_to_string(ctl.join("sig"))
            .unwrap_or_default()
            .trim(),
        "TERM"
    );
}

#[test]
fn kill_usr1_by_name_and_number() {
    let Some(t) = Test::new("kill_usr1") else {
        return;
    };
    let usr1 = libc::SIGUSR1.to_string();
    for sig in ["USR1", "SIGUSR1", usr1.as_str()] {
        let ctl = t.host_dir(&format!("ctl-{sig}"));
        let b = trapping(&t, &ctl);
        started(&t, &b, &ctl);
        t.rt.kill_and_wait(&b.id, sig, WAIT);
        assert_eq!(
            fs::read_to_string(ctl.join("sig"))
                .unwrap_or_default()
                .trim(),
            "USR1",
            "kill {sig}"
        );
    }
}

#[test]
fn kill_kill_by_name_and_number() {
    let Some(t) = Test::new("kill_kill") else {
        return;
    };
    for sig in ["KILL", "SIGKILL", "9"] {
        let b = t.sleeper("kk");
        t.rt.create_and_start(&b.id, &b);
        let pid = t.rt.pid(&b.id);
        t.rt.kill_and_wait(&b.id, sig, WAIT);
        assert!(!leaks::alive(pid), "kill {sig}: pid {pid} alive");
        t.delete_and_check(&b.id);
    }
}

#[test]
fn kill_created_container() {
    let Some(t) = Test::new("kill_created") else {
        return;
    };
    let b = t.sleeper("kc");
    t.rt.create(&b.id, &b).ok();
    t.rt.kill_and_wait(&b.id, "KILL", WAIT);
    t.delete_and_check(&b.id);
}

#[test]
fn kill_all_reaches_every_process() {
    let Some(t) = Test::new("kill_all") else {
        return;
    };
    let ctl = t.host_dir("ctl");
    let mut b = t.bundle("ka");
    b.bind(&ctl, "/ctl", false)
        .sh("sleep 1000 & sleep 1000 & : > /ctl/ready; wait");
    t.rt.create_and_start(&b.id, &b);
    assert!(berth_e2e::wait_until(WAIT, || ctl.join("ready").exists()));
    let cg = b.cgroup();
    assert!(
        berth_e2e::wait_until(WAIT, || leaks::pids_in_cgroup(&cg).len() >= 3),
        "expected 3 processes in {cg}, got {:?}",
        leaks::pids_in_cgroup(&cg)
    );
    t.rt.kill_all(&b.id, "KILL").ok();
    t.rt.wait_status(&b.id, "stopped", WAIT);
    assert!(
        berth_e2e::wait_until(WAIT, || leaks::pids_in_cgroup(&cg).is_empty()),
        "processes left after kill --all: {:?}",
        leaks::pids_in_cgroup(&cg)
    );
    t.delete_and_check(&b.id);
}

#[test]
fn kill_errors() {
    let Some(t) = Test::new("kill_errors") else {
        return;
    };
    t.rt.kill(&t.id("nosuch"), "KILL").fails();

    let mut b = t.bundle("ke");
    b.args(&["true"]);
    t.rt.create_and_start(&b.id, &b);
    t.rt.wait_status(&b.id, "stopped", WAIT);
    // The spec: signalling a container that is neither created nor running MUST fail and
    // MUST NOT change it.
    t.rt.kill(&b.id, "KILL").fails();
    assert_eq!(t.rt.status(&b.id).as_deref(), Some("stopped"));
}

#[test]
fn kill_with_unknown_signal_fails() {
    let Some(t) = Test::new("kill_bad_signal") else {
        return;
    };
    let c = t.sleeper("kb");
    t.rt.create(&c.id, &c).ok();
    t.rt.kill(&c.id, "NOSUCHSIGNAL")
        .fails()
        .stderr_mentions(&["signal", "NOSUCHSIGNAL"]);
    t.rt.kill(&c.id, "999").fails();
    assert_eq!(
        t.rt.status(&c.id).as_deref(),
        Some("created"),
        "a bad signal name must not change the container"
    );
}
