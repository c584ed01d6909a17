//! Pure v1 fake tree: hugetlb, devices, network, rdma, unified, and the lifecycle (add_pid,
//! pids, freeze, destroy, stats).

use super::super::devices::DEFAULT_ALLOWED;
use super::{pairs, res, v1_host};

#[test]
fn hugetlb_limits_and_hostile_page_size() {
    let h = v1_host();
    let r = res(
        r#"{"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}, {"pageSize": "1GB", "limit": 0}]}"#,
    );
    let m = h.created(Some(&r));
    assert_eq!(
        h.writes_in(&m, "sys/fs/cgroup/hugetlb/berth/c"),
        pairs(&[
            ("hugetlb.2MB.limit_in_bytes", "4194304"),
            ("hugetlb.2MB.rsvd.limit_in_bytes", "4194304"),
            ("hugetlb.1GB.limit_in_bytes", "0"),
        ])
    );
    let err = m
        .update(&res(
            r#"{"hugepageLimits": [{"pageSize": "../../x", "limit": 1}]}"#,
        ))
        .expect_err("hostile")
        .to_string();
    assert!(err.contains("invalid hugepage size"), "{err}");
    let err = m
        .update(&res(
            r#"{"hugepageLimits": [{"pageSize": "16KB", "limit": 1}]}"#,
        ))
        .expect_err("unknown size")
        .to_string();
    assert!(
        err.contains("hugetlb.16KB.limit_in_bytes: No such file or directory"),
        "{err}"
    );
}

#[test]
fn devices_deny_all_then_rules_in_order_then_defaults() {
    let h = v1_host();
    let r = res(r#"{"devices": [
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"},
        {"allow": true, "type": "b", "major": 8, "access": "r"},
        {"allow": true, "type": "u", "major": -1, "minor": 5},
        {"allow": false, "type": "c", "major": 10, "minor": 200, "access": "m"}]}"#);
    let m = h.created(Some(&r));
    let mut want = pairs(&[
        ("devices.deny", "a"),
        ("devices.deny", "a *:* rwm"),
        ("devices.allow", "c 1:3 rw"),
        ("devices.allow", "b 8:* r"),
        ("devices.allow", "c *:5 rwm"),
        ("devices.deny", "c 10:200 m"),
    ]);
    want.extend(
        DEFAULT_ALLOWED
            .iter()
            .map(|r| ("devices.allow".to_string(), r.line())),
    );
    assert_eq!(h.writes_in(&m, "sys/fs/cgroup/devices/berth/c"), want);
}

#[test]
fn bad_device_rules_write_nothing() {
    let h = v1_host();
    let m = h.created(None);
    let before = h.writes(&m).len();
    for bad in [
        r#"{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwx\na"}"#,
        r#"{"allow": true, "type": "p", "access": "r"}"#,
    ] {
        let err = m
            .update(&res(&format!(
                r#"{{"devices": [{{"allow": false}}, {bad}]}}"#
            )))
            .expect_err(bad)
            .to_string();
        assert!(err.contains("device rule"), "{err}");
    }
    assert_eq!(h.writes(&m).len(), before);
}

#[test]
fn network_class_and_priorities() {
    let h = v1_host();
    let r = res(
        r#"{"network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}, {"name": "lo", "priority": 2}]}}"#,
    );
    let m = h.created(Some(&r));
    assert_eq!(
        h.writes_in(&m, "sys/fs/cgroup/net_cls,net_prio/berth/c"),
        pairs(&[
            ("net_cls.classid", "1048577"),
            ("net_prio.ifpriomap", "eth0 5"),
            ("net_prio.ifpriomap", "lo 2"),
        ])
    );
    let err = m
        .update(&res(
            r#"{"network": {"priorities": [{"name": "eth0 1\nlo", "priority": 5}]}}"#,
        ))
        .expect_err("bad name");
    assert!(err.to_string().contains("invalid interface name"), "{err}");
}

#[test]
fn rdma_limits() {
    let h = v1_host();
    let r = res(
        r#"{"rdma": {"mlx5_1": {"hcaHandles": 3}, "mlx5_0": {"hcaHandles": 2, "hcaObjects": 100}, "mlx5_2": {}}}"#,
    );
    let m = h.created(Some(&r));
    assert_eq!(
        h.writes_in(&m, "sys/fs/cgroup/rdma/berth/c"),
        pairs(&[
            ("rdma.max", "mlx5_0 hca_handle=2 hca_object=100"),
            ("rdma.max", "mlx5_1 hca_handle=3"),
        ])
    );
}

