//! Tests for the cgroups module: fake cgroupfs trees (plain files in a tempdir) for pure v1,
//! pure v2 and this machine's hybrid layout, plus root-only tests on the real hierarchy.

mod devices;
mod hybrid;
mod layout;
mod real;
mod real_bpf;
mod teardown;
mod v1;
mod v1_more;
mod v2;

use std::fs;
use std::path::{Path, PathBuf};

use oci_spec::runtime::LinuxResources;
use tempfile::TempDir;

use super::CgroupManager;

/// Files every v1 cgroup has.
const V1_COMMON: &[(&str, &str)] = &[
    ("cgroup.procs", ""),
    ("tasks", ""),
    ("cgroup.clone_children", "0"),
    ("notify_on_release", "0"),
];

/// A fake host: a tempdir holding the cgroup mounts, plus the /proc texts describing them.
pub struct FakeHost {
    /// The tree's root (stands for `/`).
    pub dir: TempDir,
    /// Text of /proc/self/mountinfo.
    pub mountinfo: String,
    /// Text of /proc/self/cgroup.
    pub self_cgroup: String,
}

impl FakeHost {
    /// An empty host with these /proc texts.
    pub fn new(mountinfo: &str, self_cgroup: &str) -> Self {
        // Thousands of small files: prefer tmpfs when there is one.
        let shm = Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            tempfile::tempdir_in(shm).or_else(|_| tempfile::tempdir())
        } else {
            tempfile::tempdir()
        };
        let dir = dir.expect("tempdir");
        Self {
            dir,
            mountinfo: mountinfo.into(),
            self_cgroup: self_cgroup.into(),
        }
    }

    /// The tree's root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `rel` (like `sys/fs/cgroup/memory`) inside the tree.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel.trim_start_matches('/'))
    }

    /// Creates directory `rel` holding `files` (name, content).
    pub fn dir_with(&self, rel: &str, files: &[(&str, &str)]) {
        let d = self.path(rel);
        fs::create_dir_all(&d).expect("mkdir");
        for (name, content) in files {
            fs::write(d.join(name), content).expect("write");
        }
    }

    /// Creates a v1 controller directory: common files plus `files`.
    pub fn v1_dir(&self, rel: &str, files: &[(&str, &str)]) {
        self.dir_with(rel, V1_COMMON);
        self.dir_with(rel, files);
    }

    /// Overwrites file `rel`.
    pub fn put(&self, rel: &str, content: &str) {
        fs::write(self.path(rel), content).expect("write");
    }

    /// Content of file `rel`.
    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// A manager for this host.
    pub fn mgr(&self, cgroups_path: Option<&str>, id: &str) -> crate::Result<CgroupManager> {
        CgroupManager::with_fs(
            &self.mountinfo,
            &self.self_cgroup,
            self.root(),
            cgroups_path,
            id,
        )
    }

    /// A manager for container `c` at the default cgroups path, its cgroup made by `create`
    /// with `resources`; panics if either step fails.
    pub fn created(&self, resources: Option<&LinuxResources>) -> CgroupManager {
        let m = self.mgr(None, "c").expect("manager");
        m.create(resources).expect("create");
        m
    }

    /// The writes `m` recorded, as (path relative to the tree, value).
    pub fn writes(&self, m: &CgroupManager) -> Vec<(String, String)> {
        m.fs.recorded()
            .into_iter()
            .map(|(p, v)| {
                (
                    p.strip_prefix(self.root())
                        .map(|r| r.display().to_string())
                        .unwrap_or_else(|_| p.display().to_string()),
                    v,
                )
            })
            .collect()
    }

    /// The writes `m` recorded whose path ends with `suffix`, as (relative path, value).
    pub fn writes_to(&self, m: &CgroupManager, suffix: &str) -> Vec<(String, String)> {
        self.writes(m)
            .into_iter()
            .filter(|(p, _)| p.ends_with(suffix))
            .collect()
    }

    /// The writes `m` recorded below the directory `rel` only, as (file name, value).
    pub fn writes_in(&self, m: &CgroupManager, rel: &str) -> Vec<(String, String)> {
        let rel = rel.trim_start_matches('/').trim_end_matches('/');
        self.writes(m)
            .into_iter()
            .filter_map(|(p, v)| {
                p.strip_prefix(rel)
                    .and_then(|f| f.strip_prefix('/'))
                    .filter(|f| !f.contains('/'))
                    .map(|f| (f.to_string(), v))
            })
            .collect()
    }
}

/// Resources from their spec JSON.
pub fn res(json: &str) -> LinuxResources {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("bad resources JSON {json}: {e}"))
}

