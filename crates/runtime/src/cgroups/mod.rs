//! Control groups for one container, on cgroup v1, v2, or this machine's hybrid layout
//! (v1 controllers plus a cgroup2 tree that holds no controllers, or only hugetlb).
//!
//! The layout is detected from `/proc/self/mountinfo`, never assumed. Tests point the manager
//! at a fake cgroupfs tree through [`CgroupManager::with_fs`].
//!
//! TODO(helper): implement; the interface below is what the rest of the runtime uses.

use std::os::fd::OwnedFd;
use std::path::PathBuf;

use oci_spec::runtime::LinuxResources;
use serde::{Deserialize, Serialize};

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

/// Creates, configures, inspects and removes one container's cgroup.
#[derive(Debug, Clone)]
pub struct CgroupManager {
    /// The resolved directories.
    pub paths: CgroupPaths,
}

impl CgroupManager {
    /// Resolves `cgroups_path` (the spec's `linux.cgroupsPath`; absolute, relative to the
    /// runtime's own cgroup, or None for the default `berth/<id>`) against the host's layout.
    pub fn new(_cgroups_path: Option<&str>, _container_id: &str) -> Result<Self> {
        todo!()
    }

    /// Rebuilds a manager from paths saved in the container's state.
    pub fn from_paths(paths: CgroupPaths) -> Self {
        Self { paths }
    }

    /// Creates every directory and applies `resources` (before any process is placed in it).
    pub fn create(&self, _resources: Option<&LinuxResources>) -> Result<()> {
        todo!()
    }

    /// An open directory fd of the v2 cgroup, for `clone3(CLONE_INTO_CGROUP)`; None on v1.
    pub fn clone_into_fd(&self) -> Option<OwnedFd> {
        None
    }

    /// Moves `pid` into every hierarchy (v1 controllers and the unified tree).
    pub fn add_pid(&self, _pid: i32) -> Result<()> {
        todo!()
    }

    /// Applies new resources to a live container (`update`).
    pub fn update(&self, _resources: &LinuxResources) -> Result<()> {
        todo!()
    }

    /// All pids in the container's cgroup (for `ps`, `kill --all`).
    pub fn pids(&self) -> Result<Vec<i32>> {
        todo!()
    }

    /// Freezes (true) or thaws (false) every process of the container.
    pub fn set_frozen(&self, _frozen: bool) -> Result<()> {
        todo!()
    }

    /// Whether the container's processes are frozen.
    pub fn is_frozen(&self) -> Result<bool> {
        todo!()
    }

    /// Removes every directory (after killing what is left in it with SIGKILL).
    pub fn destroy(&self) -> Result<()> {
        todo!()
    }
}
