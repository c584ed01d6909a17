//! Mounting one `mounts` entry of the spec under the rootfs: bind mounts (with the second
//! `MS_BIND | MS_REMOUNT` that makes their flags effective), filesystems (proc, sysfs, tmpfs,
//! devpts, mqueue, overlay, ...), then propagation changes and recursive attributes. Every
//! destination is resolved inside the rootfs ([`super::resolve`]) and mounted on through
//! `/proc/self/fd/N` of the resolved target.

use std::io;
use std::path::{Component, Path, PathBuf};

use oci_spec::runtime::Mount;

use super::mnt;
use super::options::{self, MountOptions, MsBits, ATIME_FLAGS, LOCKED_FLAGS};
use super::resolve::{Create, Root, Target};
use super::{cgroup, MountContext};
use crate::error::{Error, IoContext, Result};

/// `PROC_SUPER_MAGIC` from `<linux/magic.h>`.
const PROC_SUPER_MAGIC: u64 = 0x9fa0;

/// Files under `/proc` that may be bind-mounted over (what lxcfs emulates), as runc allows.
const PROC_ALLOWED: &[&str] = &[
    "/proc/cpuinfo",
    "/proc/diskstats",
    "/proc/meminfo",
    "/proc/stat",
    "/proc/swaps",
    "/proc/uptime",
    "/proc/loadavg",
    "/proc/slabinfo",
    "/proc/net/dev",
    "/proc/sys/kernel/ns_last_pid",
];

/// A spec mount, normalised.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Filesystem type (`bind` for bind mounts).
    pub fstype: String,
    /// Source: a host path for binds, a device or a name (`proc`, `tmpfs`) otherwise.
    pub source: Option<PathBuf>,
    /// Destination inside the container, as the spec gives it.
    pub dest: PathBuf,
    /// Parsed options.
    pub opts: MountOptions,
}

impl Entry {
    /// Normalises a spec mount: a `bind` type or a `bind`/`rbind` option makes a bind mount.
    pub fn from_spec(m: &Mount) -> Entry {
        let mut opts = options::parse(m.options().as_deref().unwrap_or(&[]));
        let mut fstype = m.typ().clone().unwrap_or_default();
        if fstype == "bind" || opts.is_bind() {
            fstype = "bind".into();
            opts.flags |= libc::MS_BIND;
        }
        Entry {
            fstype,
            source: m.source().clone(),
            dest: m.destination().clone(),
            opts,
        }
    }

    /// Whether this is a bind mount.
    pub fn is_bind(&self) -> bool {
        self.fstype == "bind"
    }

    /// "mount proc on /proc (rootfs /x/rootfs)" or "bind-mount /src on /dst (rootfs ...)".
    pub fn describe(&self, root: &Root) -> String {
        let dest = self.dest.display();
        let rootfs = root.path().display();
        match (&self.source, self.is_bind()) {
            (Some(src), true) => {
                format!("bind-mount {} on {dest} (rootfs {rootfs})", src.display())
            }
            _ => format!("mount {} on {dest} (rootfs {rootfs})", self.fstype),
        }
    }
}

/// Whether `dest` names `/dev` (after dropping `.`, duplicate and trailing slashes).
pub(crate) fn is_dev(dest: &Path) -> bool {
    let names: Vec<_> = dest
        .components()
        .filter(|c| !matches!(c, Component::RootDir | Component::CurDir))
        .collect();
    names == [Component::Normal("dev".as_ref())]
}

/// Mounts one entry (dispatching on its kind).
pub(crate) fn mount_entry(root: &Root, e: &Entry, ctx: MountContext<'_>) -> Result<()> {
    if e.opts.idmap {
        return Err(Error::Io {
            what: e.describe(root),
            source: io::Error::new(
                io::ErrorKind::Unsupported,
                "idmap/ridmap mounts are not supported by berth yet",
            ),
        });
    }
    match e.fstype.as_str() {
        "bind" => mount_bind(root, e),
        "cgroup" | "cgroup2" => cgroup::mount_cgroup(root, e, ctx),
        _ => mount_fs(root, e),
    }
}

