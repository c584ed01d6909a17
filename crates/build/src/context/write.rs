//! Writing into an image root confined like a chroot: directories created along resolved
//! paths, and files, symlinks and metadata written without following a final symlink.

use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{lchown, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use super::error::{io_err, ContextError};
use super::resolve::{resolve, Confine};

/// What to set on a written entry.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Meta {
    /// Permission bits (07777); ignored for symlinks.
    pub mode: u32,
    /// Owner to set, or `None` to leave it (non-root without `--chown`).
    pub owner: Option<(u32, u32)>,
    /// Modification time (seconds, nanoseconds) to set.
    pub mtime: Option<(i64, i64)>,
}

/// The owner new entries get: `--chown`, else 0:0 when running as root.
pub(crate) fn default_owner(chown: Option<(u32, u32)>) -> Option<(u32, u32)> {
    chown.or_else(|| rustix::process::geteuid().is_root().then_some((0, 0)))
}

/// Joins slash-separated relative paths.
pub(crate) fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    }
}

/// Makes sure the directory `path` (relative to `root`, resolved chroot-like) exists,
/// creating missing ones with mode 0755 and `owner`. Returns its real path relative to
/// `root` and whether the last component was created.
pub(crate) fn ensure_dir(
    root: &Path,
    path: &str,
    owner: Option<(u32, u32)>,
    display: &str,
) -> Result<(String, bool), ContextError> {
    let confine = Confine {
        strict: false,
        ignore: None,
        display,
    };
    let not_dir = |p: &str| ContextError::Destination {
        dest: display.to_string(),
        reason: format!("/{p} exists and is not a directory"),
    };
    let mut created = false;
    loop {
        let r = resolve(root, path, true, confine)?;
        let real = r.real_rel();
        let host = root.join(&real);
        let md = fs::symlink_metadata(&host).map_err(io_err(format!("reading /{real}")))?;
        if !md.is_dir() {
            return Err(not_dir(&real));
        }
        let Some(next) = r.rest.first() else {
            return Ok((real, created));
        };
        let new = host.join(next);
        fs::create_dir(&new)
            .map_err(io_err(format!("creating directory /{}", join(&real, next))))?;
        fs::set_permissions(&new, fs::Permissions::from_mode(0o755))
            .map_err(io_err(format!("setting mode of {}", new.display())))?;
        set_owner(&new, owner)?;
        created = r.rest.len() == 1;
    }
}

/// Removes whatever is at `path` (without following a symlink); nothing if absent.
pub(crate) fn clear(path: &Path) -> Result<(), ContextError> {
    match fs::symlink_metadata(path) {
        Ok(md) if md.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
    .map_err(io_err(format!("replacing {}", path.display())))
}

/// Writes a regular file at `path` (its parent a real directory), replacing what is there
/// and never following a symlink.
pub(crate) fn write_file(
    path: &Path,
    content: &mut dyn Read,
    meta: &Meta,
) -> Result<(), ContextError> {
    clear(path)?;
    let ctx = || format!("writing {}", path.display());
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(io_err(ctx()))?;
    io::copy(content, &mut f).map_err(io_err(ctx()))?;
    if let Some((uid, gid)) = meta.owner {
        std::os::unix::fs::fchown(&f, Some(uid), Some(gid))
            .map_err(io_err(format!("changing owner of {}", path.display())))?;
    }
    f.set_permissions(fs::Permissions::from_mode(meta.mode & 0o7777))
        .map_err(io_err(ctx()))?;
    drop(f);
    set_mtime(path, meta.mtime)
}

/// Creates a symlink at `path` pointing to `target`, replacing what is there.
pub(crate) fn write_symlink(path: &Path, target: &Path, meta: &Meta) -> Result<(), ContextError> {
    clear(path)?;
    std::os::unix::fs::symlink(target, path)
        .map_err(io_err(format!("creating symlink {}", path.display())))?;
    set_owner(path, meta.owner)?;
    set_mtime(path, meta.mtime)
}

/// Sets owner then mode of an existing directory (not following symlinks).
pub(crate) fn set_dir_meta(path: &Path, meta: &Meta) -> Result<(), ContextError> {
    set_owner(path, meta.owner)?;
    fs::set_permissions(path, fs::Permissions::from_mode(meta.mode & 0o7777))
        .map_err(io_err(format!("setting mode of {}", path.display())))
}

/// `lchown`, if an owner is given.
pub(crate) fn set_owner(path: &Path, owner: Option<(u32, u32)>) -> Result<(), ContextError> {
    match owner {
        Some((uid, gid)) => lchown(path, Some(uid), Some(gid))
            .map_err(io_err(format!("changing owner of {}", path.display()))),
        None => Ok(()),
    }
}

/// Sets atime and mtime of `path` itself (a symlink is not followed).
pub(crate) fn set_mtime(path: &Path, mtime: Option<(i64, i64)>) -> Result<(), ContextError> {
    let Some((sec, nsec)) = mtime else {
        return Ok(());
    };
    let t = rustix::fs::Timespec {
        tv_sec: sec,
        tv_nsec: nsec as _,
    };
    let times = rustix::fs::Timestamps {
        last_access: t,
        last_modification: t,
    };
    rustix::fs::utimensat(
        rustix::fs::CWD,
        path,
        &times,
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
    )
    .map_err(|e| ContextError::io(format!("setting times of {}", path.display()), e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn ensure_dir_creates_and_reroots() {
        let t = tempfile::tempdir().unwrap();
        fs::create_dir(t.path().join("opt")).unwrap();
        fs::create_dir(t.path().join("usr")).unwrap();
        std::os::unix::fs::symlink("/opt", t.path().join("usr/local")).unwrap();
        let (real, created) = ensure_dir(t.path(), "/usr/local/bin", Some((5, 6)), "x").unwrap();
        assert_eq!(real, "opt/bin");
        assert!(created);
        let md = fs::metadata(t.path().join("opt/bin")).unwrap();
        assert_eq!(md.mode() & 0o7777, 0o755);
        assert_eq!((md.uid(), md.gid()), (5, 6));
        let (_, created) = ensure_dir(t.path(), "opt/bin", None, "x").unwrap();
        assert!(!created);
        fs::write(t.path().join("f"), "").unwrap();
        assert!(matches!(
            ensure_dir(t.path(), "f/x", None, "x"),
            Err(ContextError::Destination { .. })
        ));
    }

    #[test]
    fn write_file_replaces_symlink_without_following() {
        let t = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, t.path().join("f")).unwrap();
        let meta = Meta {
            mode: 0o640,
            owner: None,
            mtime: Some((1000, 5)),
        };
        write_file(&t.path().join("f"), &mut &b"new"[..], &meta).unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        let md = fs::symlink_metadata(t.path().join("f")).unwrap();
        assert!(md.is_file());
        assert_eq!(md.mode() & 0o7777, 0o640);
        assert_eq!((md.mtime(), md.mtime_nsec()), (1000, 5));
    }
}
