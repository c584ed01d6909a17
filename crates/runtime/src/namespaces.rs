//! Planning the container's namespaces once, before the fork: which are created by the single
//! `clone3`, which are joined from paths, and which the child must unshare itself.
//!
//! The fast path (no paths to join) creates everything in the one `clone3`. When existing
//! namespaces are joined by path, the child joins them first (user first, mount last) and
//! then unshares the new ones, so the new namespaces belong to the joined user namespace as
//! the specification expects. A pid namespace can only be entered by a new process, so the
//! parent joins it (`setns` affects only its future children) before cloning.

use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use nix::fcntl::{open, OFlag};
use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::stat::Mode;
use oci_spec::runtime::{LinuxNamespaceType, Spec};

use crate::error::{Error, IoContext, Result};

/// The namespace plan for one container.
#[derive(Debug, Clone)]
pub struct Plan {
    /// CLONE_NEW* flags for the `clone3` itself.
    pub clone_flags: u64,
    /// CLONE_NEW* flags the child unshares itself after its joins.
    pub unshare_flags: CloneFlags,
    /// Namespaces the child joins by path, in the order to join them.
    pub joins: Vec<(LinuxNamespaceType, PathBuf)>,
    /// A pid namespace the parent joins before cloning.
    pub pid_join: Option<PathBuf>,
    /// The container gets a new user namespace (the parent must write its id mappings).
    pub new_user: bool,
    /// The new user namespace is created by the clone (mappings can be written at once);
    /// otherwise the child unshares it and asks for mappings.
    pub user_in_clone: bool,
    /// The container gets a new pid namespace.
    pub new_pid: bool,
    /// The container gets a new mount namespace.
    pub new_mount: bool,
    /// The container gets a new cgroup namespace.
    pub new_cgroup: bool,
    /// The child must unshare the cgroup namespace after it joined its cgroup.
    pub cgroup_after_join: bool,
    /// The container gets a new time namespace (always unshared by the child).
    pub new_time: bool,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            clone_flags: 0,
            unshare_flags: CloneFlags::empty(),
            joins: Vec::new(),
            pid_join: None,
            new_user: false,
            user_in_clone: false,
            new_pid: false,
            new_mount: false,
            new_cgroup: false,
            cgroup_after_join: false,
            new_time: false,
        }
    }
}

/// The CLONE_NEW* flag for a namespace type.
pub fn flag(t: LinuxNamespaceType) -> CloneFlags {
    match t {
        LinuxNamespaceType::Mount => CloneFlags::CLONE_NEWNS,
        LinuxNamespaceType::Cgroup => CloneFlags::CLONE_NEWCGROUP,
        LinuxNamespaceType::Uts => CloneFlags::CLONE_NEWUTS,
        LinuxNamespaceType::Ipc => CloneFlags::CLONE_NEWIPC,
        LinuxNamespaceType::User => CloneFlags::CLONE_NEWUSER,
        LinuxNamespaceType::Pid => CloneFlags::CLONE_NEWPID,
        LinuxNamespaceType::Network => CloneFlags::CLONE_NEWNET,
        LinuxNamespaceType::Time => CloneFlags::from_bits_retain(libc::CLONE_NEWTIME),
    }
}

/// The join order: user first (it grants the rights for the others), mount last (after it
/// host paths no longer resolve).
fn join_rank(t: LinuxNamespaceType) -> u8 {
    match t {
        LinuxNamespaceType::User => 0,
        LinuxNamespaceType::Mount => 9,
        _ => 5,
    }
}

/// Builds the plan from `linux.namespaces`. `clone_into_cgroup` says whether the child is
/// born in its cgroup (then a new cgroup namespace can come from the clone itself).
pub fn plan(spec: &Spec, clone_into_cgroup: bool) -> Result<Plan> {
    let mut p = Plan::default();
    let list = spec
        .linux()
        .as_ref()
        .and_then(|l| l.namespaces().clone())
        .unwrap_or_default();
    let mut new = CloneFlags::empty();
    for ns in &list {
        match ns.path() {
            Some(path) if ns.typ() == LinuxNamespaceType::Pid => p.pid_join = Some(path.clone()),
            Some(path) => p.joins.push((ns.typ(), path.clone())),
            None => new |= flag(ns.typ()),
        }
    }
    p.joins.sort_by_key(|(t, _)| join_rank(*t));
    p.new_user = new.contains(CloneFlags::CLONE_NEWUSER);
    p.new_pid = new.contains(CloneFlags::CLONE_NEWPID);
    p.new_mount = new.contains(CloneFlags::CLONE_NEWNS);
    p.new_cgroup = new.contains(CloneFlags::CLONE_NEWCGROUP);
    p.new_time = list
        .iter()
        .any(|n| n.typ() == LinuxNamespaceType::Time && n.path().is_none());
    new.remove(flag(LinuxNamespaceType::Time));
    if p.new_cgroup && !clone_into_cgroup {
        new.remove(CloneFlags::CLONE_NEWCGROUP);
        p.cgroup_after_join = true;
    }
    if p.joins.is_empty() {
        p.clone_flags = new.bits() as u64;
        p.user_in_clone = p.new_user;
    } else {
        // Only the pid namespace must come from the clone; the rest are unshared by the
        // child after it has joined the existing ones.
        let pid = new & CloneFlags::CLONE_NEWPID;
        p.clone_flags = pid.bits() as u64;
        p.unshare_flags = new - pid;
    }
    Ok(p)
}

