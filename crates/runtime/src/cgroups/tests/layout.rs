//! Layout detection and cgroupsPath resolution.

use std::path::{Path, PathBuf};

use super::super::detect::{Layout, LayoutKind, OwnCgroups};
use super::super::path::{parse, CgroupsPath};
use super::{hybrid_host, v1_host, v2_host, THIS_MEMORY_OWN, THIS_MOUNTINFO, THIS_SELF_CGROUP};

#[test]
fn this_machine_is_hybrid() {
    let l = Layout::parse(THIS_MOUNTINFO);
    assert_eq!(l.kind(), Some(LayoutKind::Hybrid));
    let names: Vec<String> = l.v1.iter().map(|h| h.controllers.join(",")).collect();
    assert_eq!(
        names,
        [
            "cpu",
            "cpuacct",
            "cpuset",
            "memory",
            "devices",
            "freezer",
            "blkio",
            "pids",
            "name=systemd"
        ]
    );
    let u = l.unified.expect("unified");
    assert_eq!(u.mount_point, Path::new("/sys/fs/cgroup/unified"));
    assert!(u.controllers.is_empty());
    assert!(l.v1.iter().all(|h| h.mount_root == Path::new("/")));
    assert!(l.v1.last().expect("systemd").is_named());
}

#[test]
fn co_mounted_controllers_and_options() {
    let l = Layout::parse(&v1_host().mountinfo);
    assert_eq!(l.kind(), Some(LayoutKind::V1));
    let cpu = &l.v1[0];
    assert_eq!(cpu.controllers, ["cpu", "cpuacct"]);
    assert_eq!(cpu.mount_point, Path::new("/sys/fs/cgroup/cpu,cpuacct"));
    let systemd = l.v1.last().expect("systemd");
    assert_eq!(
        systemd.controllers,
        ["name=systemd"],
        "xattr and release_agent= are not controllers"
    );
}

#[test]
fn pure_v2_ignores_named_v1_and_bind_duplicates() {
    let text = "\
25 23 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate
26 25 0:40 / /sys/fs/cgroup/legacy\\040systemd rw - cgroup cgroup rw,none,name=systemd
";
    let l = Layout::parse(text);
    assert_eq!(l.kind(), Some(LayoutKind::V2));
    assert!(l.v1.is_empty());
    let dup = "\
34 31 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
90 31 0:31 /docker/x /mnt/memory\\040copy rw - cgroup cgroup rw,memory
";
    let l = Layout::parse(dup);
    assert_eq!(l.v1.len(), 1);
    assert_eq!(l.kind(), Some(LayoutKind::V1));
    assert_eq!(
        Layout::parse("1 2 3:4 / / rw - ext4 /dev/vda rw\ngarbage\n").kind(),
        None
    );
}

#[test]
fn mountinfo_escapes_and_mount_root() {
    let l = Layout::parse("50 31 0:31 /docker/abc /sys/fs/cgroup/my\\040mem rw shared:1 master:2 - cgroup cgroup rw,memory\n");
    assert_eq!(l.v1[0].mount_point, Path::new("/sys/fs/cgroup/my mem"));
    assert_eq!(l.v1[0].mount_root, Path::new("/docker/abc"));
}

#[test]
fn own_cgroups() {
    let own = OwnCgroups::parse(THIS_SELF_CGROUP);
    assert_eq!(own.v1["memory"], Path::new("/").join(THIS_MEMORY_OWN));
    assert_eq!(own.v1["name=systemd"], Path::new("/"));
    assert_eq!(own.unified.as_deref(), Some(Path::new("/")));
    let own = OwnCgroups::parse("2:cpu,cpuacct:/a:b\n");
    assert_eq!(
        own.v1["cpuacct"],
        Path::new("/a:b"),
        "the path may contain colons"
    );
}

#[test]
fn cgroups_path_forms() {
    assert_eq!(
        parse(None, "c1").ok(),
        Some(CgroupsPath::Relative("berth/c1".into()))
    );
    assert_eq!(
        parse(Some(""), "c1").ok(),
        Some(CgroupsPath::Relative("berth/c1".into()))
    );
    assert_eq!(
        parse(Some("/a/./b/"), "c").ok(),
        Some(CgroupsPath::Absolute("a/b".into()))
    );
    assert_eq!(
        parse(Some("a/b"), "c").ok(),
        Some(CgroupsPath::Relative("a/b".into()))
    );
    let sd = |s: &str| parse(Some(s), "c").ok();
    assert_eq!(
        sd("machine-foo.slice:docker:abc"),
        Some(CgroupsPath::Absolute(
            "machine.slice/machine-foo.slice/docker-abc.scope".into()
        ))
    );
    assert_eq!(
        sd(":crio:x"),
        Some(CgroupsPath::Absolute("system.slice/crio-x.scope".into()))
    );
    assert_eq!(
        sd("system.slice::x"),
        Some(CgroupsPath::Absolute("system.slice/x.scope".into()))
    );
    assert_eq!(
        sd("-.slice:p:k.slice"),
        Some(CgroupsPath::Absolute("k.slice".into()))
    );
}

