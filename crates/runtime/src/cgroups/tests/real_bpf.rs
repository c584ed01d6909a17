//! Root-only: the v2 device filter on a real cgroup2 tree (this machine's unified hierarchy
//! holds no device controller, but device programs attach to any cgroup2 directory).

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::super::devices_bpf;
use super::super::fs::CgroupFs;
use super::res;

/// Removes the test cgroup however the test ends.
struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// Runs a shell in `dir`'s cgroup and reports which of /dev/null and /dev/kmsg it can open.
fn probe(dir: &std::path::Path) -> String {
    let script = "read x; for d in null kmsg; do if (: < /dev/$d) 2>&-; then echo \"$d ok\"; else echo \"$d denied\"; fi; done";
    let mut child = Command::new("sh")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh");
    let pid = child.id().to_string();
    CgroupFs::default()
        .write(dir, "cgroup.procs", &pid)
        .expect("join the cgroup");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"go\n")
        .expect("release");
    let out = BufReader::new(child.stdout.take().expect("stdout"))
        .lines()
        .map_while(Result::ok)
        .collect::<Vec<_>>()
        .join(", ");
    let _ = child.wait();
    out
}

#[test]
fn real_bpf_device_filter() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipping real_bpf_device_filter: needs root");
        return;
    }
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let Some(unified) = super::super::detect::Layout::parse(&mountinfo).unified else {
        eprintln!("skipping real_bpf_device_filter: no cgroup2 mount");
        return;
    };
    let dir = Dir(unified
        .mount_point
        .join(format!("berth-test-bpf-{}", std::process::id())));
    if let Err(e) = std::fs::create_dir(&dir.0) {
        eprintln!(
            "skipping real_bpf_device_filter: mkdir {}: {e}",
            dir.0.display()
        );
        return;
    }
    let deny_all = res(r#"{"devices": [{"allow": false, "access": "rwm"}]}"#);
    devices_bpf::apply(
        &CgroupFs::default(),
        &dir.0,
        deny_all.devices().as_deref().unwrap_or_default(),
    )
    .expect("attach");
    assert_eq!(
        probe(&dir.0),
        "null ok, kmsg denied",
        "defaults allow /dev/null; /dev/kmsg is not among them"
    );
    let kmsg = res(
        r#"{"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "r"}]}"#,
    );
    devices_bpf::apply(
        &CgroupFs::default(),
        &dir.0,
        kmsg.devices().as_deref().unwrap_or_default(),
    )
    .expect("replace");
    assert_eq!(probe(&dir.0), "null ok, kmsg ok");
    let cg = std::fs::File::open(&dir.0).expect("open cgroup");
    let ids = berth_sys::bpf::query_cgroup_device(std::os::fd::AsFd::as_fd(&cg)).expect("query");
    assert_eq!(ids.len(), 1, "the old program was detached");
}