/// (file, value) pairs as owned strings.
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// A pure v1 host: co-mounted cpu,cpuacct and net_cls,net_prio, every other controller on its
/// own, a named systemd hierarchy, no cgroup2. Our own memory cgroup is `/user.slice`.
pub fn v1_host() -> FakeHost {
    let mountinfo = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
33 31 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
34 31 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
35 31 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
36 31 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
37 31 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
38 31 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
39 31 0:36 / /sys/fs/cgroup/net_cls,net_prio rw,relatime - cgroup cgroup rw,net_cls,net_prio
40 31 0:37 / /sys/fs/cgroup/hugetlb rw,relatime - cgroup cgroup rw,hugetlb
41 31 0:38 / /sys/fs/cgroup/rdma rw,relatime - cgroup cgroup rw,rdma
42 31 0:39 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd
";
    let self_cgroup = "\
11:rdma:/
10:hugetlb:/
9:net_cls,net_prio:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/user.slice
3:cpuset:/
2:cpu,cpuacct:/
1:name=systemd:/user.slice/session-1.scope
";
    let h = FakeHost::new(mountinfo, self_cgroup);
    let cg = "sys/fs/cgroup";
    h.v1_dir(
        &format!("{cg}/cpu,cpuacct"),
        &[
            ("cpu.shares", "1024"),
            ("cpu.cfs_period_us", "100000"),
            ("cpu.cfs_quota_us", "-1"),
            ("cpu.cfs_burst_us", "0"),
            ("cpu.idle", "0"),
            ("cpu.rt_period_us", "1000000"),
            ("cpu.rt_runtime_us", "0"),
            ("cpuacct.usage", "123456789"),
        ],
    );
    h.v1_dir(
        &format!("{cg}/cpuset"),
        &[("cpuset.cpus", "0-3"), ("cpuset.mems", "0")],
    );
    let memory = [
        ("memory.limit_in_bytes", "9223372036854771712"),
        ("memory.memsw.limit_in_bytes", "9223372036854771712"),
        ("memory.soft_limit_in_bytes", ""),
        ("memory.swappiness", "60"),
        ("memory.oom_control", ""),
        ("memory.use_hierarchy", "1"),
        ("memory.kmem.limit_in_bytes", ""),
        ("memory.kmem.tcp.limit_in_bytes", ""),
        ("memory.usage_in_bytes", "4096"),
    ];
    h.v1_dir(&format!("{cg}/memory"), &memory);
    h.v1_dir(&format!("{cg}/memory/user.slice"), &memory);
    h.v1_dir(
        &format!("{cg}/devices"),
        &[
            ("devices.allow", ""),
            ("devices.deny", ""),
            ("devices.list", "a *:* rwm"),
        ],
    );
    h.v1_dir(&format!("{cg}/freezer"), &[("freezer.state", "THAWED")]);
    h.v1_dir(
        &format!("{cg}/blkio"),
        &[
            ("blkio.weight", ""),
            ("blkio.weight_device", ""),
            ("blkio.leaf_weight", ""),
            ("blkio.leaf_weight_device", ""),
            ("blkio.throttle.read_bps_device", ""),
            ("blkio.throttle.write_bps_device", ""),
            ("blkio.throttle.read_iops_device", ""),
            ("blkio.throttle.write_iops_device", ""),
        ],
    );
    h.v1_dir(
        &format!("{cg}/pids"),
        &[("pids.max", "max"), ("pids.current", "3")],
    );
    h.v1_dir(
        &format!("{cg}/net_cls,net_prio"),
        &[("net_cls.classid", "0"), ("net_prio.ifpriomap", "")],
    );
    h.v1_dir(
        &format!("{cg}/hugetlb"),
        &[
            ("hugetlb.2MB.limit_in_bytes", ""),
            ("hugetlb.2MB.rsvd.limit_in_bytes", ""),
            ("hugetlb.1GB.limit_in_bytes", ""),
        ],
    );
    h.v1_dir(&format!("{cg}/rdma"), &[("rdma.max", "")]);
    h.v1_dir(&format!("{cg}/systemd"), &[]);
    h.v1_dir(&format!("{cg}/systemd/user.slice"), &[]);
    h.v1_dir(&format!("{cg}/systemd/user.slice/session-1.scope"), &[]);
    h
}

