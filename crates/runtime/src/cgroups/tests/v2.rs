//! Pure v2 fake tree: controller enabling, every resource's conversion and writes, freezing,
//! CLONE_INTO_CGROUP, destroy and stats.

use super::super::resources_v2::{blkio_to_io_weight, shares_to_weight, swap_to_v2};
use super::{pairs, res, v2_host};

const LEAF: &str = "sys/fs/cgroup/user.slice/session-1.scope/berth/c";
const ALL: &str = "+cpuset +cpu +io +memory +hugetlb +pids +rdma";

#[test]
fn create_enables_controllers_in_every_ancestor() {
    let h = v2_host();
    let m = h.created(None);
    assert!(h.path(LEAF).is_dir());
    assert_eq!(
        h.writes_to(&m, "cgroup.subtree_control"),
        pairs(&[
            ("sys/fs/cgroup/cgroup.subtree_control", ALL),
            ("sys/fs/cgroup/user.slice/cgroup.subtree_control", ALL),
            (
                "sys/fs/cgroup/user.slice/session-1.scope/cgroup.subtree_control",
                ALL
            ),
            (
                "sys/fs/cgroup/user.slice/session-1.scope/berth/cgroup.subtree_control",
                ALL
            ),
        ])
    );
    assert_eq!(h.writes(&m).len(), 4, "nothing else without resources");
    let fd = m.clone_into_fd().expect("pure v2 gives a cgroup fd");
    drop(fd);
}

#[test]
fn controllers_already_enabled_are_not_rewritten() {
    let h = v2_host();
    h.put(
        "sys/fs/cgroup/cgroup.subtree_control",
        "cpuset cpu io memory hugetlb pids rdma",
    );
    h.put(
        "sys/fs/cgroup/user.slice/cgroup.subtree_control",
        "cpu memory",
    );
    let m = h.created(None);
    let w = h.writes_to(&m, "cgroup.subtree_control");
    assert_eq!(
        w[0],
        (
            "sys/fs/cgroup/user.slice/cgroup.subtree_control".into(),
            "+cpuset +io +hugetlb +pids +rdma".into()
        )
    );
    assert_eq!(w.len(), 3);
}

#[test]
fn conversions() {
    assert_eq!(shares_to_weight(2), 1);
    assert_eq!(shares_to_weight(1024), 39);
    assert_eq!(shares_to_weight(262_144), 10_000);
    assert_eq!(shares_to_weight(1), 1, "clamped, no underflow");
    assert_eq!(shares_to_weight(u64::MAX), 10_000);
    assert_eq!(blkio_to_io_weight(10), 1);
    assert_eq!(blkio_to_io_weight(500), 4950);
    assert_eq!(blkio_to_io_weight(1000), 10_000);
    assert_eq!(swap_to_v2(3000, 1000), Ok(2000));
    assert_eq!(swap_to_v2(1000, 1000), Ok(0));
    assert_eq!(swap_to_v2(0, -1), Ok(-1));
    assert_eq!(swap_to_v2(-1, 1000), Ok(-1));
    assert_eq!(swap_to_v2(0, 1000), Ok(0));
    assert!(swap_to_v2(500, 1000).is_err());
    assert!(swap_to_v2(500, 0).is_err());
    assert!(swap_to_v2(500, -5).is_err());
}

