//! Control groups for one container, on cgroup v1, v2, or this machine's hybrid layout
//! (v1 controllers plus a cgroup2 tree that holds no controllers, or only hugetlb).
//!
//! The layout is detected from `/proc/self/mountinfo`, never assumed ([`detect`]). The
//! container gets one directory per v1 hierarchy (co-mounted controllers such as `cpu,cpuacct`
//! share one; named hierarchies like `name=systemd` are used best effort) and one in the
//! unified tree when it is mounted. Each resource goes to the hierarchy that has its
//! controller: v1 first, else unified (so hugetlb lands in the unified tree here). Device
//! rules use the v1 devices controller when mounted, else an eBPF program attached to the
//! unified directory (module `devices_bpf`).
//!
//! Tests point the manager at a fake cgroupfs tree through [`CgroupManager::with_fs`].

pub mod detect;
mod devices;
mod devices_bpf;
mod freezer;
mod fs;
mod lifecycle;
mod path;
mod resources;
mod resources_v1;
mod resources_v2;
mod stats;
#[cfg(test)]
mod tests;

use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use oci_spec::runtime::LinuxResources;
use serde::{Deserialize, Serialize};

use self::detect::{Layout, OwnCgroups};
use self::fs::{cg_err, write_err, CgroupFs};
pub use self::stats::CgroupStats;
use crate::error::IoContext;
use crate::Result;

/// Where a container's cgroup lives: enough to find it again from a later process
/// (stored in the container's state file).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CgroupPaths {
    /// cgroup v2 directory of the container (absolute host path), if the host has a unified
    /// hierarchy with controllers berth uses (or the container must be placed there anyway).
    pub unified: Option<PathBuf>,
    /// cgroup v1 directories by controller name ("memory" -> /sys/fs/cgroup/memory/x/y).
    pub v1: Vec<(String, PathBuf)>,
}

impl CgroupPaths {
    /// The container's directory for v1 controller `controller`, if that controller is
    /// bound to a v1 hierarchy.
    pub fn v1_dir(&self, controller: &str) -> Option<&Path> {
        self.v1
            .iter()
            .find(|(n, _)| n == controller)
            .map(|(_, p)| p.as_path())
    }
}

/// What a container directory is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A v1 hierarchy with resource controllers: required.
    V1,
    /// A named v1 hierarchy (`name=systemd`): best effort.
    Named,
    /// The unified hierarchy: required.
    Unified,
}

/// Creates, configures, inspects and removes one container's cgroup.
#[derive(Debug, Clone)]
pub struct CgroupManager {
    /// The resolved directories.
    pub paths: CgroupPaths,
    /// Real cgroupfs, or a fake tree in tests.
    fs: CgroupFs,
}

/// Whether `resources` set anything that, on a hybrid host, lives in the unified tree
/// (hugetlb limits, raw `unified` keys).
fn wants_unified_controllers(resources: Option<&LinuxResources>) -> bool {
    resources.is_some_and(|r| {
        r.hugepage_limits().as_ref().is_some_and(|h| !h.is_empty())
            || r.unified().as_ref().is_some_and(|u| !u.is_empty())
    })
}

impl CgroupManager {
    /// Resolves `cgroups_path` (the spec's `linux.cgroupsPath`; absolute, relative to the
    /// runtime's own cgroup, or None for the default `berth/<id>`) against the host's layout.
    /// Refuses a cgroup that already holds processes or is frozen: it is not this container's.
    pub fn new(cgroups_path: Option<&str>, container_id: &str) -> Result<Self> {
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")
            .ctx(|| "read /proc/self/mountinfo".into())?;
        Self::with_mountinfo(&mountinfo, cgroups_path, container_id)
    }

