//! `linux.maskedPaths` and `linux.readonlyPaths`, applied after the pivot (so every path is
//! the container's): a masked directory gets an empty read-only tmpfs over it, a masked file
//! `/dev/null`; a read-only path is bind-mounted on itself and remounted read-only. Missing
//! paths are skipped silently, as the specification asks.

use std::io;
use std::path::Path;

use super::mnt;
use super::options::LOCKED_FLAGS;
use crate::error::{IoContext, Result};

/// Hides `path` from the container; nothing happens when it does not exist.
pub(crate) fn mask(path: &Path) -> Result<()> {
    let what = || format!("mask {}", path.display());
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).ctx(what),
    };
    if meta.is_dir() {
        let flags = libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
        mnt::mount(Some(Path::new("tmpfs")), path, Some("tmpfs"), flags, None).ctx(what)
    } else {
        mnt::mount(
            Some(Path::new("/dev/null")),
            path,
            None,
            libc::MS_BIND,
            None,
        )
        .ctx(what)
    }
}

/// Makes `path` read-only for the container, keeping its other mount flags; nothing happens
/// when it does not exist.
pub(crate) fn readonly(path: &Path) -> Result<()> {
    let what = || format!("make {} read-only", path.display());
    match mnt::mount(Some(path), path, None, libc::MS_BIND | libc::MS_REC, None) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).ctx(what),
    }
    let keep = mnt::mount_flags(path).ctx(what)? & LOCKED_FLAGS;
    let flags = keep | libc::MS_RDONLY | libc::MS_BIND | libc::MS_REMOUNT;
    mnt::mount(None, path, None, flags, None).ctx(what)
}
