//! `cgroup` and `cgroup2` mounts. The host's layout is detected, not assumed:
//! - cgroup v2 (`/sys/fs/cgroup` is cgroup2), or a `cgroup2` mount in the spec: with a cgroup
//!   namespace, a fresh cgroup2 mount; without one, a bind of the container's own cgroup
//!   directory (so the container sees its cgroup as the root, as a namespace would show it).
//! - cgroup v1 or hybrid: a tmpfs at the destination, then each hierarchy the host has mounted
//!   (the v2 "unified" one of a hybrid host included) under its usual name: mounted afresh
//!   with a cgroup namespace, else the container's own directory bind-mounted; co-mounted
//!   controllers (`cpu,cpuacct`) get `cpu` and `cpuacct` symlinks. The tmpfs is made
//!   read-only at the end when the entry asks for `ro`.

use std::io;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use super::mounts::{self, Entry};
use super::options::{MountOptions, MsBits};
use super::resolve::{Create, Root};
use super::{mnt, mountinfo, MountContext};
use crate::error::{Error, IoContext, Result};

/// `CGROUP2_SUPER_MAGIC` from `<linux/magic.h>`.
const CGROUP2_SUPER_MAGIC: u64 = 0x6367_7270;

/// Flags of the tmpfs and of fresh cgroup mounts.
const DEFAULT_FLAGS: MsBits = libc::MS_NOEXEC | libc::MS_NOSUID | libc::MS_NODEV;

/// A cgroup hierarchy mounted on the host, with the container's place in it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Hierarchy {
    /// `cgroup` or `cgroup2`.
    fs_type: String,
    /// Where the host mounts it (`/sys/fs/cgroup/memory`).
    mount_point: PathBuf,
    /// The controllers line of /proc/self/cgroup (`cpu,cpuacct`, `name=systemd`, empty for v2).
    controllers: String,
    /// The host directory of our own cgroup in it.
    own_dir: PathBuf,
}

/// Mounts a spec entry of type `cgroup` or `cgroup2`.
pub(crate) fn mount_cgroup(root: &Root, e: &Entry, ctx: MountContext<'_>) -> Result<()> {
    let unified = rustix::fs::statfs("/sys/fs/cgroup")
        .is_ok_and(|st| st.f_type as u64 == CGROUP2_SUPER_MAGIC);
    if e.fstype == "cgroup2" || unified {
        mount_v2(root, e, ctx)
    } else {
        mount_v1(root, e, ctx)
    }
}

fn mount_v2(root: &Root, e: &Entry, ctx: MountContext<'_>) -> Result<()> {
    let direct = Entry {
        fstype: "cgroup2".into(),
        source: Some(e.source.clone().unwrap_or_else(|| "cgroup2".into())),
        ..e.clone()
    };
    if ctx.in_cgroup_namespace {
        match mounts::mount_fs(root, &direct) {
            Err(Error::Io { source, .. })
                if matches!(source.raw_os_error(), Some(libc::EPERM | libc::EBUSY)) => {}
            other => return other,
        }
    }
    let what = || e.describe(root);
    let v2 = hierarchies(ctx.host_mounts)
        .ctx(what)?
        .into_iter()
        .find(|h| h.fs_type == "cgroup2");
    match v2 {
        Some(h) => mounts::mount_bind(root, &bind_entry(e, h.own_dir, e.dest.clone())),
        None => mounts::mount_fs(root, &direct),
    }
}