    /// Like [`CgroupManager::new`] with the text of `/proc/self/mountinfo` already read (so a
    /// caller that needs the mount table too reads it once).
    pub fn with_mountinfo(
        mountinfo: &str,
        cgroups_path: Option<&str>,
        container_id: &str,
    ) -> Result<Self> {
        let own =
            std::fs::read_to_string("/proc/self/cgroup").ctx(|| "read /proc/self/cgroup".into())?;
        Self::resolve(
            mountinfo,
            &own,
            Path::new("/"),
            cgroups_path,
            container_id,
            CgroupFs::default(),
        )
    }

    /// Like [`CgroupManager::new`] on a fake host, for tests: `mountinfo` and `self_cgroup` are
    /// the texts of `/proc/self/mountinfo` and `/proc/self/cgroup`, and every mount point is
    /// looked up under `prefix`, a tree of plain files and directories. The manager then
    /// records each write, populates new directories with their parent's file names,
    /// removes directories recursively, and records signals instead of sending them.
    pub fn with_fs(
        mountinfo: &str,
        self_cgroup: &str,
        prefix: &Path,
        cgroups_path: Option<&str>,
        container_id: &str,
    ) -> Result<Self> {
        Self::resolve(
            mountinfo,
            self_cgroup,
            prefix,
            cgroups_path,
            container_id,
            CgroupFs::fake(),
        )
    }

    fn resolve(
        mountinfo: &str,
        self_cgroup: &str,
        prefix: &Path,
        cgroups_path: Option<&str>,
        id: &str,
        fs: CgroupFs,
    ) -> Result<Self> {
        let layout = Layout::parse(mountinfo);
        if layout.kind().is_none() {
            return Err(cg_err(
                Path::new("/proc/self/mountinfo"),
                "no cgroup hierarchy is mounted",
            ));
        }
        let own = OwnCgroups::parse(self_cgroup);
        let wanted = path::parse(cgroups_path, id)?;
        let mut v1 = Vec::new();
        for h in &layout.v1 {
            let dir = path::resolve(h, &own, &wanted, prefix)?;
            v1.extend(h.controllers.iter().map(|c| (c.clone(), dir.clone())));
        }
        let unified = layout
            .unified
            .as_ref()
            .map(|h| path::resolve(h, &own, &wanted, prefix))
            .transpose()?;
        let m = Self {
            paths: CgroupPaths { unified, v1 },
            fs,
        };
        m.check_unused()?;
        Ok(m)
    }

    /// Rebuilds a manager from paths saved in the container's state.
    pub fn from_paths(paths: CgroupPaths) -> Self {
        Self {
            paths,
            fs: CgroupFs::default(),
        }
    }

    /// Creates every directory and applies `resources` (before any process is placed in it).
    pub fn create(&self, resources: Option<&LinuxResources>) -> Result<()> {
        let cpuset = self.paths.v1_dir("cpuset");
        for (dir, kind) in self.dirs() {
            let chain = match lifecycle::make_dirs(&self.fs, dir) {
                Ok(chain) => chain,
                Err(_) if kind == Kind::Named => continue,
                Err(e) => return Err(e),
            };
            // On a hybrid host, enabling a controller in the unified tree binds it there for
            // the whole machine (a v1 mount of it then fails): do it only when asked for.
            if kind == Kind::Unified
                && (self.paths.v1.is_empty() || wants_unified_controllers(resources))
            {
                lifecycle::enable_controllers(&self.fs, &chain);
            }
            if Some(dir) == cpuset {
                lifecycle::init_cpuset(&self.fs, &chain)?;
            }
        }
        match resources {
            Some(r) => resources::apply(&self.fs, &self.paths, r),
            None => Ok(()),
        }
    }

    /// An open directory fd of the v2 cgroup, for `clone3(CLONE_INTO_CGROUP)`; None unless the
    /// host is pure v2 (on v1 and hybrid hosts the runtime calls [`CgroupManager::add_pid`]).
    pub fn clone_into_fd(&self) -> Option<OwnedFd> {
        if !self.paths.v1.is_empty() {
            return None;
        }
        let dir = self.paths.unified.as_ref()?;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(dir)
            .ok()?;
        Some(file.into())
    }

