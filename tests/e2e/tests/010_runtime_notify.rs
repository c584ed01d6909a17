//! systemd integration through the runtime: `NOTIFY_SOCKET` proxied into the container
//! (`READY=1` ends `run -d` and `start`), and socket activation (`LISTEN_FDS`) with
//! `--preserve-fds`.

use std::os::unix::fs::symlink;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::time::Duration;

use berth_e2e::{Bundle, Test};

const SYSTEMD_NOTIFY: &str = "/usr/bin/systemd-notify";

/// A bundle that can run the host's `systemd-notify`: the host's /usr bind-mounted
/// read-only, with the merged-/usr links a dynamic executable needs.
fn notify_bundle(t: &Test, name: &str) -> Option<Bundle> {
    if !Path::new(SYSTEMD_NOTIFY).is_file() {
        eprintln!("SKIPPED e2e notify test: no {SYSTEMD_NOTIFY} on the host");
        return None;
    }
    let mut b = t.bundle(name);
    for l in ["lib", "lib64"] {
        let _ = symlink(format!("usr/{l}"), b.rootfs.join(l));
    }
    b.bind(Path::new("/usr"), "/usr", true);
    Some(b)
}

/// A datagram socket standing in for systemd's, bound in the test dir.
fn host_socket(t: &Test) -> (UnixDatagram, String) {
    let path = t.dir.join("host-notify.sock");
    let sock = UnixDatagram::bind(&path).expect("bind the host notify socket");
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    (sock, path.display().to_string())
}

fn received(sock: &UnixDatagram) -> String {
    let mut all = String::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = sock.recv(&mut buf) {
        all += &String::from_utf8_lossy(&buf[..n]);
        if all.contains("MAINPID=") {
            break;
        }
    }
    all
}

#[test]
fn ready_from_the_container_ends_run_detached() {
    let Some(t) = Test::new("notify_run") else {
        return;
    };
    let Some(mut b) = notify_bundle(&t, "notify") else {
        return;
    };
    let (sock, path) = host_socket(&t);
    // The container says READY only after writing a marker: when `run -d` has returned,
    // the marker must be there.
    b.sh(
        "echo \"$NOTIFY_SOCKET\" > /tmp/socket-path; touch /tmp/before-ready; \
          /usr/bin/systemd-notify --ready; exec sleep 1000",
    );
    t.rt.with_bundle_env(&[("NOTIFY_SOCKET", &path)], "run", &b.id, &b, &["-d"])
        .ok();
    assert!(
        b.rootfs.join("tmp/before-ready").exists(),
        "run -d returned before the container was ready"
    );
    let socket_path = std::fs::read_to_string(b.rootfs.join("tmp/socket-path")).unwrap();
    assert_eq!(socket_path.trim(), "/run/notify/notify.sock");
    let got = received(&sock);
    let pid = t.rt.pid(&b.id);
    assert!(got.lines().any(|l| l == "READY=1"), "host got {got:?}");
    assert!(
        got.lines().any(|l| l == format!("MAINPID={pid}")),
        "host got {got:?}, container pid {pid}"
    );
    t.rt.delete_force(&b.id).ok();
    t.assert_nothing_left(&b.id);
}

#[test]
fn create_then_start_waits_for_ready() {
    let Some(t) = Test::new("notify_start") else {
        return;
    };
    let Some(mut b) = notify_bundle(&t, "notify2") else {
        return;
    };
    let (sock, path) = host_socket(&t);
    b.sh("touch /tmp/before-ready; /usr/bin/systemd-notify --ready; exec sleep 1000");
    t.rt.with_bundle_env(&[("NOTIFY_SOCKET", &path)], "create", &b.id, &b, &[])
        .ok();
    t.rt.cmd_env(&[("NOTIFY_SOCKET", &path)], &["start", &b.id])
        .ok();
    assert!(b.rootfs.join("tmp/before-ready").exists());
    let got = received(&sock);
    assert!(got.contains("READY=1"), "host got {got:?}");
    t.rt.delete_force(&b.id).ok();
    t.assert_nothing_left(&b.id);
}