fn mount_v1(root: &Root, e: &Entry, ctx: MountContext<'_>) -> Result<()> {
    let what = || e.describe(root);
    let hierarchies = hierarchies(ctx.host_mounts).ctx(what)?;
    let tmpfs = Entry {
        fstype: "tmpfs".into(),
        source: Some("tmpfs".into()),
        dest: e.dest.clone(),
        opts: MountOptions {
            flags: DEFAULT_FLAGS,
            data: "mode=755".into(),
            propagation: e.opts.propagation.clone(),
            ..Default::default()
        },
    };
    mounts::mount_fs(root, &tmpfs)?;
    for h in hierarchies {
        let Some(name) = h.mount_point.file_name().map(|n| n.to_os_string()) else {
            continue;
        };
        let dest = e.dest.join(&name);
        if ctx.in_cgroup_namespace {
            let sub = Entry {
                fstype: h.fs_type.clone(),
                source: Some(PathBuf::from(&h.fs_type)),
                dest,
                opts: MountOptions {
                    flags: DEFAULT_FLAGS | (e.opts.flags & libc::MS_RDONLY),
                    data: h.controllers.clone(),
                    propagation: e.opts.propagation.clone(),
                    ..Default::default()
                },
            };
            mounts::mount_fs(root, &sub)?;
        } else {
            mounts::mount_bind(root, &bind_entry(e, h.own_dir.clone(), dest))?;
        }
        let name = name.to_string_lossy();
        if name.contains(',') {
            let dir = root.resolve(&e.dest, Create::No).ctx(what)?;
            for part in name.split(',') {
                match rustix::fs::symlinkat(name.as_ref(), dir.fd.as_fd(), part) {
                    Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                    Err(err) => return Err(err).ctx(|| format!("{}: symlink {part}", what())),
                }
            }
        }
    }
    if e.opts.is_readonly() {
        let dir = root.resolve(&e.dest, Create::No).ctx(what)?;
        let flags = DEFAULT_FLAGS | libc::MS_RDONLY | libc::MS_BIND | libc::MS_REMOUNT;
        mnt::mount(None, &dir.proc_path(), None, flags, None)
            .ctx(|| format!("{}: remount read-only", what()))?;
    }
    Ok(())
}

/// A bind of `source` with the entry's flags.
fn bind_entry(e: &Entry, source: PathBuf, dest: PathBuf) -> Entry {
    let mut opts = e.opts.clone();
    opts.flags |= libc::MS_BIND | libc::MS_REC;
    Entry {
        fstype: "bind".into(),
        source: Some(source),
        dest,
        opts,
    }
}

/// The host's cgroup hierarchies (one per controller set) and our directory in each, from
/// `host_mounts` (the runtime's mount table) when given, else from our own.
fn hierarchies(host_mounts: Option<&str>) -> io::Result<Vec<Hierarchy>> {
    let own = std::fs::read_to_string("/proc/self/cgroup")?;
    let table = match host_mounts {
        Some(text) => mountinfo::parse_types(text, &["cgroup", "cgroup2"]),
        None => mountinfo::read_types(&["cgroup", "cgroup2"])?,
    };
    Ok(match_hierarchies(&table, &own))
}

fn match_hierarchies(mounts: &[mountinfo::MountInfo], proc_cgroup: &str) -> Vec<Hierarchy> {
    let own: Vec<(&str, &str)> = proc_cgroup
        .lines()
        .filter_map(|l| {
            let mut it = l.splitn(3, ':');
            let (_id, ctrl, path) = (it.next()?, it.next()?, it.next()?);
            Some((ctrl, path))
        })
        .collect();
    let mut out: Vec<Hierarchy> = Vec::new();
    for m in mounts {
        let line = match m.fs_type.as_str() {
            "cgroup2" => own.iter().find(|(c, _)| c.is_empty()),
            "cgroup" => own.iter().find(|(c, _)| {
                !c.is_empty() && c.split(',').all(|x| m.super_options.iter().any(|o| o == x))
            }),
            _ => continue,
        };
        let Some(&(ctrl, path)) = line else { continue };
        if out
            .iter()
            .any(|h| h.fs_type == m.fs_type && h.controllers == ctrl)
        {
            continue;
        }
        let rel = Path::new(path)
            .strip_prefix(&m.root)
            .unwrap_or(Path::new(""));
        out.push(Hierarchy {
            fs_type: m.fs_type.clone(),
            mount_point: m.mount_point.clone(),
            controllers: ctrl.to_string(),
            own_dir: m.mount_point.join(rel),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_hybrid_layout() {
        let mi = mountinfo::parse(
            "\
31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
36 31 0:32 /a /mnt/again rw - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
",
        );
        let own = "9:name=systemd:/user\n4:memory:/a/b\n2:cpu,cpuacct:/\n0::/u\n";
        let h = match_hierarchies(&mi, own);
        assert_eq!(h.len(), 4);
        assert_eq!(h[0].own_dir, Path::new("/sys/fs/cgroup/cpu,cpuacct"));
        assert_eq!(h[0].controllers, "cpu,cpuacct");
        assert_eq!(h[1].own_dir, Path::new("/sys/fs/cgroup/memory/a/b"));
        assert_eq!(h[2].own_dir, Path::new("/sys/fs/cgroup/systemd/user"));
        assert_eq!(h[2].controllers, "name=systemd");
        assert_eq!(h[3].fs_type, "cgroup2");
        assert_eq!(h[3].own_dir, Path::new("/sys/fs/cgroup/unified/u"));
    }
}