    /// Moves `pid` into every hierarchy (v1 controllers and the unified tree; named v1
    /// hierarchies best effort).
    pub fn add_pid(&self, pid: i32) -> Result<()> {
        let value = pid.to_string();
        for (dir, kind) in self.dirs() {
            match self.fs.try_write(dir, "cgroup.procs", &value) {
                Err(_) if kind == Kind::Named => {}
                Err(e) => return Err(write_err(dir, "cgroup.procs", &value, &e)),
                Ok(()) => {}
            }
        }
        Ok(())
    }

    /// Applies new resources to a live container (`update`).
    pub fn update(&self, resources: &LinuxResources) -> Result<()> {
        if let Some((dir, _)) = self
            .dirs()
            .into_iter()
            .find(|(d, k)| *k != Kind::Named && !d.is_dir())
        {
            return Err(cg_err(dir, "the container's cgroup does not exist"));
        }
        resources::apply(&self.fs, &self.paths, resources)
    }

    /// All pids in the container's cgroup and its sub-cgroups (for `ps`, `kill --all`),
    /// sorted; empty if the cgroup is gone.
    pub fn pids(&self) -> Result<Vec<i32>> {
        match self.primary() {
            Some(dir) => lifecycle::pids_under(&self.fs, dir),
            None => Ok(Vec::new()),
        }
    }

    /// Freezes (true) or thaws (false) every process of the container: the v1 freezer if
    /// mounted, else the unified tree's `cgroup.freeze`.
    pub fn set_frozen(&self, frozen: bool) -> Result<()> {
        match (self.paths.v1_dir("freezer"), self.paths.unified.as_deref()) {
            (Some(d), _) => freezer::set_v1(&self.fs, d, frozen),
            (None, Some(d)) => freezer::set_v2(&self.fs, d, frozen),
            (None, None) => Err(cg_err(
                Path::new("/"),
                "cannot freeze: the freezer controller is not mounted",
            )),
        }
    }

    /// Whether the container's processes are frozen.
    pub fn is_frozen(&self) -> Result<bool> {
        match (self.paths.v1_dir("freezer"), self.paths.unified.as_deref()) {
            (Some(d), _) => freezer::is_v1(&self.fs, d),
            (None, Some(d)) => freezer::is_v2(&self.fs, d),
            (None, None) => Ok(false),
        }
    }

    /// Removes every directory, as runc and crun do: kills what is left in the cgroups
    /// (`cgroup.kill` where the kernel has it, else SIGKILL to every listed pid with the
    /// cgroup frozen meanwhile), waits (bounded, about 2 s) for the processes to leave, then
    /// removes each hierarchy's tree depth first, retrying on EBUSY, in up to five passes.
    /// One directory that stays does not stop the others: every hierarchy loses what it can,
    /// and the error ([`crate::Error::CgroupsLeft`]) names each directory that stayed (named
    /// v1 hierarchies such as `name=systemd` are best effort and not reported). Idempotent:
    /// directories that are already gone are fine, so `delete --force` can run it again.
    pub fn destroy(&self) -> Result<()> {
        let existing: Vec<(&Path, Kind)> = self
            .dirs()
            .into_iter()
            .filter(|(d, _)| d.is_dir())
            .collect();
        if existing.is_empty() {
            return Ok(());
        }
        let dirs: Vec<&Path> = existing.iter().map(|(d, _)| *d).collect();
        let patience = lifecycle::Patience::of(&self.fs);
        if dirs.iter().any(|d| lifecycle::populated(&self.fs, d)) {
            self.kill_all(&dirs);
            lifecycle::wait_empty(&self.fs, &dirs, &patience);
        }
        let stayed: Vec<(PathBuf, String)> = lifecycle::remove_trees(&self.fs, &dirs, &patience)
            .into_iter()
            .filter(|(i, _)| existing[*i].1 != Kind::Named)
            .map(|(_, s)| {
                let pids = lifecycle::pids_under(&self.fs, &s.path).unwrap_or_default();
                let why = if pids.is_empty() || s.why == lifecycle::CHILD_STAYED {
                    s.why
                } else {
                    let list: Vec<String> = pids.iter().map(i32::to_string).collect();
                    format!("{}; still holds pid(s) {}", s.why, list.join(", "))
                };
                (s.path, why)
            })
            .collect();
        if stayed.is_empty() {
            Ok(())
        } else {
            Err(crate::Error::CgroupsLeft(stayed))
        }
    }