/// (runc 1.1.5 fails this one: its `run -d` waits for READY=1 for good once the container
/// has exited, because it polls /proc/<pid>, which a zombie keeps.)
#[test]
fn a_container_that_never_notifies_does_not_hang_start() {
    let Some(t) = Test::new("notify_exit") else {
        return;
    };
    let mut b = t.bundle("notify3");
    let (_sock, path) = host_socket(&t);
    b.sh("exit 0");
    t.rt.with_bundle_env(&[("NOTIFY_SOCKET", &path)], "run", &b.id, &b, &["-d"])
        .ok();
    t.rt.delete_force(&b.id).ok();
    t.assert_nothing_left(&b.id);
}

/// `sh -c '<fds>; LISTEN_FDS=<listen> LISTEN_PID=<pid> exec <rt> --root <root> <args>'`: the
/// runtime started as an activator would start it (`$$` for pid: the runtime's own).
fn activated(t: &Test, fds: &str, listen: &str, pid: &str, args: &[&str]) -> berth_e2e::Output {
    let mut a = vec![
        "-c".to_string(),
        format!("{fds}; LISTEN_FDS={listen} LISTEN_PID={pid} exec \"$0\" \"$@\""),
        t.rt.bin.display().to_string(),
        "--root".into(),
        t.rt.root.display().to_string(),
    ];
    a.extend(args.iter().map(|s| s.to_string()));
    berth_e2e::Output::run_program(Path::new("/bin/sh"), &a, t.rt.scratch())
}

#[test]
fn listen_fds_come_before_preserved_fds() {
    let Some(t) = Test::new("listen_fds") else {
        return;
    };
    let mut b = t.bundle("listen");
    let one = t.dir.join("one");
    let two = t.dir.join("two");
    std::fs::write(&one, "from-listen-fd\n").unwrap();
    std::fs::write(&two, "from-preserved-fd\n").unwrap();
    b.sh("echo \"$LISTEN_FDS $LISTEN_PID\"; cat <&3; cat <&4; ls /proc/self/fd | sort -n | tr '\\n' ' '");
    b.write_for(&b.id);
    let fds = format!("exec 3<{} 4<{}", one.display(), two.display());
    let dir = b.dir.display().to_string();
    let o = activated(
        &t,
        &fds,
        "1",
        "$$",
        &["run", "--bundle", &dir, "--preserve-fds", "1", &b.id],
    )
    .ok();
    let lines = o.lines();
    assert_eq!(
        lines.get(..3),
        Some(
            &[
                "1 1".to_string(),
                "from-listen-fd".into(),
                "from-preserved-fd".into()
            ][..]
        ),
        "{o}"
    );
    t.assert_nothing_left(&b.id);
}

#[test]
fn listen_fds_for_another_pid_are_not_passed() {
    let Some(t) = Test::new("listen_other") else {
        return;
    };
    let mut b = t.bundle("listen2");
    let one = t.dir.join("one");
    std::fs::write(&one, "x\n").unwrap();
    b.sh("echo \"${LISTEN_FDS-unset}\"; test -e /proc/self/fd/3 && echo fd3 || echo no-fd3");
    b.write_for(&b.id);
    let dir = b.dir.display().to_string();
    // LISTEN_PID names another process: the fds are not for the runtime (sd_listen_fds(3)).
    let fds = format!("exec 3<{}", one.display());
    let o = activated(&t, &fds, "1", "1", &["run", "--bundle", &dir, &b.id]).ok();
    assert_eq!(o.lines(), ["unset", "no-fd3"], "{o}");
    t.assert_nothing_left(&b.id);
}

/// (Many fds: a runtime may hold a few low ones itself, as runc's Go runtime does.)
#[test]
fn preserve_fds_of_closed_fds_fails_clearly() {
    let Some(t) = Test::new("preserve_closed") else {
        return;
    };
    let b = t.bundle("preserve");
    t.rt.create_with(&b.id, &b, &["--preserve-fds", "100"])
        .fails()
        .stderr_mentions(&["preserve", "fd"]);
    t.rt.state(&b.id).fails();
    t.assert_nothing_left(&b.id);
}
