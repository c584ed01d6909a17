//! Cgroups: limits written under cgroupsPath before the process runs, enforced inside,
//! relative paths, and removal on delete.

use std::fs;
use std::time::Duration;

use berth_e2e::{cgroup, json, leaks, Test};

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
