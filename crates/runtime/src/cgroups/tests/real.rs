//! Root-only tests on the real cgroup hierarchy (skipped, with a message, otherwise). They
//! only ever touch the uniquely named cgroups they create, and remove them even on failure.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::super::CgroupManager;
use super::res;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Removes the test cgroup (and kills the child) however the test ends.
struct Guard {
    mgr: CgroupManager,
    child: Option<Child>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = self.mgr.destroy();
        for dir in self.dirs() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

impl Guard {
    fn dirs(&self) -> Vec<PathBuf> {
        let mut d: Vec<PathBuf> = self.mgr.paths.v1.iter().map(|(_, p)| p.clone()).collect();
        d.extend(self.mgr.paths.unified.clone());
        d.sort();
        d.dedup();
        d
    }
}

/// A manager for a fresh `berth-test-<pid>-<n>` cgroup, or None (with a message) when the
/// test cannot run here.
fn setup(test: &str) -> Option<Guard> {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipping {test}: needs root");
        return None;
    }
    let name = format!(
        "berth-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    match CgroupManager::new(Some(&name), &name) {
        Ok(mgr) => Some(Guard { mgr, child: None }),
        Err(e) => {
            eprintln!("skipping {test}: {e}");
            None
        }
    }
}

/// Reads a control file of the v1 controller `controller`, or of the unified dir.
fn read_ctl(m: &CgroupManager, controller: &str, file: &str) -> String {
    let dir = m
        .paths
        .v1
        .iter()
        .find(|(n, _)| n == controller)
        .map(|(_, p)| p.clone())
        .or_else(|| m.paths.unified.clone())
        .expect("a dir");
    std::fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("read {}/{file}: {e}", dir.display()))
        .trim()
        .to_string()
}

