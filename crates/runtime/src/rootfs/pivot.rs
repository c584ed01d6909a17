//! Making the rootfs the process's `/`: `pivot_root(".", ".")` and a lazy unmount of the old
//! root (runc's sequence), or with `--no-pivot` a move of the rootfs over `/` and a chroot,
//! after hiding the host's proc and sysfs mounts that would otherwise stay reachable.

use std::path::Path;

use rustix::fs::{Mode, OFlags};
use rustix::mount::UnmountFlags;

use super::{mnt, mountinfo};
use crate::error::{IoContext, Result};

/// `pivot_root(2)` into `rootfs` and detach the old root.
pub(crate) fn pivot_root(rootfs: &Path) -> Result<()> {
    let at = |what: &str| format!("pivot_root into {}: {what}", rootfs.display());
    let flags = OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC;
    let old = rustix::fs::open("/", flags, Mode::empty()).ctx(|| at("open /"))?;
    let new = rustix::fs::open(rootfs, flags, Mode::empty()).ctx(|| at("open rootfs"))?;
    rustix::process::fchdir(&new).ctx(|| at("fchdir to rootfs"))?;
    // pivot_root(".", ".") stacks the old root on top of the new one, at the same place, so
    // no directory is needed in the rootfs for it.
    rustix::process::pivot_root(".", ".").ctx(|| at("pivot_root"))?;
    rustix::process::fchdir(&old).ctx(|| at("fchdir to old root"))?;
    // Unmount events must not reach the host.
    mnt::set_propagation(Path::new("."), libc::MS_SLAVE | libc::MS_REC)
        .ctx(|| at("make old root rslave"))?;
    rustix::mount::unmount(".", UnmountFlags::DETACH).ctx(|| at("detach old root"))?;
    rustix::process::chdir("/").ctx(|| at("chdir /"))?;
    Ok(())
}

/// `--no-pivot`: move the rootfs mount over `/` and chroot into it.
pub(crate) fn move_root(rootfs: &Path) -> Result<()> {
    let at = |what: &str| format!("move {} to / (--no-pivot): {what}", rootfs.display());
    hide_host_pseudo_fs(rootfs)?;
    rustix::process::chdir(rootfs).ctx(|| at("chdir to rootfs"))?;
    mnt::mount(Some(rootfs), Path::new("/"), None, libc::MS_MOVE, None).ctx(|| at("MS_MOVE"))?;
    rustix::process::chroot(".").ctx(|| at("chroot ."))?;
    rustix::process::chdir("/").ctx(|| at("chdir /"))?;
    Ok(())
}

/// With chroot the old mounts stay in the namespace, and the kernel allows a new proc or
/// sysfs mount only where a full one is visible: unmount (or cover with an empty tmpfs) every
/// full proc and sysfs mount outside the rootfs, so the container cannot mount its own.
fn hide_host_pseudo_fs(rootfs: &Path) -> Result<()> {
    let mounts =
        mountinfo::read_types(&["proc", "sysfs"]).ctx(|| "read /proc/self/mountinfo".into())?;
    for m in mounts.iter().filter(|m| {
        m.root == Path::new("/")
            && (m.fs_type == "proc" || m.fs_type == "sysfs")
            && !m.mount_point.starts_with(rootfs)
    }) {
        let p = &m.mount_point;
        let at = || format!("hide host {} at {} (--no-pivot)", m.fs_type, p.display());
        match mnt::set_propagation(p, libc::MS_SLAVE | libc::MS_REC) {
            // Already gone with an unmounted parent.
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => continue,
            other => other.ctx(at)?,
        }
        match rustix::mount::unmount(p, UnmountFlags::DETACH) {
            Ok(()) => {}
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::PERM) => {
                mnt::mount(Some(Path::new("tmpfs")), p, Some("tmpfs"), 0, None).ctx(at)?
            }
            Err(e) => return Err(e).ctx(at),
        }
    }
    Ok(())
}
