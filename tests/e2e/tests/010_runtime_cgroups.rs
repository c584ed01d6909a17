//! Cgroups: limits written under cgroupsPath before the process runs, enforced inside,
//! relative paths, and removal on delete (also of busy cgroups: processes left in child
//! cgroups are killed and waited for; a cgroup that stays busy is reported while every other
//! one goes).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use berth_e2e::{cgroup, json, leaks, wait_until, Test};

const MIB: u64 = 1024 * 1024;

#[test]
fn limits_applied_before_the_process_runs() {
    let Some(t) = Test::new("cgroup_limits") else {
        return;
    };
    let mut b = t.bundle("cglim");
    b.remove_namespace("cgroup")
        .resources(json!({
            "memory": {"limit": 48 * MIB},
            "pids": {"limit": 20},
            "cpu": {"shares": 512, "quota": 50000, "period": 100000}
        }))
        .args(&["cat", "/proc/self/cgroup"]);
    let cg = b.cgroup();
    let out = t.rt.create(&b.id, &b).ok();
    let pid = t.rt.pid(&b.id);

    // Created, not started: the limits are already there and the process is inside.
    let mem = cgroup::read("memory", &cg, "memory.limit_in_bytes", "memory.max");
    assert_eq!(mem, Some((48 * MIB).to_string()), "memory limit under {cg}");
    assert_eq!(
        cgroup::read("pids", &cg, "pids.max", "pids.max").as_deref(),
        Some("20"),
        "pids limit under {cg}"
    );
    if cgroup::unified() {
        assert_eq!(
            cgroup::read("cpu", &cg, "", "cpu.max").as_deref(),
            Some("50000 100000")
        );
    } else {
        assert_eq!(
            cgroup::read("cpu", &cg, "cpu.cfs_quota_us", "").as_deref(),
            Some("50000")
        );
        assert_eq!(
            cgroup::read("cpu", &cg, "cpu.cfs_period_us", "").as_deref(),
            Some("100000")
        );
        assert_eq!(
            cgroup::read("cpu", &cg, "cpu.shares", "").as_deref(),
            Some("512")
        );
    }
    for ctrl in ["memory", "pids"] {
        let d = cgroup::dir(ctrl, &cg).unwrap();
        let procs = fs::read_to_string(d.join("cgroup.procs")).unwrap_or_default();
        assert!(
            procs.split_whitespace().any(|p| p == pid.to_string()),
            "container pid {pid} is not in {} before start: {procs:?}",
            d.display()
        );
    }

    t.rt.start(&b.id).ok();
    t.rt.wait_status(&b.id, "stopped", Duration::from_secs(10));
    let inside = out.stdout_now();
    let mem_line = inside.lines().find(|l| {
        l.split(':')
            .nth(1)
            .is_some_and(|c| c.split(',').any(|c| c == "memory") || c.is_empty())
    });
    assert!(
        mem_line.is_some_and(|l| l.ends_with(&cg)),
        "inside, /proc/self/cgroup does not show {cg}:\n{inside}"
    );
    t.rt.delete(&b.id).ok();
    assert!(
        cgroup::existing_dirs(&cg).is_empty(),
        "delete left cgroup dirs: {:?}",
        cgroup::existing_dirs(&cg)
    );
}

#[test]
fn pids_limit_is_enforced() {
    let Some(t) = Test::new("pids_enforced") else {
        return;
    };
    let mut b = t.bundle("pids");
    b.resources(json!({"pids": {"limit": 4}}))
        .sh("for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; echo spawned");
    let o = t.rt.run(&b.id, &b);
    assert!(
        o.stderr.contains("can't fork") || o.stderr.contains("Resource temporarily unavailable"),
        "8 forks succeeded under pids.max=4: {o}"
    );
}

#[test]
fn memory_limit_is_enforced() {
    let Some(t) = Test::new("memory_enforced") else {
        return;
    };
    let mut b = t.bundle("mem");
    // 16 MiB limit, swap equal (no swap on top); allocating ~64 MiB in a tmpfs must fail
    // or get the process OOM-killed.
    b.resources(json!({"memory": {"limit": 16 * MIB, "swap": 16 * MIB}}))
        .tmpfs("/big", &["size=128m"])
        .sh("dd if=/dev/zero of=/big/fill bs=1M count=64 2>/dev/null && echo filled");
    let o = t.rt.run(&b.id, &b);
    assert!(
        !o.stdout.contains("filled"),
        "64 MiB written under a 16 MiB limit: {o}"
    );
}