#[test]
fn memory_v2() {
    let h = v2_host();
    let r = res(
        r#"{"memory": {"limit": 1000, "swap": 3000, "reservation": 500, "swappiness": 10, "disableOOMKiller": true, "kernel": 5, "useHierarchy": true}}"#,
    );
    let m = h.created(Some(&r));
    assert_eq!(
        h.writes_in(&m, LEAF),
        pairs(&[
            ("memory.swap.max", "2000"),
            ("memory.max", "1000"),
            ("memory.low", "500")
        ])
    );
    m.update(&res(r#"{"memory": {"limit": 2000, "swap": 2000}}"#))
        .expect("no swap");
    m.update(&res(r#"{"memory": {"limit": -1}}"#))
        .expect("unlimited");
    assert_eq!(
        h.writes_in(&m, LEAF)[3..].to_vec(),
        pairs(&[
            ("memory.swap.max", "0"),
            ("memory.max", "2000"),
            ("memory.swap.max", "max"),
            ("memory.max", "max"),
        ])
    );
    let err = m
        .update(&res(r#"{"memory": {"swap": 100}}"#))
        .expect_err("swap alone")
        .to_string();
    assert!(
        err.contains("unable to set swap limit without memory limit"),
        "{err}"
    );
    // No swap on this kernel: unlimiting or disabling swap is fine, a real swap limit is not.
    std::fs::remove_file(h.path(&format!("{LEAF}/memory.swap.max"))).expect("rm");
    m.update(&res(r#"{"memory": {"limit": 100, "swap": 100}}"#))
        .expect("swap 0 without file");
    let err = m
        .update(&res(r#"{"memory": {"limit": 100, "swap": 300}}"#))
        .expect_err("swap 200")
        .to_string();
    assert!(
        err.contains("write 200 to memory.swap.max: No such file"),
        "{err}"
    );
}

#[test]
fn memory_check_before_update() {
    let h = v2_host();
    let m = h.created(None);
    h.put(&format!("{LEAF}/memory.current"), "5000\n");
    let err = m
        .update(&res(
            r#"{"memory": {"limit": 4000, "checkBeforeUpdate": true}}"#,
        ))
        .expect_err("below usage")
        .to_string();
    assert!(err.contains("not above current usage 5000"), "{err}");
    m.update(&res(r#"{"memory": {"limit": 4000}}"#))
        .expect("unchecked");
}

#[test]
fn cpu_v2() {
    let h = v2_host();
    let r = res(
        r#"{"cpu": {"shares": 1024, "quota": 50000, "period": 200000, "burst": 1000, "idle": 0, "cpus": "0-1", "mems": "0"}}"#,
    );
    let m = h.created(Some(&r));
    assert_eq!(
        h.writes_in(&m, LEAF),
        pairs(&[
            ("cpuset.cpus", "0-1"),
            ("cpuset.mems", "0"),
            ("cpu.idle", "0"),
            ("cpu.weight", "39"),
            ("cpu.max.burst", "1000"),
            ("cpu.max", "50000 200000"),
        ])
    );
    m.update(&res(r#"{"cpu": {"quota": -1}}"#))
        .expect("unlimited");
    m.update(&res(r#"{"cpu": {"period": 250000}}"#))
        .expect("period only");
    let w = h.writes_in(&m, LEAF);
    assert_eq!(
        w[6..].to_vec(),
        pairs(&[("cpu.max", "max 100000"), ("cpu.max", "max 250000")])
    );
    let err = m
        .update(&res(r#"{"cpu": {"realtimeRuntime": 100}}"#))
        .expect_err("rt")
        .to_string();
    assert!(err.contains("real-time"), "{err}");
}

#[test]
fn pids_io_hugetlb_rdma_v2() {
    let h = v2_host();
    let r = res(
        r#"{"pids": {"limit": 64}, "blockIO": {"weight": 500, "weightDevice": [{"major": 8, "minor": 0, "weight": 100}],
        "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1000}], "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 7}]},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}, {"pageSize": "1GB", "limit": 0}],
        "rdma": {"mlx5_0": {"hcaObjects": 9}}}"#,
    );
    let m = h.created(Some(&r));
    assert_eq!(
        h.writes_in(&m, LEAF),
        pairs(&[
            ("pids.max", "64"),
            ("io.weight", "4950"),
            ("io.max", "8:0 rbps=1000"),
            ("io.max", "8:16 wiops=7"),
            ("hugetlb.2MB.max", "2097152"),
            ("hugetlb.2MB.rsvd.max", "2097152"),
            ("hugetlb.1GB.max", "0"),
            ("rdma.max", "mlx5_0 hca_object=9"),
        ]),
        "per-device weights need BFQ on v2 (as runc)"
    );
}

#[test]
fn io_uses_bfq_when_present() {
    let h = v2_host();
    h.put(
        "sys/fs/cgroup/user.slice/session-1.scope/io.bfq.weight",
        "default 100",
    );
    let m = h.created(Some(&res(r#"{"blockIO": {"weight": 500, "weightDevice": [{"major": 8, "minor": 0, "weight": 100}]}}"#)));
    assert_eq!(
        h.writes_in(&m, LEAF),
        pairs(&[("io.bfq.weight", "500"), ("io.bfq.weight", "8:0 100")])
    );
}

#[test]
fn unified_map_v2() {
    let h = v2_host();
    let m = h.mgr(None, "c").expect("manager");
    let r = res(
        r#"{"unified": {"memory.high": "123456", "io.max": "8:0 rbps=1\n8:16 wbps=2\n", "cgroup.max.depth": "3"}}"#,
    );
    h.put(
        "sys/fs/cgroup/user.slice/session-1.scope/cgroup.max.depth",
        "max",
    );
    m.create(Some(&r)).expect("create");
    assert_eq!(
        h.writes_in(&m, LEAF),
        pairs(&[
            ("cgroup.max.depth", "3"),
            ("io.max", "8:0 rbps=1"),
            ("io.max", "8:16 wbps=2"),
            ("memory.high", "123456"),
        ])
    );
    for (key, want) in [
        ("../escape", "invalid unified resource"),
        ("a/b", "invalid unified resource"),
        ("nodot", "CONTROLLER.PARAMETER"),
        ("foo.bar", "controller \"foo\" is not available"),
    ] {
        let err = m
            .update(&res(&format!(r#"{{"unified": {{"{key}": "1"}}}}"#)))
            .expect_err(key)
            .to_string();
        assert!(err.contains(want), "{key}: {err}");
    }
}

#[test]
fn devices_become_a_bpf_program_on_v2_and_network_is_ignored() {
    let h = v2_host();
    let r = res(
        r#"{"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "b", "major": 8, "minor": 0, "access": "r"}],
        "network": {"classID": 5}}"#,
    );
    let m = h.created(Some(&r));
    let w = h.writes_in(&m, LEAF);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].0, "<bpf device program>");
    assert!(
        w[0].1.starts_with(
            "default deny; allow b 8:0 r; allow c *:* m; allow b *:* m; allow c 1:3 rwm"
        ),
        "{}",
        w[0].1
    );
}

#[test]
fn add_pid_freeze_destroy_stats_v2() {
    let h = v2_host();
    let m = h.created(None);
    m.add_pid(777).expect("add");
    assert_eq!(
        h.writes_to(&m, "cgroup.procs"),
        pairs(&[(&format!("{LEAF}/cgroup.procs"), "777")])
    );
    h.put(&format!("{LEAF}/cgroup.events"), "populated 1\nfrozen 1\n");
    m.set_frozen(true).expect("freeze");
    assert!(m.is_frozen().expect("state"));
    h.put(&format!("{LEAF}/cgroup.events"), "populated 1\nfrozen 0\n");
    m.set_frozen(false).expect("thaw");
    assert!(!m.is_frozen().expect("state"));
    h.put(&format!("{LEAF}/memory.current"), "8192");
    h.put(&format!("{LEAF}/memory.max"), "max");
    h.put(
        &format!("{LEAF}/cpu.stat"),
        "usage_usec 1500\nuser_usec 1000\n",
    );
    h.put(&format!("{LEAF}/pids.current"), "1");
    let st = m.stats().expect("stats");
    assert_eq!(
        (
            st.memory_usage,
            st.memory_limit,
            st.cpu_usage_ns,
            st.pids_current
        ),
        (Some(8192), None, Some(1_500_000), Some(1))
    );
    m.destroy().expect("destroy");
    assert!(
        h.writes_in(&m, LEAF)
            .contains(&("cgroup.kill".into(), "1".into())),
        "cgroup.kill used on v2"
    );
    assert!(!h.path(LEAF).exists());
    m.destroy().expect("idempotent");
}

#[test]
fn v2_freeze_times_out_and_thaws_back() {
    let h = v2_host();
    let m = h.created(None);
    // cgroup.events never reports frozen: a bounded wait, then an error and a thaw.
    h.put(&format!("{LEAF}/cgroup.events"), "populated 1\nfrozen 0\n");
    let err = m.set_frozen(true).expect_err("timeout").to_string();
    assert!(err.contains("did not report frozen 1"), "{err}");
    assert_eq!(h.read(&format!("{LEAF}/cgroup.freeze")), "0");
}
