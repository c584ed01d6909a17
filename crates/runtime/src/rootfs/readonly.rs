//! The last read-only steps of `finalize`: tmpfs and `/dev` mounts that asked for `ro` (left
//! writable until now so that mount points and device nodes could be created in them), and a
//! read-only `/` for `root.readonly`. Each is a `MS_BIND | MS_REMOUNT | MS_RDONLY` that keeps
//! the mount's other flags (changing a locked flag would fail in a user namespace).

use std::path::Path;

use oci_spec::runtime::Spec;

use super::mnt;
use super::mounts::{is_dev, Entry};
use super::options::LOCKED_FLAGS;
use crate::error::{IoContext, Result};

/// Remounts read-only the tmpfs and `/dev` entries of `spec.mounts` that have `ro`.
pub(crate) fn remount_delayed(spec: &Spec) -> Result<()> {
    for m in spec.mounts().iter().flatten() {
        let e = Entry::from_spec(m);
        if e.is_bind() || !e.opts.is_readonly() || !(e.fstype == "tmpfs" || is_dev(&e.dest)) {
            continue;
        }
        let dest = Path::new("/").join(&e.dest);
        remount_ro(&dest)
            .ctx(|| format!("remount {} on {} read-only", e.fstype, e.dest.display()))?;
    }
    Ok(())
}

/// Remounts `/` read-only.
pub(crate) fn readonly_root() -> Result<()> {
    remount_ro(Path::new("/")).ctx(|| "remount / read-only (root.readonly)".into())
}

fn remount_ro(path: &Path) -> std::io::Result<()> {
    let keep = mnt::mount_flags(path)? & LOCKED_FLAGS;
    let flags = keep | libc::MS_RDONLY | libc::MS_BIND | libc::MS_REMOUNT;
    mnt::mount(None, path, None, flags, None)
}
