//! The container's filesystem view, built inside its new mount namespace by the container
//! process: rootfs propagation, the bind of the rootfs onto itself, every `mounts` entry
//! (destinations resolved *inside* the rootfs so that no symlink in the image can point a
//! mount at the host), device nodes, `/dev` symlinks, `pivot_root` (or the `--no-pivot`
//! fallback), then masked paths, read-only paths and a read-only root.
//!
//! Layout: `options` parses mount options, `resolve` resolves paths inside the rootfs,
//! `mounts` mounts one spec entry (`cgroup` for cgroup entries), `devices` makes device
//! nodes, `pivot` switches the root, `masked` and `readonly` do the last steps;
//! `mountinfo` reads the mount table and `mnt` wraps `mount(2)`.

mod cgroup;
mod devices;
mod masked;
mod mnt;
pub(crate) mod mountinfo;
mod mounts;
mod options;
mod pivot;
mod readonly;
mod resolve;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use oci_spec::runtime::Spec;

use crate::error::{Error, IoContext, Result};

/// Facts about the container that change how mounts are made.
#[derive(Debug, Clone, Copy, Default)]
pub struct MountContext<'a> {
    /// The container has its own user namespace: device nodes cannot be created with mknod
    /// and are bind-mounted from the host instead; some mount flags must be preserved.
    pub in_user_namespace: bool,
    /// The container has its own cgroup namespace (affects `cgroup` mounts).
    pub in_cgroup_namespace: bool,
    /// The text of `/proc/self/mountinfo` as the runtime read it before the clone, when the
    /// container's mount namespace is a fresh copy of the runtime's: `cgroup` mounts find the
    /// host's hierarchies in it instead of reading the table again (a cost that grows with
    /// every mount on the host). `None` reads the table when it is needed.
    pub host_mounts: Option<&'a str>,
}

/// Step 1, before `createContainer` hooks: sets the propagation of `/` (the spec's
/// `linux.rootfsPropagation`, default slave, always recursive), bind-mounts `rootfs` onto
/// itself, mounts every entry of `spec.mounts` under it, creates `linux.devices` plus the
/// default devices (null, zero, full, random, urandom, tty, ptmx -> pts/ptmx) and the
/// `/dev/fd`, `/dev/stdin`, `/dev/stdout`, `/dev/stderr`, `/dev/core` symlinks.
///
/// Relative bind-mount sources are taken relative to the working directory, which the
/// runtime sets to the bundle (see [`absolutize_sources`] to make them absolute beforehand).
/// Device nodes are skipped when the spec bind-mounts `/dev` itself.
pub fn mount_all(spec: &Spec, rootfs: &Path, ctx: MountContext<'_>) -> Result<()> {
    let rootfs = canonical(rootfs)?;
    // Mount targets are named through /proc/self/fd: the runtime's namespace needs a /proc.
    if !Path::new("/proc/self/fd").is_dir() {
        return Err(Error::Io {
            what: format!("set up rootfs {}", rootfs.display()),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "/proc is not mounted in the runtime's mount namespace",
            ),
        });
    }
    prepare_root(spec, &rootfs)?;
    let root = resolve::Root::open(&rootfs).ctx(|| format!("open rootfs {}", rootfs.display()))?;
    for m in spec.mounts().iter().flatten() {
        mounts::mount_entry(&root, &mounts::Entry::from_spec(m), ctx)?;
    }
    if devices::needs_setup(spec) {
        devices::setup(&root, spec, ctx.in_user_namespace)?;
    }
    Ok(())
}

/// Step 2: makes `rootfs` the process's `/` with `pivot_root(2)` and detaches the old root;
/// with `no_pivot`, moves the rootfs over `/` and chroots instead (runc's `--no-pivot`).
pub fn pivot(rootfs: &Path, no_pivot: bool) -> Result<()> {
    let rootfs = canonical(rootfs)?;
    if no_pivot {
        pivot::move_root(&rootfs)
    } else {
        pivot::pivot_root(&rootfs)
    }
}