#[test]
fn hostile_cgroups_paths_are_rejected() {
    for bad in [
        "/a/../../etc",
        "../x",
        "a/../../b",
        "/",
        ".",
        "//",
        "a\0b",
        "a--b.slice:p:n",
        "x.slice:p:",
        "foo:p:n/../../x",
        "bad:p:n",
    ] {
        let err = parse(Some(bad), "c").expect_err(bad).to_string();
        assert!(err.contains("linux.cgroupsPath"), "{bad}: {err}");
    }
    for id in ["", "..", ".", "a/b"] {
        assert!(parse(None, id).is_err(), "id {id:?}");
    }
}

#[test]
fn paths_on_this_machine() {
    let h = hybrid_host();
    let m = h.mgr(None, "c1").expect("manager");
    let cg = h.path("sys/fs/cgroup");
    let get = |c: &str| {
        m.paths
            .v1
            .iter()
            .find(|(n, _)| n == c)
            .map(|(_, p)| p.clone())
    };
    assert_eq!(get("cpu"), Some(cg.join("cpu/berth/c1")));
    assert_eq!(get("cpuacct"), Some(cg.join("cpuacct/berth/c1")));
    assert_eq!(
        get("memory"),
        Some(cg.join("memory").join(THIS_MEMORY_OWN).join("berth/c1"))
    );
    assert_eq!(get("name=systemd"), Some(cg.join("systemd/berth/c1")));
    assert_eq!(get("hugetlb"), None);
    assert_eq!(m.paths.unified, Some(cg.join("unified/berth/c1")));
    assert_eq!(m.paths.v1.len(), 9);
}

#[test]
fn absolute_and_relative_paths() {
    let h = v1_host();
    let cg = h.path("sys/fs/cgroup");
    let m = h.mgr(Some("/outer/c2"), "c2").expect("absolute");
    let get = |m: &super::CgroupManager, c: &str| {
        m.paths
            .v1
            .iter()
            .find(|(n, _)| n == c)
            .map(|(_, p)| p.clone())
    };
    assert_eq!(
        get(&m, "memory"),
        Some(cg.join("memory/outer/c2")),
        "absolute ignores our own cgroup"
    );
    assert_eq!(get(&m, "cpuacct"), Some(cg.join("cpu,cpuacct/outer/c2")));
    assert_eq!(m.paths.unified, None);
    let m = h.mgr(Some("inner/c3"), "c3").expect("relative");
    assert_eq!(
        get(&m, "memory"),
        Some(cg.join("memory/user.slice/inner/c3"))
    );
    assert_eq!(
        get(&m, "name=systemd"),
        Some(cg.join("systemd/user.slice/session-1.scope/inner/c3"))
    );
    assert_eq!(get(&m, "pids"), Some(cg.join("pids/inner/c3")));
    let v2 = v2_host();
    let m = v2.mgr(None, "c4").expect("v2");
    assert!(m.paths.v1.is_empty());
    assert_eq!(
        m.paths.unified,
        Some(v2.path("sys/fs/cgroup/user.slice/session-1.scope/berth/c4"))
    );
}

#[test]
fn relative_path_under_a_bind_mounted_subtree() {
    let h = super::FakeHost::new(
        "50 31 0:31 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
        "4:memory:/docker/abc/sub\n",
    );
    h.v1_dir("sys/fs/cgroup/memory", &[]);
    let m = h.mgr(Some("x"), "x").expect("manager");
    assert_eq!(m.paths.v1[0].1, h.path("sys/fs/cgroup/memory/sub/x"));
    // Our cgroup outside the mount's view: fall back to the mount root, never above it.
    let h2 = super::FakeHost::new(&h.mountinfo, "4:memory:/elsewhere\n");
    let m = h2.mgr(Some("x"), "x").expect("manager");
    assert_eq!(m.paths.v1[0].1, h2.path("sys/fs/cgroup/memory/x"));
    let _: PathBuf = m.paths.v1[0].1.clone();
}

#[test]
fn no_cgroup_mounts_is_an_error() {
    let h = super::FakeHost::new("27 1 254:0 / / rw - ext4 /dev/vda rw\n", "");
    let err = h.mgr(None, "c").expect_err("no cgroups").to_string();
    assert!(err.contains("no cgroup hierarchy"), "{err}");
}