#[test]
fn unified_resources_need_cgroup2() {
    let h = v1_host();
    let m = h.mgr(None, "c").expect("manager");
    let err = m
        .create(Some(&res(r#"{"unified": {"memory.high": "1000"}}"#)))
        .expect_err("v1 only")
        .to_string();
    assert!(err.contains("needs cgroup v2"), "{err}");
}

#[test]
fn missing_controller_is_an_error_only_when_used() {
    let h = v1_host();
    // A host without the pids and net_cls controllers.
    let mountinfo: String = h
        .mountinfo
        .lines()
        .filter(|l| !l.contains("pids") && !l.contains("net_cls"))
        .map(|l| format!("{l}\n"))
        .collect();
    let m = super::super::CgroupManager::with_fs(&mountinfo, &h.self_cgroup, h.root(), None, "c")
        .expect("manager");
    m.create(Some(&res(r#"{"pids": {"limit": 0}, "network": {}}"#)))
        .expect("nothing asked");
    let err = m
        .update(&res(r#"{"pids": {"limit": 10}}"#))
        .expect_err("pids")
        .to_string();
    assert!(err.contains("the pids controller is not mounted"), "{err}");
    let err = m
        .update(&res(r#"{"network": {"classID": 1}}"#))
        .expect_err("net_cls")
        .to_string();
    assert!(
        err.contains("the net_cls controller is not mounted"),
        "{err}"
    );
}

#[test]
fn add_pid_writes_each_hierarchy_once() {
    let h = v1_host();
    let m = h.created(None);
    m.add_pid(4242).expect("add");
    let procs = h.writes_to(&m, "cgroup.procs");
    assert_eq!(
        procs.len(),
        11,
        "one per hierarchy, co-mounted once: {procs:?}"
    );
    assert!(procs.iter().all(|(_, v)| v == "4242"));
    assert!(
        procs
            .iter()
            .any(|(p, _)| p
                == "sys/fs/cgroup/systemd/user.slice/session-1.scope/berth/c/cgroup.procs")
    );
    assert!(
        m.clone_into_fd().is_none(),
        "v1 never uses CLONE_INTO_CGROUP"
    );
}

#[test]
fn named_hierarchy_is_best_effort() {
    let h = v1_host();
    let m = h.mgr(None, "c").expect("manager");
    // Make the named hierarchy unusable: a file where its directory should go.
    std::fs::write(
        h.path("sys/fs/cgroup/systemd/user.slice/session-1.scope/berth"),
        "",
    )
    .expect("block");
    m.create(None).expect("create ignores name=systemd");
    m.add_pid(4242).expect("add ignores name=systemd");
    m.destroy().expect("destroy ignores name=systemd");
}

#[test]
fn pids_include_sub_cgroups_sorted() {
    let h = v1_host();
    let m = h.created(None);
    let pids = "sys/fs/cgroup/pids/berth/c";
    h.put(&format!("{pids}/cgroup.procs"), "30\n10\n");
    h.dir_with(
        &format!("{pids}/sub/deeper"),
        &[("cgroup.procs", "20\n10\n")],
    );
    assert_eq!(m.pids().expect("pids"), vec![10, 20, 30]);
}

#[test]
fn freeze_and_thaw() {
    let h = v1_host();
    let m = h.created(None);
    m.set_frozen(true).expect("freeze");
    assert!(m.is_frozen().expect("state"));
    m.set_frozen(false).expect("thaw");
    assert!(!m.is_frozen().expect("state"));
    assert_eq!(
        h.writes_in(&m, "sys/fs/cgroup/freezer/berth/c"),
        pairs(&[("freezer.state", "FROZEN"), ("freezer.state", "THAWED")])
    );
}

#[test]
fn destroy_kills_removes_leaves_and_is_idempotent() {
    let h = v1_host();
    let m = h.created(None);
    h.put("sys/fs/cgroup/pids/berth/c/cgroup.procs", "999999\n");
    h.dir_with(
        "sys/fs/cgroup/memory/user.slice/berth/c/sub",
        &[("cgroup.procs", "999998\n")],
    );
    m.destroy().expect("destroy");
    let kills: Vec<String> = h
        .writes(&m)
        .into_iter()
        .filter(|(p, _)| p == "kill")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(
        kills,
        ["999998", "999999"],
        "recorded, not sent, in fake mode"
    );
    for d in [
        "cpu,cpuacct",
        "cpuset",
        "memory/user.slice",
        "devices",
        "freezer",
        "pids",
        "systemd/user.slice/session-1.scope",
    ] {
        assert!(
            !h.path(&format!("sys/fs/cgroup/{d}/berth/c")).exists(),
            "{d} removed"
        );
        assert!(
            h.path(&format!("sys/fs/cgroup/{d}/berth")).is_dir(),
            "{d} parent kept"
        );
    }
    m.destroy().expect("second destroy is a no-op");
    let never = h.mgr(None, "never-created").expect("manager");
    never.destroy().expect("destroy of nothing");
}

#[test]
fn a_populated_or_frozen_cgroup_is_refused() {
    let h = v1_host();
    h.v1_dir("sys/fs/cgroup/pids/busy", &[("pids.max", "max")]);
    h.put("sys/fs/cgroup/pids/busy/cgroup.procs", "1\n");
    let err = h
        .mgr(Some("/busy"), "x")
        .expect_err("populated")
        .to_string();
    assert!(
        err.contains("cgroup is not empty: 1 process(es) found"),
        "{err}"
    );
    h.v1_dir("sys/fs/cgroup/pids/cold", &[]);
    h.v1_dir("sys/fs/cgroup/freezer/cold", &[("freezer.state", "FROZEN")]);
    let err = h.mgr(Some("/cold"), "x").expect_err("frozen").to_string();
    assert!(err.contains("unexpectedly frozen"), "{err}");
}

#[test]
fn stats_v1() {
    let h = v1_host();
    let m = h.mgr(None, "c").expect("manager");
    assert!(m.stats().is_err(), "no cgroup yet");
    m.create(Some(&res(r#"{"memory": {"limit": 1048576}}"#)))
        .expect("create");
    h.put(
        "sys/fs/cgroup/memory/user.slice/berth/c/memory.usage_in_bytes",
        "4096\n",
    );
    h.put("sys/fs/cgroup/cpu,cpuacct/berth/c/cpuacct.usage", "5000\n");
    h.put("sys/fs/cgroup/pids/berth/c/pids.current", "2\n");
    let st = m.stats().expect("stats");
    assert_eq!(st.memory_usage, Some(4096));
    assert_eq!(st.memory_limit, Some(1048576));
    assert_eq!(st.cpu_usage_ns, Some(5000));
    assert_eq!(st.pids_current, Some(2));
    h.put(
        "sys/fs/cgroup/memory/user.slice/berth/c/memory.limit_in_bytes",
        "9223372036854771712\n",
    );
    assert_eq!(m.stats().expect("stats").memory_limit, None, "unlimited");
}