/// Step 3, after pivot: masks `linux.maskedPaths` (a read-only empty tmpfs for directories,
/// /dev/null bind for files, silently skipping missing paths), makes `linux.readonlyPaths`
/// read-only binds, and remounts `/` read-only when `root.readonly` is set.
///
/// It first applies `linux.rootfsPropagation`, when set, to the new `/` (the propagation
/// given to the old `/` in [`mount_all`] does not survive the pivot), and last remounts
/// read-only the tmpfs and `/dev` mounts that asked for `ro` (they stay writable until
/// then so that mount points and device nodes can be made in them).
pub fn finalize(spec: &Spec) -> Result<()> {
    if let Some(flags) = root_propagation(spec)? {
        mnt::set_propagation(Path::new("/"), flags)
            .ctx(|| "set propagation of / (linux.rootfsPropagation)".into())?;
    }
    let linux = spec.linux().as_ref();
    for p in linux
        .and_then(|l| l.readonly_paths().as_ref())
        .into_iter()
        .flatten()
    {
        masked::readonly(Path::new(p))?;
    }
    for p in linux
        .and_then(|l| l.masked_paths().as_ref())
        .into_iter()
        .flatten()
    {
        masked::mask(Path::new(p))?;
    }
    readonly::remount_delayed(spec)?;
    if spec
        .root()
        .as_ref()
        .and_then(|r| r.readonly())
        .unwrap_or(false)
    {
        readonly::readonly_root()?;
    }
    Ok(())
}

/// Makes every relative bind-mount source in `spec` absolute by joining it to `bundle`, as
/// the specification defines relative sources (call before forking the container).
pub fn absolutize_sources(spec: &mut Spec, bundle: &Path) {
    let Some(list) = spec.mounts_mut().as_mut() else {
        return;
    };
    for m in list.iter_mut() {
        if !mounts::Entry::from_spec(m).is_bind() {
            continue;
        }
        if let Some(src) = m.source().as_ref().filter(|s| s.is_relative()) {
            let abs = bundle.join(src);
            m.set_source(Some(abs));
        }
    }
}

/// `linux.rootfsPropagation` as `mount(2)` flags, `None` when unset.
fn root_propagation(spec: &Spec) -> Result<Option<options::MsBits>> {
    let Some(value) = spec
        .linux()
        .as_ref()
        .and_then(|l| l.rootfs_propagation().as_deref())
    else {
        return Ok(None);
    };
    options::parse_propagation(value).map(Some).ok_or_else(|| {
        Error::Spec(format!(
            "linux.rootfsPropagation {value:?} is not one of shared, slave, private, unbindable \
             (or their r* forms)"
        ))
    })
}

/// Sets the propagation of `/` (rslave unless the spec says otherwise), makes the mount
/// holding the rootfs and the `/` mount private when they are shared (pivot_root and
/// `MS_MOVE` refuse shared parents, and the rootfs bind would propagate to the host), and
/// bind-mounts the rootfs onto itself so it is a mount point of its own.
fn prepare_root(spec: &Spec, rootfs: &Path) -> Result<()> {
    // Recursive whatever the spec says, as crun does, so that no submount of the old root
    // keeps the host's propagation by accident (`finalize` applies the spec's value as given
    // to the new root). The rootfs and everything mounted in it stay private either way.
    let mut flags = root_propagation(spec)?.unwrap_or(libc::MS_SLAVE) | libc::MS_REC;
    if flags & libc::MS_UNBINDABLE != 0 {
        // An unbindable old root would refuse the rootfs bind below: keep it private here;
        // `finalize` makes the new root unbindable.
        flags = (flags & !libc::MS_UNBINDABLE) | libc::MS_PRIVATE;
    }
    mnt::set_propagation(Path::new("/"), flags).ctx(|| "set propagation of /".into())?;
    // Only a shared propagation leaves shared mounts behind (slave and private make every
    // mount non-shared): then make the mount holding the rootfs and `/` private. The holding
    // mount is found by walking up from the rootfs, not by reading the mount table, whose
    // cost grows with every mount on the host.
    if flags & libc::MS_SHARED != 0 {
        make_holder_private(rootfs)?;
        mnt::set_propagation(Path::new("/"), libc::MS_PRIVATE)
            .ctx(|| format!("make / private (rootfs {})", rootfs.display()))?;
    }
    mnt::mount(
        Some(rootfs),
        rootfs,
        None,
        libc::MS_BIND | libc::MS_REC,
        None,
    )
    .ctx(|| format!("bind-mount rootfs {} onto itself", rootfs.display()))
}

/// Makes the mount holding `path` private: the first of `path` and its ancestors that is a
/// mount point (a propagation change on any other directory fails with `EINVAL`); with
/// stacked mounts, the top one, the one path lookups reach.
fn make_holder_private(path: &Path) -> Result<()> {
    for dir in path.ancestors() {
        match mnt::set_propagation(dir, libc::MS_PRIVATE) {
            Ok(()) => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => continue,
            Err(e) => {
                return Err(e)
                    .ctx(|| format!("make {} private (rootfs {})", dir.display(), path.display()))
            }
        }
    }
    Ok(())
}

fn canonical(rootfs: &Path) -> Result<PathBuf> {
    std::fs::canonicalize(rootfs).ctx(|| format!("rootfs {}", rootfs.display()))
}
