//! Pure v1 fake tree: directory creation and every resource's exact writes.

use super::{pairs, res, v1_host};

const MEM: &str = "sys/fs/cgroup/memory/user.slice/berth/c";
const CPU: &str = "sys/fs/cgroup/cpu,cpuacct/berth/c";

#[test]
fn create_makes_every_directory_and_initialises_cpuset() {
    let h = v1_host();
    let m = h.created(None);
    for d in [
        "cpu,cpuacct",
        "cpuset",
        "memory/user.slice",
        "devices",
        "freezer",
        "blkio",
        "pids",
        "net_cls,net_prio",
        "hugetlb",
        "rdma",
        "systemd/user.slice/session-1.scope",
    ] {
        assert!(
            h.path(&format!("sys/fs/cgroup/{d}/berth/c")).is_dir(),
            "{d}"
        );
    }
    assert_eq!(h.read("sys/fs/cgroup/cpuset/berth/cpuset.cpus"), "0-3");
    assert_eq!(h.read("sys/fs/cgroup/cpuset/berth/c/cpuset.mems"), "0");
    let w = h.writes(&m);
    assert_eq!(
        w,
        pairs(&[
            ("sys/fs/cgroup/cpuset/berth/cpuset.cpus", "0-3"),
            ("sys/fs/cgroup/cpuset/berth/cpuset.mems", "0"),
            ("sys/fs/cgroup/cpuset/berth/c/cpuset.cpus", "0-3"),
            ("sys/fs/cgroup/cpuset/berth/c/cpuset.mems", "0"),
        ]),
        "nothing but cpuset initialisation without resources"
    );
    // Running create again (existing dirs, cpuset already set) writes nothing new.
    m.create(None).expect("create again");
    assert_eq!(h.writes(&m).len(), 4);
}

#[test]
fn memory_every_field() {
    let h = v1_host();
    let r = res(
        r#"{"memory": {"limit": 1048576, "reservation": 524288, "swap": 2097152, "kernel": 4096, "kernelTCP": 8192,
        "swappiness": 10, "disableOOMKiller": true, "useHierarchy": true}}"#,
    );
    let m = h.created(Some(&r));
    assert_eq!(
        h.writes_in(&m, MEM),
        pairs(&[
            ("memory.use_hierarchy", "1"),
            ("memory.limit_in_bytes", "1048576"),
            ("memory.memsw.limit_in_bytes", "2097152"),
            ("memory.kmem.limit_in_bytes", "4096"),
            ("memory.kmem.tcp.limit_in_bytes", "8192"),
            ("memory.soft_limit_in_bytes", "524288"),
            ("memory.oom_control", "1"),
            ("memory.swappiness", "10"),
        ])
    );
}