/// Mounts a filesystem (anything but a bind mount) at the entry's destination.
pub(crate) fn mount_fs(root: &Root, e: &Entry) -> Result<()> {
    let what = || e.describe(root);
    let tmpfs = e.fstype == "tmpfs";
    // A tmpfs over an existing directory keeps that directory's mode, as runc does.
    let old_mode = match tmpfs {
        true => root
            .resolve(&e.dest, Create::No)
            .ok()
            .and_then(|t| rustix::fs::fstat(&t.fd).ok())
            .map(|st| st.st_mode & 0o7777),
        false => None,
    };
    let target = root.resolve(&e.dest, Create::Dir).ctx(what)?;
    check_proc_dest(root, e, &target, e.fstype == "proc")?;
    let mut flags = e.opts.flags;
    // Read-only tmpfs and /dev are remounted read-only by `finalize`, once filled.
    if tmpfs || is_dev(&e.dest) {
        flags &= !libc::MS_RDONLY;
    }
    let data = match old_mode {
        Some(mode) if e.opts.data.is_empty() => format!("mode={mode:04o}"),
        Some(mode) => format!("mode={mode:04o},{}", e.opts.data),
        None => e.opts.data.clone(),
    };
    let data = (!data.is_empty()).then_some(data.as_str());
    let source = e.source.clone().unwrap_or_else(|| PathBuf::from(&e.fstype));
    mnt::mount(
        Some(&source),
        &target.proc_path(),
        Some(&e.fstype),
        flags,
        data,
    )
    .ctx(what)?;
    after_mount(root, e, &target.path)
}

/// Bind-mounts a host path at the entry's destination and applies its flags.
pub(crate) fn mount_bind(root: &Root, e: &Entry) -> Result<()> {
    let what = || e.describe(root);
    let source = e
        .source
        .as_deref()
        .ok_or_else(|| Error::Spec(format!("bind mount on {} has no source", e.dest.display())))?;
    // Relative sources are relative to the bundle, which is the runtime's working directory.
    let source = std::path::absolute(source).ctx(what)?;
    let meta = std::fs::metadata(&source).ctx(|| format!("{}: source", what()))?;
    let create = if meta.is_dir() {
        Create::Dir
    } else {
        Create::File
    };
    let target = root.resolve(&e.dest, create).ctx(what)?;
    check_proc_dest(root, e, &target, is_procfs(&source))?;
    let flags = e.opts.flags & (libc::MS_BIND | libc::MS_REC);
    mnt::mount(Some(&source), &target.proc_path(), None, flags, None).ctx(what)?;
    let extra = e.opts.flags & !(libc::MS_BIND | libc::MS_REC | libc::MS_REMOUNT);
    if extra != 0 || e.opts.cleared != 0 {
        let mounted = root.resolve(&target.path, Create::No).ctx(what)?;
        remount_bind(&mounted, e, &source).ctx(|| format!("{}: remount with options", what()))?;
    }
    after_mount(root, e, &target.path)
}

/// The `MS_BIND | MS_REMOUNT` that gives a bind mount its flags. When the kernel refuses
/// (flags locked because the source came from a more privileged user namespace), retry with
/// the source's locked flags kept, unless the user explicitly asked to clear one of them.
fn remount_bind(mounted: &Target, e: &Entry, source: &Path) -> io::Result<()> {
    let target = mounted.proc_path();
    let flags: MsBits = e.opts.flags | libc::MS_BIND | libc::MS_REMOUNT;
    let err = match mnt::mount(None, &target, None, flags, None) {
        Ok(()) => return Ok(()),
        Err(err) => err,
    };
    if err.raw_os_error() != Some(libc::EPERM) {
        return Err(err);
    }
    let src = mnt::mount_flags(source)?;
    if src & e.opts.cleared & LOCKED_FLAGS != 0 {
        return Err(err);
    }
    let asked_atime = e.opts.flags & ATIME_FLAGS;
    if asked_atime != 0 && asked_atime != src & ATIME_FLAGS {
        return Err(err);
    }
    mnt::mount(None, &target, None, flags | (src & LOCKED_FLAGS), None)
}

