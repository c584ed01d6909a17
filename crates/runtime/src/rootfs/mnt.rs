//! Thin `mount(2)` helpers shared by the rootfs steps: the raw call with any `MS_*` bits, a
//! propagation change, the recursive `mount_setattr(2)`, and a mount's current flags.

use std::io;
use std::os::fd::BorrowedFd;
use std::path::Path;

use nix::mount::MsFlags;

use super::options::{statvfs_to_ms, MsBits, RecAttr};

/// `mount(source, target, fstype, flags, data)` with raw `MS_*` bits.
pub(crate) fn mount(
    source: Option<&Path>,
    target: &Path,
    fstype: Option<&str>,
    flags: MsBits,
    data: Option<&str>,
) -> io::Result<()> {
    nix::mount::mount(
        source,
        target,
        fstype,
        MsFlags::from_bits_retain(flags),
        data,
    )
    .map_err(io::Error::from)
}

/// Changes the propagation of the mount at `target` (`MS_SHARED`, `MS_SLAVE | MS_REC`, ...).
pub(crate) fn set_propagation(target: &Path, flags: MsBits) -> io::Result<()> {
    mount(None, target, None, flags, None)
}

/// Applies recursive attributes to the mount tree whose root `fd` is.
pub(crate) fn set_rec_attr(fd: BorrowedFd<'_>, rec: RecAttr) -> io::Result<()> {
    use berth_sys::mount as m;
    let attr = m::MountAttr {
        attr_set: rec.set,
        attr_clr: rec.clr,
        ..Default::default()
    };
    m::mount_setattr(fd, Path::new(""), m::AT_EMPTY_PATH | m::AT_RECURSIVE, &attr)
}

/// The `MS_*` flags of the mount holding `path` (from `statvfs(2)`).
pub(crate) fn mount_flags(path: &Path) -> io::Result<MsBits> {
    let st = rustix::fs::statvfs(path)?;
    Ok(statvfs_to_ms(st.f_flag.bits()))
}
