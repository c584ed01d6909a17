//! Device nodes and the `/dev` symlinks: the default devices (null, zero, full, random,
//! urandom, tty) plus `linux.devices`, made with `mknod` inside the rootfs, or bind-mounted
//! from the host in a user namespace (where `mknod` is not allowed); `/dev/ptmx` as a symlink
//! to `pts/ptmx`; `/dev/fd`, `/dev/stdin`, `/dev/stdout`, `/dev/stderr` and `/dev/core`.

use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use oci_spec::runtime::{LinuxDeviceType, Spec};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, ResolveFlags};

use super::mnt;
use super::mounts::{is_dev, Entry};
use super::resolve::{proc_fd_path, Create, Root};
use crate::error::{Error, IoContext, Result};

/// A device node to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Device {
    /// Path inside the container.
    pub path: PathBuf,
    /// Character, block or FIFO.
    pub kind: FileType,
    /// Major number.
    pub major: u32,
    /// Minor number.
    pub minor: u32,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

/// The devices every container gets: `(name, major, minor)`, all `crw-rw-rw-` root:root.
const DEFAULT_DEVICES: &[(&str, u32, u32)] = &[
    ("/dev/null", 1, 3),
    ("/dev/zero", 1, 5),
    ("/dev/full", 1, 7),
    ("/dev/random", 1, 8),
    ("/dev/urandom", 1, 9),
    ("/dev/tty", 5, 0),
];

/// Whether devices must be created: not when the spec bind-mounts the host's `/dev`.
pub(crate) fn needs_setup(spec: &Spec) -> bool {
    !spec.mounts().iter().flatten().any(|m| {
        let e = Entry::from_spec(m);
        e.is_bind() && is_dev(&e.dest)
    })
}

/// `linux.devices` followed by the defaults the spec does not override; `/dev/ptmx` is left
/// out (it becomes a symlink).
pub(crate) fn devices(spec: &Spec) -> Result<Vec<Device>> {
    let mut out = Vec::new();
    let listed = spec
        .linux()
        .as_ref()
        .and_then(|l| l.devices().clone())
        .unwrap_or_default();
    for d in &listed {
        let kind = match d.typ() {
            LinuxDeviceType::C | LinuxDeviceType::U => FileType::CharacterDevice,
            LinuxDeviceType::B => FileType::BlockDevice,
            LinuxDeviceType::P => FileType::Fifo,
            LinuxDeviceType::A => {
                return Err(Error::Spec(format!(
                    "device {}: type \"a\" cannot be created",
                    d.path().display()
                )))
            }
        };
        let number = |n: i64, what: &str| {
            u32::try_from(n).map_err(|_| {
                Error::Spec(format!(
                    "device {}: invalid {what} number {n}",
                    d.path().display()
                ))
            })
        };
        out.push(Device {
            path: d.path().clone(),
            kind,
            major: number(d.major(), "major")?,
            minor: number(d.minor(), "minor")?,
            mode: d.file_mode().unwrap_or(0o666) & 0o7777,
            uid: d.uid().unwrap_or(0),
            gid: d.gid().unwrap_or(0),
        });
    }
    for &(path, major, minor) in DEFAULT_DEVICES {
        if !out.iter().any(|d| same_path(&d.path, Path::new(path))) {
            out.push(Device {
                path: path.into(),
                kind: FileType::CharacterDevice,
                major,
                minor,
                mode: 0o666,
                uid: 0,
                gid: 0,
            });
        }
    }
    out.retain(|d| !same_path(&d.path, Path::new("/dev/ptmx")));
    Ok(out)
}

fn same_path(a: &Path, b: &Path) -> bool {
    a.components().eq(b.components())
}

/// Creates every device, then `/dev/ptmx` and the `/dev` symlinks.
pub(crate) fn setup(root: &Root, spec: &Spec, bind: bool) -> Result<()> {
    for d in devices(spec)? {
        create(root, &d, bind)?;
    }
    setup_ptmx(root)?;
    setup_symlinks(root)
}

/// Creates one device node (or binds the host's, in a user namespace or when `mknod` is
/// refused). An existing node is left alone, as runc does.
pub(crate) fn create(root: &Root, d: &Device, bind: bool) -> Result<()> {
    let what = || {
        format!(
            "create device {} (rootfs {})",
            d.path.display(),
            root.path().display()
        )
    };
    let (parent, name) = match (d.path.parent(), d.path.file_name()) {
        (Some(p), Some(n)) => (p, n),
        _ => {
            return Err(Error::Spec(format!(
                "device path {:?} is not a file path",
                d.path
            )))
        }
    };
    if bind {
        return bind_host_node(root, d);
    }
    let dir = root.resolve(parent, Create::Dir).ctx(what)?;
    let dev = rustix::fs::makedev(d.major, d.minor);
    match rustix::fs::mknodat(&dir.fd, name, d.kind, Mode::from_raw_mode(d.mode), dev) {
        Ok(()) => {}
        Err(rustix::io::Errno::EXIST) => return Ok(()),
        Err(rustix::io::Errno::PERM) => return bind_host_node(root, d),
        Err(e) => return Err(e).ctx(what),
    }
    fix_owner_and_mode(dir.fd.as_fd(), name, d).ctx(what)
}