/// Propagation changes and recursive attributes, applied to the new mount.
fn after_mount(root: &Root, e: &Entry, inner: &Path) -> Result<()> {
    if e.opts.propagation.is_empty() && e.opts.rec_attr.is_none() {
        return Ok(());
    }
    let what = || e.describe(root);
    let mounted = root.resolve(inner, Create::No).ctx(what)?;
    for &p in &e.opts.propagation {
        mnt::set_propagation(&mounted.proc_path(), p)
            .ctx(|| format!("{}: set propagation", what()))?;
    }
    if let Some(rec) = e.opts.rec_attr {
        mnt::set_rec_attr(std::os::fd::AsFd::as_fd(&mounted.fd), rec)
            .ctx(|| format!("{}: set recursive attributes", what()))?;
    }
    Ok(())
}

/// Refuses mounts over `/proc` (unless of a proc filesystem) and inside it (except a few
/// files lxcfs emulates): they could hide the kernel's view or the masks applied later.
fn check_proc_dest(root: &Root, e: &Entry, target: &Target, source_is_proc: bool) -> Result<()> {
    let p = &target.path;
    if !p.starts_with("/proc") {
        return Ok(());
    }
    if p == Path::new("/proc") {
        if source_is_proc {
            return Ok(());
        }
        return Err(Error::Spec(format!(
            "{}: only a proc filesystem may be mounted on /proc",
            e.describe(root)
        )));
    }
    if PROC_ALLOWED.iter().any(|a| p == Path::new(a)) {
        return Ok(());
    }
    Err(Error::Spec(format!(
        "{}: {} is inside /proc, where only {} may be mounted over",
        e.describe(root),
        p.display(),
        PROC_ALLOWED.join(", ")
    )))
}

fn is_procfs(path: &Path) -> bool {
    rustix::fs::statfs(path).is_ok_and(|st| st.f_type as u64 == PROC_SUPER_MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::MountBuilder;

    #[test]
    fn dev_detection() {
        assert!(is_dev(Path::new("/dev")));
        assert!(is_dev(Path::new("/dev/")));
        assert!(is_dev(Path::new("//./dev")));
        assert!(!is_dev(Path::new("/dev/pts")));
        assert!(!is_dev(Path::new("/")));
    }

    #[test]
    fn entries() {
        let m = MountBuilder::default()
            .destination("/data")
            .typ("none")
            .source("/srv")
            .options(vec!["rbind".to_string(), "ro".to_string()])
            .build()
            .unwrap();
        let e = Entry::from_spec(&m);
        assert!(e.is_bind());
        assert_eq!(e.opts.flags, libc::MS_BIND | libc::MS_REC | libc::MS_RDONLY);
        let m = MountBuilder::default()
            .destination("/x")
            .typ("bind")
            .source("/srv")
            .build()
            .unwrap();
        let e = Entry::from_spec(&m);
        assert!(e.is_bind());
        assert_eq!(e.opts.flags, libc::MS_BIND);
        let m = MountBuilder::default()
            .destination("/proc")
            .typ("proc")
            .build()
            .unwrap();
        assert_eq!(Entry::from_spec(&m).fstype, "proc");
    }

    #[test]
    fn relative_bind_sources_join_the_bundle() {
        let bind = |src: &str| {
            MountBuilder::default()
                .destination("/d")
                .typ("none")
                .source(src)
                .options(vec!["bind".to_string()])
                .build()
                .unwrap()
        };
        let tmpfs = MountBuilder::default()
            .destination("/t")
            .typ("tmpfs")
            .source("tmpfs")
            .build()
            .unwrap();
        let mut spec = oci_spec::runtime::SpecBuilder::default()
            .mounts(vec![bind("data/x"), bind("/abs"), tmpfs])
            .build()
            .unwrap();
        crate::rootfs::absolutize_sources(&mut spec, Path::new("/bundle"));
        let sources: Vec<_> = spec
            .mounts()
            .iter()
            .flatten()
            .map(|m| m.source().clone())
            .collect();
        assert_eq!(
            sources,
            vec![
                Some("/bundle/data/x".into()),
                Some("/abs".into()),
                Some("tmpfs".into())
            ]
        );
    }
}