    /// SIGKILLs every process in `dirs` (existing directories of this container): through
    /// the unified directory's `cgroup.kill` when the kernel has it (atomic, forks included;
    /// on a hybrid host the pids still listed in v1 hierarchies get a SIGKILL too), else by
    /// pid with the cgroup frozen so nothing forks between listing and killing.
    fn kill_all(&self, dirs: &[&Path]) {
        let killed = self
            .paths
            .unified
            .as_deref()
            .is_some_and(|u| u.is_dir() && self.fs.try_write(u, "cgroup.kill", "1").is_ok());
        if killed && self.paths.v1.is_empty() {
            return;
        }
        // A frozen process dies once thawed.
        let frozen = !killed && self.set_frozen(true).is_ok();
        for pid in lifecycle::all_pids(&self.fs, dirs) {
            self.fs.kill(pid);
        }
        if frozen {
            let _ = self.set_frozen(false);
        }
    }

    /// Memory, cpu and pids usage (fields the host does not account are None).
    pub fn stats(&self) -> Result<CgroupStats> {
        match self.primary() {
            Some(dir) if dir.is_dir() => Ok(stats::collect(&self.fs, &self.paths)),
            Some(dir) => Err(cg_err(dir, "the container's cgroup does not exist")),
            None => Ok(CgroupStats::default()),
        }
    }

    /// Each distinct directory once, v1 hierarchies first, then the unified one.
    fn dirs(&self) -> Vec<(&Path, Kind)> {
        let mut out: Vec<(&Path, Kind)> = Vec::new();
        for (name, dir) in &self.paths.v1 {
            let kind = if name.starts_with("name=") {
                Kind::Named
            } else {
                Kind::V1
            };
            match out.iter_mut().find(|(d, _)| *d == dir.as_path()) {
                Some(entry) if kind == Kind::V1 => entry.1 = Kind::V1,
                Some(_) => {}
                None => out.push((dir, kind)),
            }
        }
        if let Some(u) = &self.paths.unified {
            out.push((u, Kind::Unified));
        }
        out
    }

    /// The directory whose `cgroup.procs` lists the container's processes.
    fn primary(&self) -> Option<&Path> {
        ["pids", "freezer", "devices", "memory", "cpu"]
            .iter()
            .find_map(|c| self.paths.v1_dir(c))
            .or_else(|| {
                self.paths
                    .v1
                    .iter()
                    .find(|(n, _)| !n.starts_with("name="))
                    .map(|(_, p)| p.as_path())
            })
            .or(self.paths.unified.as_deref())
    }

    /// Refuses a cgroup that is populated or frozen: destroying it later would kill or thaw
    /// processes that are not this container's.
    fn check_unused(&self) -> Result<()> {
        for (dir, kind) in self.dirs() {
            if kind == Kind::Named || !dir.is_dir() {
                continue;
            }
            let pids = lifecycle::pids_under(&self.fs, dir)?;
            if !pids.is_empty() {
                return Err(cg_err(dir, format!("cgroup is not empty: {} process(es) found; refusing to use it for a new container", pids.len())));
            }
        }
        if self.primary().is_some_and(Path::is_dir) && self.is_frozen().unwrap_or(false) {
            return Err(cg_err(
                self.primary().unwrap_or(Path::new("/")),
                "cgroup is unexpectedly frozen; refusing to use it for a new container",
            ));
        }
        Ok(())
    }
}
