//! This machine's hybrid layout (fake copy): v1 controllers, name=systemd, and a unified tree
//! that offers only hugetlb.

use super::{hybrid_host, pairs, res, THIS_MEMORY_OWN};

const UNIFIED_LEAF: &str = "sys/fs/cgroup/unified/berth/c";

#[test]
fn create_uses_v1_controllers_and_the_unified_tree_for_hugetlb() {
    let h = hybrid_host();
    let r = res(
        r#"{"memory": {"limit": 67108864}, "pids": {"limit": 20}, "cpu": {"shares": 256},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 0}]}"#,
    );
    let m = h.created(Some(&r));
    assert!(
        m.clone_into_fd().is_none(),
        "hybrid: the runtime calls add_pid"
    );
    let memory = format!("sys/fs/cgroup/memory/{THIS_MEMORY_OWN}/berth/c");
    assert_eq!(
        h.writes_in(&m, &memory),
        pairs(&[("memory.limit_in_bytes", "67108864")])
    );
    assert_eq!(
        h.writes_in(&m, "sys/fs/cgroup/pids/berth/c"),
        pairs(&[("pids.max", "20")])
    );
    assert_eq!(
        h.writes_in(&m, "sys/fs/cgroup/cpu/berth/c"),
        pairs(&[("cpu.shares", "256")])
    );
    assert_eq!(
        h.writes_in(&m, UNIFIED_LEAF),
        pairs(&[("hugetlb.2MB.max", "0"), ("hugetlb.2MB.rsvd.max", "0")])
    );
    assert_eq!(
        h.writes_to(&m, "cgroup.subtree_control"),
        pairs(&[
            ("sys/fs/cgroup/unified/cgroup.subtree_control", "+hugetlb"),
            (
                "sys/fs/cgroup/unified/berth/cgroup.subtree_control",
                "+hugetlb"
            ),
        ])
    );
    assert!(h.path("sys/fs/cgroup/systemd/berth/c").is_dir());
}

#[test]
fn add_pid_places_the_process_everywhere() {
    let h = hybrid_host();
    let m = h.created(None);
    m.add_pid(31337).expect("add");
    let mut dirs: Vec<String> = h
        .writes_to(&m, "cgroup.procs")
        .into_iter()
        .map(|(p, v)| {
            assert_eq!(v, "31337");
            p.trim_start_matches("sys/fs/cgroup/")
                .trim_end_matches("/cgroup.procs")
                .to_string()
        })
        .collect();
    dirs.sort();
    let mut want = vec![
        "blkio/berth/c",
        "cpu/berth/c",
        "cpuacct/berth/c",
        "cpuset/berth/c",
        "devices/berth/c",
        "freezer/berth/c",
        "pids/berth/c",
        "systemd/berth/c",
        "unified/berth/c",
    ];
    let memory = format!("memory/{THIS_MEMORY_OWN}/berth/c");
    want.push(&memory);
    want.sort();
    assert_eq!(dirs, want);
}

#[test]
fn unified_keys_only_for_controllers_the_unified_tree_has() {
    let h = hybrid_host();
    let m = h.mgr(None, "c").expect("manager");
    m.create(Some(&res(r#"{"unified": {"hugetlb.1GB.max": "0"}}"#)))
        .expect("hugetlb is in unified");
    assert_eq!(
        h.writes_in(&m, UNIFIED_LEAF),
        pairs(&[("hugetlb.1GB.max", "0")])
    );
    let err = m
        .update(&res(r#"{"unified": {"memory.high": "1000"}}"#))
        .expect_err("memory is v1 here")
        .to_string();
    assert!(err.contains("controller \"memory\" is not available in the unified hierarchy (it is bound to cgroup v1 on this host)"), "{err}");
    let err = m
        .update(&res(r#"{"unified": {"memory.pressure": "x"}}"#))
        .expect_err("psi file, no controller")
        .to_string();
    assert!(err.contains("\"memory\" is not available"), "{err}");
}

#[test]
fn hybrid_without_hugetlb_anywhere_fails_clearly() {
    let h = hybrid_host();
    h.put("sys/fs/cgroup/unified/cgroup.controllers", "");
    for f in ["hugetlb.2MB.max", "hugetlb.2MB.rsvd.max", "hugetlb.1GB.max"] {
        std::fs::remove_file(h.path(&format!("sys/fs/cgroup/unified/{f}"))).expect("rm");
    }
    let m = h.created(None);
    assert!(
        h.writes_to(&m, "cgroup.subtree_control").is_empty(),
        "nothing to enable"
    );
    let err = m
        .update(&res(
            r#"{"hugepageLimits": [{"pageSize": "2MB", "limit": 0}]}"#,
        ))
        .expect_err("no hugetlb")
        .to_string();
    assert!(err.contains("write 0 to hugetlb.2MB.max: No such file or directory (this kernel or cgroup has no such file"), "{err}");
}

#[test]
fn freeze_uses_v1_and_destroy_cleans_everything() {
    let h = hybrid_host();
    let m = h.created(None);
    m.set_frozen(true).expect("freeze");
    assert_eq!(
        h.read("sys/fs/cgroup/freezer/berth/c/freezer.state"),
        "FROZEN"
    );
    assert_eq!(
        h.read(&format!("{UNIFIED_LEAF}/cgroup.freeze")),
        "",
        "unified untouched"
    );
    m.set_frozen(false).expect("thaw");
    m.destroy().expect("destroy");
    for d in [
        "cpu", "cpuacct", "cpuset", "devices", "freezer", "blkio", "pids", "systemd", "unified",
    ] {
        assert!(
            !h.path(&format!("sys/fs/cgroup/{d}/berth/c")).exists(),
            "{d}"
        );
    }
    assert!(!h
        .path(&format!("sys/fs/cgroup/memory/{THIS_MEMORY_OWN}/berth/c"))
        .exists());
    let st = m.stats();
    assert!(st.is_err(), "gone");
}