#[test]
fn memory_swap_goes_first_when_raising_above_the_current_limit() {
    let h = v1_host();
    let m = h.created(None);
    h.put(&format!("{MEM}/memory.limit_in_bytes"), "1000\n");
    m.update(&res(r#"{"memory": {"limit": 2000, "swap": 4000}}"#))
        .expect("update");
    assert_eq!(
        h.writes_in(&m, MEM),
        pairs(&[
            ("memory.memsw.limit_in_bytes", "4000"),
            ("memory.limit_in_bytes", "2000")
        ])
    );
}

#[test]
fn memory_unlimited_also_unlimits_swap() {
    let h = v1_host();
    let m = h.created(Some(&res(r#"{"memory": {"limit": -1}}"#)));
    assert_eq!(
        h.writes_in(&m, MEM),
        pairs(&[
            ("memory.memsw.limit_in_bytes", "-1"),
            ("memory.limit_in_bytes", "-1")
        ])
    );
}

#[test]
fn memory_unset_values_write_nothing() {
    let h = v1_host();
    let r = res(
        r#"{"memory": {"limit": 0, "swappiness": 18446744073709551615}, "cpu": {}, "pids": {"limit": 0}, "blockIO": {}, "network": {}}"#,
    );
    let m = h.created(Some(&r));
    assert!(
        h.writes(&m).iter().all(|(p, _)| p.contains("cpuset")),
        "{:?}",
        h.writes(&m)
    );
}

#[test]
fn memory_bad_swappiness_and_missing_files() {
    let h = v1_host();
    let m = h.created(None);
    let err = m
        .update(&res(r#"{"memory": {"swappiness": 101}}"#))
        .expect_err("swappiness")
        .to_string();
    assert!(err.contains("invalid memory swappiness 101"), "{err}");
    // Kernel memory is deprecated: a kernel without the file is not an error.
    std::fs::remove_file(h.path(&format!("{MEM}/memory.kmem.limit_in_bytes"))).expect("rm");
    m.update(&res(r#"{"memory": {"kernel": 4096}}"#))
        .expect("kmem ignored");
    // Swap accounting off: asking for swap is an error naming the file.
    std::fs::remove_file(h.path(&format!("{MEM}/memory.memsw.limit_in_bytes"))).expect("rm");
    let err = m
        .update(&res(r#"{"memory": {"limit": 100, "swap": 200}}"#))
        .expect_err("memsw")
        .to_string();
    assert!(
        err.contains("write 200 to memory.memsw.limit_in_bytes: No such file or directory"),
        "{err}"
    );
    assert!(
        err.starts_with(&format!("cgroup {}: ", h.path(MEM).display())),
        "{err}"
    );
}

#[test]
fn write_error_names_dir_file_value_and_errno() {
    let h = v1_host();
    let m = h.created(None);
    // A directory in place of the file makes the kernel-like open fail with EISDIR.
    std::fs::remove_file(h.path(&format!("{MEM}/memory.limit_in_bytes"))).expect("rm");
    std::fs::create_dir(h.path(&format!("{MEM}/memory.limit_in_bytes"))).expect("mkdir");
    let err = m
        .update(&res(r#"{"memory": {"limit": 12}}"#))
        .expect_err("write fails");
    let want = format!(
        "cgroup {}: write 12 to memory.limit_in_bytes: Is a directory",
        h.path(MEM).display()
    );
    assert_eq!(err.to_string(), want);
    assert!(matches!(err, crate::Error::Cgroup { .. }));
}

#[test]
fn cpu_every_field() {
    let h = v1_host();
    let r = res(
        r#"{"cpu": {"shares": 512, "quota": 50000, "period": 100000, "burst": 1000, "idle": 1,
        "realtimeRuntime": 950, "realtimePeriod": 1000, "cpus": "1-2", "mems": "0"}}"#,
    );
    let m = h.created(Some(&r));
    assert_eq!(
        h.writes_in(&m, CPU),
        pairs(&[
            ("cpu.shares", "512"),
            ("cpu.cfs_period_us", "100000"),
            ("cpu.cfs_burst_us", "1000"),
            ("cpu.cfs_quota_us", "50000"),
            ("cpu.idle", "1"),
            ("cpu.rt_period_us", "1000"),
            ("cpu.rt_runtime_us", "950"),
        ])
    );
    let cpuset = h.writes_in(&m, "sys/fs/cgroup/cpuset/berth/c");
    assert_eq!(
        cpuset,
        pairs(&[
            ("cpuset.cpus", "0-3"),
            ("cpuset.mems", "0"),
            ("cpuset.cpus", "1-2"),
            ("cpuset.mems", "0")
        ])
    );
}

#[test]
fn cpu_missing_burst_file_is_ignored_like_runc() {
    let h = v1_host();
    let m = h.created(None);
    std::fs::remove_file(h.path(&format!("{CPU}/cpu.cfs_burst_us"))).expect("rm");
    m.update(&res(r#"{"cpu": {"burst": 10, "quota": 20000}}"#))
        .expect("update");
    assert_eq!(
        h.writes_in(&m, CPU),
        pairs(&[("cpu.cfs_quota_us", "20000")])
    );
}

#[test]
fn pids_limit() {
    let h = v1_host();
    let m = h.created(Some(&res(r#"{"pids": {"limit": 100}}"#)));
    m.update(&res(r#"{"pids": {"limit": -1}}"#))
        .expect("update");
    assert_eq!(
        h.writes_in(&m, "sys/fs/cgroup/pids/berth/c"),
        pairs(&[("pids.max", "100"), ("pids.max", "max")])
    );
}

#[test]
fn blkio_every_field() {
    let h = v1_host();
    let r = res(r#"{"blockIO": {"weight": 500, "leafWeight": 300,
        "weightDevice": [{"major": 8, "minor": 0, "weight": 600, "leafWeight": 200}],
        "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
        "throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 2097152}],
        "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 100}],
        "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 0}]}}"#);
    let m = h.created(Some(&r));
    assert_eq!(
        h.writes_in(&m, "sys/fs/cgroup/blkio/berth/c"),
        pairs(&[
            ("blkio.weight", "500"),
            ("blkio.leaf_weight", "300"),
            ("blkio.weight_device", "8:0 600"),
            ("blkio.leaf_weight_device", "8:0 200"),
            ("blkio.throttle.read_bps_device", "8:0 1048576"),
            ("blkio.throttle.write_bps_device", "8:16 2097152"),
            ("blkio.throttle.read_iops_device", "8:0 100"),
            ("blkio.throttle.write_iops_device", "8:0 0"),
        ])
    );
}

#[test]
fn blkio_weight_uses_bfq_when_cfq_is_absent_and_errors_when_neither_exists() {
    let h = v1_host();
    let blkio = "sys/fs/cgroup/blkio";
    std::fs::remove_file(h.path(&format!("{blkio}/blkio.weight"))).expect("rm");
    h.put(&format!("{blkio}/blkio.bfq.weight"), "100");
    let m = h.created(Some(&res(r#"{"blockIO": {"weight": 700}}"#)));
    assert_eq!(
        h.writes_in(&m, &format!("{blkio}/berth/c")),
        pairs(&[("blkio.bfq.weight", "700")])
    );
    std::fs::remove_file(h.path(&format!("{blkio}/berth/c/blkio.bfq.weight"))).expect("rm");
    let err = m
        .update(&res(r#"{"blockIO": {"weight": 700}}"#))
        .expect_err("no weight file")
        .to_string();
    assert!(
        err.contains("write 700 to blkio.bfq.weight: No such file or directory (this kernel"),
        "{err}"
    );
}