#[test]
fn real_lifecycle_limits_pids_freeze_destroy() {
    let Some(mut g) = setup("real_lifecycle_limits_pids_freeze_destroy") else {
        return;
    };
    let r =
        res(r#"{"memory": {"limit": 67108864}, "pids": {"limit": 16}, "cpu": {"shares": 512}}"#);
    g.mgr.create(Some(&r)).expect("create");
    let v1 = !g.mgr.paths.v1.is_empty();
    if v1 {
        assert_eq!(
            read_ctl(&g.mgr, "memory", "memory.limit_in_bytes"),
            "67108864"
        );
        assert_eq!(read_ctl(&g.mgr, "cpu", "cpu.shares"), "512");
    } else {
        assert_eq!(read_ctl(&g.mgr, "memory", "memory.max"), "67108864");
    }
    assert_eq!(read_ctl(&g.mgr, "pids", "pids.max"), "16");
    assert_eq!(g.mgr.stats().expect("stats").memory_limit, Some(67108864));

    let child = Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("spawn sleep");
    let pid = i32::try_from(child.id()).expect("pid");
    g.child = Some(child);
    g.mgr.add_pid(pid).expect("add_pid");
    assert_eq!(g.mgr.pids().expect("pids"), vec![pid]);
    if let Some(u) = &g.mgr.paths.unified {
        let procs = std::fs::read_to_string(u.join("cgroup.procs")).expect("unified procs");
        assert!(
            procs.split_whitespace().any(|p| p == pid.to_string()),
            "placed in the unified tree too"
        );
    }
    assert_eq!(g.mgr.stats().expect("stats").pids_current, Some(1));

    g.mgr.set_frozen(true).expect("freeze");
    assert!(g.mgr.is_frozen().expect("state"));
    g.mgr.set_frozen(false).expect("thaw");
    assert!(!g.mgr.is_frozen().expect("state"));

    g.mgr.destroy().expect("destroy");
    let status = g.child.take().expect("child").wait().expect("wait");
    assert_eq!(status.signal(), Some(9), "destroy SIGKILLed the process");
    for d in g.dirs() {
        assert!(!d.exists(), "{} removed", d.display());
    }
    g.mgr.destroy().expect("idempotent");
}

#[test]
fn real_hugetlb_goes_to_the_unified_tree_on_hybrid() {
    let Some(g) = setup("real_hugetlb_goes_to_the_unified_tree_on_hybrid") else {
        return;
    };
    let (Some(unified), false) = (g.mgr.paths.unified.clone(), g.mgr.paths.v1.is_empty()) else {
        eprintln!("skipping: not a hybrid host");
        return;
    };
    if g.mgr.paths.v1.iter().any(|(n, _)| n == "hugetlb")
        || !Path::new("/sys/kernel/mm/hugepages/hugepages-2048kB").exists()
    {
        eprintln!("skipping: hugetlb is on v1 or 2MB pages are absent");
        return;
    }
    let r = res(r#"{"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]}"#);
    match g.mgr.create(Some(&r)) {
        Ok(()) => {}
        Err(e)
            if !std::fs::read_to_string(
                unified
                    .parent()
                    .unwrap_or(&unified)
                    .join("cgroup.controllers"),
            )
            .unwrap_or_default()
            .contains("hugetlb") =>
        {
            eprintln!("skipping: unified tree lacks hugetlb ({e})");
            return;
        }
        Err(e) => panic!("create: {e}"),
    }
    let v = std::fs::read_to_string(unified.join("hugetlb.2MB.max")).expect("hugetlb.2MB.max");
    assert_eq!(v.trim(), "4194304");
    // A value the kernel rejects names the directory, file, value and errno.
    let memory = g
        .mgr
        .paths
        .v1
        .iter()
        .find(|(n, _)| n == "memory")
        .map(|(_, p)| p.display().to_string())
        .unwrap_or_default();
    if let Err(err) = g.mgr.update(&res(r#"{"memory": {"useHierarchy": false}}"#)) {
        // Kernels since 5.x refuse to turn hierarchy off: EINVAL.
        assert_eq!(
            err.to_string(),
            format!("cgroup {memory}: write 0 to memory.use_hierarchy: Invalid argument")
        );
    }
}

/// Every directory of `g` with `sub` appended, created.
fn make_sub(g: &Guard, sub: &str) -> Vec<PathBuf> {
    g.dirs()
        .into_iter()
        .map(|d| {
            let s = d.join(sub);
            std::fs::create_dir(&s).unwrap_or_else(|e| panic!("mkdir {}: {e}", s.display()));
            // A v1 cpuset child starts empty and takes no process until it gets the parent's.
            for f in ["cpuset.cpus", "cpuset.mems"] {
                if let Ok(v) = std::fs::read_to_string(d.join(f)) {
                    let _ = std::fs::write(s.join(f), v.trim());
                }
            }
            s
        })
        .collect()
}

#[test]
fn real_destroy_kills_a_process_moved_into_a_child_cgroup() {
    let Some(mut g) = setup("real_destroy_kills_a_process_moved_into_a_child_cgroup") else {
        return;
    };
    g.mgr.create(None).expect("create");
    let child = Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("spawn sleep");
    let pid = i32::try_from(child.id()).expect("pid");
    g.child = Some(child);
    g.mgr.add_pid(pid).expect("add_pid");
    // Moved one level down in every hierarchy: destroy must find, kill and remove it there.
    for s in make_sub(&g, "inner") {
        std::fs::write(s.join("cgroup.procs"), pid.to_string())
            .unwrap_or_else(|e| panic!("move into {}: {e}", s.display()));
    }
    g.mgr.destroy().expect("destroy");
    let status = g.child.take().expect("child").wait().expect("wait");
    assert_eq!(status.signal(), Some(9));
    for d in g.dirs() {
        assert!(!d.exists(), "{} removed", d.display());
    }
}

/// Unmounts what a test mounted over cgroup directories, however it ends.
struct Unmount(Vec<PathBuf>);

impl Drop for Unmount {
    fn drop(&mut self) {
        for m in &self.0 {
            let _ = nix::mount::umount2(m, nix::mount::MntFlags::MNT_DETACH);
            let _ = std::fs::remove_dir(m);
        }
    }
}

#[test]
fn real_destroy_reports_a_pinned_child_and_removes_everything_else() {
    let Some(g) = setup("real_destroy_reports_a_pinned_child_and_removes_everything_else") else {
        return;
    };
    g.mgr.create(None).expect("create");
    let subs = make_sub(&g, "pinned");
    // A mount over the child makes its rmdir fail with EBUSY for good (in any hierarchy).
    let pinned = subs[0].clone();
    nix::mount::mount(
        Some("tmpfs"),
        &pinned,
        Some("tmpfs"),
        nix::mount::MsFlags::empty(),
        None::<&str>,
    )
    .expect("mount over the child");
    let unmount = Unmount(vec![pinned.clone()]);
    let parent = pinned.parent().expect("parent").to_path_buf();
    let err = g.mgr.destroy().expect_err("the pinned child stays");
    let crate::Error::CgroupsLeft(left) = &err else {
        panic!("{err}");
    };
    let paths: Vec<&PathBuf> = left.iter().map(|(p, _)| p).collect();
    assert_eq!(paths, [&pinned, &parent], "{err}");
    assert!(left[0].1.contains("Device or resource busy"), "{err}");
    for d in g.dirs().into_iter().filter(|d| *d != parent) {
        assert!(
            !d.exists(),
            "{} removed despite the pinned one",
            d.display()
        );
    }
    drop(unmount);
    g.mgr.destroy().expect("the rest goes once unpinned");
    assert!(!parent.exists());
}