/// Sets the exact mode (mknod applied the umask) and the owner of a node just made.
fn fix_owner_and_mode(
    dir: std::os::fd::BorrowedFd<'_>,
    name: &OsStr,
    d: &Device,
) -> std::io::Result<()> {
    let node = rustix::fs::openat2(
        dir,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS,
    )?;
    let st = rustix::fs::fstat(&node)?;
    if FileType::from_raw_mode(st.st_mode) != d.kind {
        return Err(std::io::Error::other(
            "node was replaced while being created",
        ));
    }
    rustix::fs::chmod(proc_fd_path(node.as_fd()), Mode::from_raw_mode(d.mode))?;
    let (uid, gid) = (
        rustix::fs::Uid::from_raw(d.uid),
        rustix::fs::Gid::from_raw(d.gid),
    );
    rustix::fs::chownat(&node, "", Some(uid), Some(gid), AtFlags::EMPTY_PATH)?;
    Ok(())
}

/// Bind-mounts the host's node at the same path onto an empty file in the rootfs.
fn bind_host_node(root: &Root, d: &Device) -> Result<()> {
    let what = || {
        format!(
            "bind-mount device {} (rootfs {})",
            d.path.display(),
            root.path().display()
        )
    };
    let target = root.resolve(&d.path, Create::File).ctx(what)?;
    mnt::mount(
        Some(&d.path),
        &target.proc_path(),
        None,
        libc::MS_BIND,
        None,
    )
    .ctx(what)
}

/// Replaces `/dev/ptmx` with a symlink to `pts/ptmx` (the devpts instance's multiplexer).
fn setup_ptmx(root: &Root) -> Result<()> {
    let what = || format!("create /dev/ptmx (rootfs {})", root.path().display());
    let dev = root.resolve(Path::new("/dev"), Create::Dir).ctx(what)?;
    match rustix::fs::unlinkat(&dev.fd, "ptmx", AtFlags::empty()) {
        Ok(()) | Err(rustix::io::Errno::NOENT) => {}
        Err(rustix::io::Errno::ISDIR) => {
            rustix::fs::unlinkat(&dev.fd, "ptmx", AtFlags::REMOVEDIR).ctx(what)?
        }
        Err(e) => return Err(e).ctx(what),
    }
    rustix::fs::symlinkat("pts/ptmx", &dev.fd, "ptmx").ctx(what)
}

/// `/dev/fd`, `/dev/std{in,out,err}`, and `/dev/core` when the kernel has `/proc/kcore`.
fn setup_symlinks(root: &Root) -> Result<()> {
    let mut links = vec![
        ("/proc/self/fd", "fd"),
        ("/proc/self/fd/0", "stdin"),
        ("/proc/self/fd/1", "stdout"),
        ("/proc/self/fd/2", "stderr"),
    ];
    if Path::new("/proc/kcore").symlink_metadata().is_ok() {
        links.push(("/proc/kcore", "core"));
    }
    let what = || format!("create /dev symlinks (rootfs {})", root.path().display());
    let dev = root.resolve(Path::new("/dev"), Create::Dir).ctx(what)?;
    for (target, name) in links {
        match rustix::fs::symlinkat(target, &dev.fd, name) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(e) => return Err(e).ctx(|| format!("{}: /dev/{name}", what())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::{LinuxBuilder, LinuxDeviceBuilder, MountBuilder, SpecBuilder};

    #[test]
    fn merges_defaults() {
        let fuse = LinuxDeviceBuilder::default()
            .path("/dev/fuse")
            .typ(LinuxDeviceType::C)
            .major(10)
            .minor(229)
            .file_mode(0o20640u32)
            .uid(1u32)
            .build()
            .unwrap();
        let null = LinuxDeviceBuilder::default()
            .path("/dev//null")
            .typ(LinuxDeviceType::C)
            .major(1)
            .minor(3)
            .file_mode(0o600u32)
            .build()
            .unwrap();
        let ptmx = LinuxDeviceBuilder::default()
            .path("/dev/ptmx")
            .typ(LinuxDeviceType::C)
            .major(5)
            .minor(2)
            .build()
            .unwrap();
        let linux = LinuxBuilder::default()
            .devices(vec![fuse, null, ptmx])
            .build()
            .unwrap();
        let spec = SpecBuilder::default().linux(linux).build().unwrap();
        let d = devices(&spec).unwrap();
        assert_eq!(d.len(), 7);
        assert_eq!(d[0].mode, 0o640);
        assert_eq!(d[0].uid, 1);
        assert_eq!(d[1].mode, 0o600);
        assert!(d.iter().all(|x| x.path != Path::new("/dev/ptmx")));
        assert_eq!(
            d.iter()
                .filter(|x| same_path(&x.path, Path::new("/dev/null")))
                .count(),
            1
        );
    }

    #[test]
    fn rejects_bad_devices() {
        let all = LinuxDeviceBuilder::default()
            .path("/dev/x")
            .typ(LinuxDeviceType::A)
            .build()
            .unwrap();
        let linux = LinuxBuilder::default().devices(vec![all]).build().unwrap();
        let spec = SpecBuilder::default().linux(linux).build().unwrap();
        assert!(devices(&spec).is_err());
        let neg = LinuxDeviceBuilder::default()
            .path("/dev/x")
            .major(-1)
            .build()
            .unwrap();
        let linux = LinuxBuilder::default().devices(vec![neg]).build().unwrap();
        let spec = SpecBuilder::default().linux(linux).build().unwrap();
        assert!(devices(&spec).is_err());
    }

    #[test]
    fn dev_bind_skips_setup() {
        let m = MountBuilder::default()
            .destination("/dev/")
            .typ("bind")
            .source("/dev")
            .options(vec!["rbind".to_string()])
            .build()
            .unwrap();
        let spec = SpecBuilder::default().mounts(vec![m]).build().unwrap();
        assert!(!needs_setup(&spec));
        assert!(needs_setup(
            &SpecBuilder::default().mounts(vec![]).build().unwrap()
        ));
    }
}