#[test]
fn relative_cgroups_path() {
    let Some(t) = Test::new("cgroup_relative") else {
        return;
    };
    let mut b = t.bundle("cgrel");
    let rel = format!("{}-rel", b.id);
    b.cgroups_path(&rel)
        .remove_namespace("cgroup")
        .resources(json!({"pids": {"limit": 30}}))
        .args(&["sleep", "1000"]);
    t.rt.create(&b.id, &b).ok();
    let pid = t.rt.pid(&b.id);
    // Where it lands is the runtime's choice (the spec says MAY); it must end with the path.
    let own = fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let pids_path = own
        .lines()
        .find_map(|l| {
            let mut f = l.splitn(3, ':');
            let _ = f.next();
            let ctrl = f.next()?;
            (ctrl.split(',').any(|c| c == "pids") || (ctrl.is_empty() && cgroup::unified()))
                .then(|| f.next().unwrap_or("").to_string())
        })
        .unwrap_or_default();
    assert!(
        pids_path.ends_with(&format!("/{rel}")),
        "relative cgroupsPath {rel} not honoured: {own}"
    );
    assert_eq!(
        cgroup::read("pids", &pids_path, "pids.max", "pids.max").as_deref(),
        Some("30")
    );
    t.rt.delete_force(&b.id).ok();
    assert!(leaks::pids_in_cgroup(&pids_path).is_empty());
    assert!(
        cgroup::existing_dirs(&pids_path).is_empty(),
        "cgroup {pids_path} left after delete"
    );
}

/// The container's directory in every mounted hierarchy where it exists.
fn container_dirs(cg: &str) -> Vec<PathBuf> {
    cgroup::existing_dirs(cg)
}

/// Creates `<dir>/<sub>` (a v1 cpuset child gets its parent's cpus and mems, or it takes no
/// process) and returns it.
fn make_child(dir: &Path, sub: &str) -> PathBuf {
    let child = dir.join(sub);
    fs::create_dir(&child).unwrap_or_else(|e| panic!("mkdir {}: {e}", child.display()));
    for f in ["cpuset.cpus", "cpuset.mems"] {
        if let Ok(v) = fs::read_to_string(dir.join(f)) {
            let _ = fs::write(child.join(f), v.trim());
        }
    }
    child
}

/// Moves `pid` into cgroup directory `dir`.
fn move_into(dir: &Path, pid: i32) {
    fs::write(dir.join("cgroup.procs"), pid.to_string())
        .unwrap_or_else(|e| panic!("move {pid} into {}: {e}", dir.display()));
}

#[test]
fn delete_force_kills_processes_in_child_cgroups_and_removes_every_cgroup() {
    let Some(t) = Test::new("cgroup_delete_busy") else {
        return;
    };
    let mut b = t.bundle("cgbusy");
    // The host's pid namespace: the init's death does not take the others with it, so only
    // the cgroup kill can (runc's "shared pid namespace" case).
    b.remove_namespace("pid")
        .remove_namespace("cgroup")
        .sh("for i in 1 2 3 4 5 6 7 8; do sleep 1000 & done; exec sleep 1000");
    let cg = b.cgroup();
    t.rt.create_and_start(&b.id, &b);
    assert!(
        wait_until(Duration::from_secs(10), || cgroup::procs(&cg).len() >= 9),
        "the container did not start its 9 processes: {:?}",
        cgroup::procs(&cg)
    );
    let init = t.rt.pid(&b.id);
    let moved = *cgroup::procs(&cg)
        .iter()
        .find(|p| **p != init)
        .expect("a background sleep");
    // One process one level down in every hierarchy, another two levels down.
    let dirs = container_dirs(&cg);
    let deeper = *cgroup::procs(&cg)
        .iter()
        .find(|p| **p != init && **p != moved)
        .expect("another background sleep");
    for d in &dirs {
        let inner = make_child(d, "inner");
        move_into(&inner, moved);
        let deepest = make_child(&inner, "deeper");
        move_into(&deepest, deeper);
    }
    // Paused too: the kill has to get past the freezer.
    t.rt.pause(&b.id).ok();
    let all = leaks::pids_in_cgroup(&cg);
    assert!(all.len() >= 9, "{all:?}");

    let start = Instant::now();
    t.rt.delete_force(&b.id).ok();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "delete --force took {:?}",
        start.elapsed()
    );
    assert!(
        container_dirs(&cg).is_empty(),
        "cgroups left: {:?}",
        container_dirs(&cg)
    );
    for p in all {
        assert!(
            wait_until(Duration::from_secs(2), || !leaks::alive(p)),
            "process {p} survived delete --force"
        );
    }
    t.assert_nothing_left(&b.id);
}

/// Keeps one child cgroup of a container busy until dropped (also when the test fails):
/// on a v1 host a process frozen in a freezer cgroup of the test's own (a SIGKILL waits
/// until it is thawed) and moved into the child in another hierarchy; on a pure v2 host a
/// tmpfs mounted over the child.
struct Pin {
    /// The busy child cgroup.
    child: PathBuf,
    helper: Option<Child>,
    freezer: Option<PathBuf>,
    mounted: bool,
}