/// Files of a v2 cgroup with every controller enabled.
pub const V2_FILES: &[(&str, &str)] = &[
    (
        "cgroup.controllers",
        "cpuset cpu io memory hugetlb pids rdma",
    ),
    ("cgroup.subtree_control", ""),
    ("cgroup.procs", ""),
    ("cgroup.freeze", "0"),
    ("cgroup.events", "populated 0\nfrozen 0\n"),
    ("cgroup.kill", ""),
    ("cgroup.type", "domain"),
    ("cpu.weight", "100"),
    ("cpu.max", "max 100000"),
    ("cpu.max.burst", "0"),
    ("cpu.idle", "0"),
    ("cpu.stat", "usage_usec 1500\nuser_usec 1000\n"),
    ("cpuset.cpus", ""),
    ("cpuset.mems", ""),
    ("memory.max", "max"),
    ("memory.low", "0"),
    ("memory.high", "max"),
    ("memory.swap.max", "max"),
    ("memory.current", "8192"),
    ("io.weight", "default 100"),
    ("io.max", ""),
    ("pids.max", "max"),
    ("pids.current", "2"),
    ("hugetlb.2MB.max", "max"),
    ("hugetlb.2MB.rsvd.max", "max"),
    ("hugetlb.1GB.max", "max"),
    ("rdma.max", ""),
];

/// A pure v2 host; our own cgroup is `/user.slice/session-1.scope`.
pub fn v2_host() -> FakeHost {
    let mountinfo = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
25 23 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
";
    let h = FakeHost::new(mountinfo, "0::/user.slice/session-1.scope\n");
    h.dir_with("sys/fs/cgroup", V2_FILES);
    h.dir_with("sys/fs/cgroup/user.slice", V2_FILES);
    h.dir_with("sys/fs/cgroup/user.slice/session-1.scope", V2_FILES);
    h
}

/// This machine's /proc/self/mountinfo (cgroup lines and a few others), verbatim.
pub const THIS_MOUNTINFO: &str = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334432k,nr_inodes=3083608,mode=755
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

/// This machine's /proc/self/cgroup, verbatim.
pub const THIS_SELF_CGROUP: &str = "\
9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/ef6fa9a3624916dd1422f18724b3642c
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
";

/// The memory cgroup our process is in on this machine.
pub const THIS_MEMORY_OWN: &str = "process_api/ef6fa9a3624916dd1422f18724b3642c";

/// A fake of this machine: v1 controllers, name=systemd, and a unified tree offering only
/// hugetlb.
pub fn hybrid_host() -> FakeHost {
    let h = FakeHost::new(THIS_MOUNTINFO, THIS_SELF_CGROUP);
    let cg = "sys/fs/cgroup";
    h.v1_dir(
        &format!("{cg}/cpu"),
        &[
            ("cpu.shares", "1024"),
            ("cpu.cfs_period_us", "100000"),
            ("cpu.cfs_quota_us", "-1"),
        ],
    );
    h.v1_dir(&format!("{cg}/cpuacct"), &[("cpuacct.usage", "42")]);
    h.v1_dir(
        &format!("{cg}/cpuset"),
        &[("cpuset.cpus", "0-1"), ("cpuset.mems", "0")],
    );
    let memory = [
        ("memory.limit_in_bytes", "9223372036854771712"),
        ("memory.memsw.limit_in_bytes", "9223372036854771712"),
        ("memory.usage_in_bytes", "100"),
    ];
    h.v1_dir(&format!("{cg}/memory"), &memory);
    h.v1_dir(&format!("{cg}/memory/process_api"), &memory);
    h.v1_dir(&format!("{cg}/memory/{THIS_MEMORY_OWN}"), &memory);
    h.v1_dir(
        &format!("{cg}/devices"),
        &[("devices.allow", ""), ("devices.deny", "")],
    );
    h.v1_dir(&format!("{cg}/freezer"), &[("freezer.state", "THAWED")]);
    h.v1_dir(
        &format!("{cg}/blkio"),
        &[("blkio.throttle.read_bps_device", "")],
    );
    h.v1_dir(
        &format!("{cg}/pids"),
        &[("pids.max", "max"), ("pids.current", "1")],
    );
    h.v1_dir(&format!("{cg}/systemd"), &[]);
    h.dir_with(
        &format!("{cg}/unified"),
        &[
            ("cgroup.controllers", "hugetlb"),
            ("cgroup.subtree_control", ""),
            ("cgroup.procs", ""),
            ("cgroup.freeze", "0"),
            ("cgroup.events", "populated 0\nfrozen 0\n"),
            ("cgroup.kill", ""),
            ("cpu.stat", "usage_usec 7\n"),
            ("memory.pressure", ""),
            ("hugetlb.2MB.max", "max"),
            ("hugetlb.2MB.rsvd.max", "max"),
            ("hugetlb.1GB.max", "max"),
        ],
    );
    h
}