/// Opens every namespace path of the plan (before any `setns`, while host paths resolve).
pub fn open_joins(plan: &Plan) -> Result<Vec<(LinuxNamespaceType, OwnedFd)>> {
    plan.joins
        .iter()
        .map(|(t, path)| {
            let fd = open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())
                .ctx(|| format!("open {} namespace {}", t, path.display()))?;
            Ok((*t, fd))
        })
        .collect()
}

/// Joins the opened namespaces in order (called in the child).
pub fn join_all(fds: &[(LinuxNamespaceType, OwnedFd)]) -> Result<()> {
    for (t, fd) in fds {
        setns(fd.as_fd(), flag(*t)).ctx(|| format!("join {t} namespace"))?;
    }
    Ok(())
}

/// The parent's side of a pid-namespace join: subsequent children are born in it.
pub fn join_pid_for_children(path: &PathBuf) -> Result<()> {
    let fd = open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())
        .ctx(|| format!("open pid namespace {}", path.display()))?;
    setns(fd.as_fd(), CloneFlags::CLONE_NEWPID)
        .ctx(|| format!("join pid namespace {}", path.display()))
}

/// Unshares `flags` in the calling process.
pub fn unshare_now(flags: CloneFlags) -> Result<()> {
    if flags.is_empty() {
        return Ok(());
    }
    unshare(flags).ctx(|| format!("unshare namespaces {flags:?}"))
}

/// Writes `/proc/<pid>/uid_map` and `gid_map` from the spec's mappings.
pub fn write_id_maps(spec: &Spec, pid: i32) -> Result<()> {
    let linux = spec.linux().as_ref();
    let fmt = |maps: Option<&Vec<oci_spec::runtime::LinuxIdMapping>>| -> String {
        maps.into_iter()
            .flatten()
            .map(|m| format!("{} {} {}\n", m.container_id(), m.host_id(), m.size()))
            .collect()
    };
    let uid = fmt(linux.and_then(|l| l.uid_mappings().as_ref()));
    let gid = fmt(linux.and_then(|l| l.gid_mappings().as_ref()));
    if uid.is_empty() || gid.is_empty() {
        return Err(Error::Spec(
            "a new user namespace needs linux.uidMappings and linux.gidMappings".into(),
        ));
    }
    std::fs::write(format!("/proc/{pid}/uid_map"), &uid)
        .ctx(|| format!("write uid_map {:?}", uid.trim_end()))?;
    std::fs::write(format!("/proc/{pid}/gid_map"), &gid)
        .ctx(|| format!("write gid_map {:?}", gid.trim_end()))
}

/// Writes `linux.timeOffsets` into the (new, not yet entered) time namespace of the caller.
pub fn write_time_offsets(spec: &Spec) -> Result<()> {
    let Some(offsets) = spec
        .linux()
        .as_ref()
        .and_then(|l| l.time_offsets().as_ref())
    else {
        return Ok(());
    };
    let mut text = String::new();
    for (clock, off) in offsets {
        text.push_str(&format!(
            "{clock} {} {}\n",
            off.secs().unwrap_or(0),
            off.nanosecs().unwrap_or(0)
        ));
    }
    if text.is_empty() {
        return Ok(());
    }
    std::fs::write("/proc/self/timens_offsets", &text)
        .ctx(|| "write /proc/self/timens_offsets".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> Spec {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn fast_path_clones_everything() {
        let s = spec(
            r#"{"linux":{"namespaces":[{"type":"pid"},{"type":"mount"},{"type":"cgroup"},{"type":"user"}]}}"#,
        );
        let p = plan(&s, false).unwrap();
        let f = CloneFlags::from_bits_retain(p.clone_flags as _);
        assert!(f.contains(
            CloneFlags::CLONE_NEWPID | CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWUSER
        ));
        assert!(!f.contains(CloneFlags::CLONE_NEWCGROUP));
        assert!(p.cgroup_after_join && p.user_in_clone);
        let p = plan(&s, true).unwrap();
        assert!(
            CloneFlags::from_bits_retain(p.clone_flags as _).contains(CloneFlags::CLONE_NEWCGROUP)
        );
    }

    #[test]
    fn joins_are_ordered_and_new_ones_unshared() {
        let s = spec(
            r#"{"linux":{"namespaces":[{"type":"mount","path":"/m"},{"type":"network","path":"/n"},{"type":"user","path":"/u"},{"type":"pid"},{"type":"uts"}]}}"#,
        );
        let p = plan(&s, false).unwrap();
        let order: Vec<_> = p.joins.iter().map(|(t, _)| *t).collect();
        assert_eq!(
            order,
            vec![
                LinuxNamespaceType::User,
                LinuxNamespaceType::Network,
                LinuxNamespaceType::Mount
            ]
        );
        assert_eq!(p.clone_flags, CloneFlags::CLONE_NEWPID.bits() as u64);
        assert_eq!(p.unshare_flags, CloneFlags::CLONE_NEWUTS);
    }
}