impl Pin {
    /// Pins `<dir>/stuck` for one of the container's directories `dirs`; returns the pin
    /// (its `child` is the busy directory).
    fn new(dirs: &[PathBuf], unique: &str) -> Pin {
        let mounts = cgroup::mounts();
        let freezer = mounts
            .iter()
            .find(|m| !m.v2 && m.controllers.iter().any(|c| c == "freezer"));
        let target = freezer.and_then(|f| {
            dirs.iter()
                .find(|d| {
                    !d.starts_with(&f.path)
                        && mounts.iter().any(|m| !m.v2 && d.starts_with(&m.path))
                })
                .cloned()
        });
        match (freezer, target) {
            (Some(f), Some(target)) => {
                let mut pin = Pin {
                    child: target.join("stuck"),
                    helper: None,
                    freezer: Some(f.path.join(format!("berth-e2e-pin-{unique}"))),
                    mounted: false,
                };
                let fz = pin.freezer.clone().expect("freezer dir");
                fs::create_dir(&fz).unwrap_or_else(|e| panic!("mkdir {}: {e}", fz.display()));
                let helper = Command::new("sleep")
                    .arg("1000")
                    .spawn()
                    .expect("spawn sleep");
                let pid = i32::try_from(helper.id()).expect("pid");
                pin.helper = Some(helper);
                move_into(&fz, pid);
                fs::write(fz.join("freezer.state"), "FROZEN").expect("freeze the helper");
                assert!(
                    wait_until(Duration::from_secs(5), || {
                        fs::read_to_string(fz.join("freezer.state"))
                            .unwrap_or_default()
                            .trim()
                            == "FROZEN"
                    }),
                    "the helper's freezer cgroup did not freeze"
                );
                let child = make_child(&target, "stuck");
                move_into(&child, pid);
                pin
            }
            _ => {
                let target = dirs.first().expect("a container cgroup dir").clone();
                let child = make_child(&target, "stuck");
                nix::mount::mount(
                    Some("tmpfs"),
                    &child,
                    Some("tmpfs"),
                    nix::mount::MsFlags::empty(),
                    None::<&str>,
                )
                .unwrap_or_else(|e| panic!("mount over {}: {e}", child.display()));
                Pin {
                    child,
                    helper: None,
                    freezer: None,
                    mounted: true,
                }
            }
        }
    }

    /// Frees the child: thaws the helper (which then dies of the SIGKILL `delete` sent it)
    /// or unmounts. Returns whether the helper died without being killed here.
    fn release(&mut self) -> bool {
        if self.mounted {
            let _ = nix::mount::umount2(&self.child, nix::mount::MntFlags::MNT_DETACH);
            self.mounted = false;
        }
        let mut died_of_delete = true;
        if let Some(fz) = &self.freezer {
            let _ = fs::write(fz.join("freezer.state"), "THAWED");
        }
        if let Some(mut h) = self.helper.take() {
            let start = Instant::now();
            loop {
                if let Ok(Some(_)) = h.try_wait() {
                    break;
                }
                if start.elapsed() > Duration::from_secs(3) {
                    died_of_delete = false;
                    let _ = h.kill();
                    let _ = h.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        died_of_delete
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        self.release();
        for d in [Some(self.child.clone()), self.freezer.clone()]
            .into_iter()
            .flatten()
        {
            for _ in 0..50 {
                if fs::remove_dir(&d).is_ok() || !d.exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

#[test]
fn delete_force_removes_every_cgroup_it_can_and_reports_the_busy_one() {
    let Some(t) = Test::new("cgroup_delete_stuck") else {
        return;
    };
    let mut b = t.sleeper("cgstuck");
    b.remove_namespace("cgroup");
    let cg = b.cgroup();
    t.rt.create_and_start(&b.id, &b);
    let dirs = container_dirs(&cg);
    assert!(dirs.len() >= 2, "needs two hierarchies at least: {dirs:?}");
    let unique = b.id.clone();
    let mut pin = Pin::new(&dirs, &unique);
    let stuck = pin.child.clone();
    let parent = stuck.parent().expect("parent").to_path_buf();

    let start = Instant::now();
    let o = t.rt.delete_force(&b.id).fails();
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(15),
        "delete --force took {took:?}"
    );
    // Both stuck directories are named, with why; nothing else is.
    for d in [&stuck, &parent] {
        assert!(
            o.stderr.contains(&format!("{} (", d.display())),
            "{} not reported:\n{o}",
            d.display()
        );
    }
    assert!(
        o.stderr.contains("could not remove 2 cgroup directories"),
        "{o}"
    );
    assert!(o.stderr.contains("Device or resource busy"), "{o}");
    // Every other hierarchy lost the container's cgroup; the stuck one is still there.
    let left = container_dirs(&cg);
    assert_eq!(
        left,
        std::slice::from_ref(&parent),
        "only the pinned hierarchy stays"
    );
    assert!(stuck.is_dir());
    // The container is still known, so delete can be retried.
    assert!(
        t.rt.state(&b.id).success(),
        "the state was kept for a retry"
    );

    // Freed, the helper dies of the SIGKILL delete sent it, and a second delete finishes.
    let died = pin.release();
    if pin.freezer.is_some() {
        assert!(
            died,
            "delete --force did not SIGKILL the process in the busy cgroup"
        );
    }
    t.rt.delete_force(&b.id).ok();
    assert!(
        container_dirs(&cg).is_empty(),
        "cgroups left after the retry: {:?}",
        container_dirs(&cg)
    );
    drop(pin);
    t.assert_nothing_left(&b.id);
}
