//! Operations relative to a directory fd that never follow a symlink: removing an entry
//! (recursively), setting owner, mode, times and xattrs.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use rustix::fs::{AtFlags, FileType, Gid, Mode, Timespec, Timestamps, Uid, XattrFlags};
use rustix::io::Errno;

/// Flags that open an existing directory without following a symlink.
pub const DIR_FLAGS: rustix::fs::OFlags = rustix::fs::OFlags::RDONLY
    .union(rustix::fs::OFlags::DIRECTORY)
    .union(rustix::fs::OFlags::NOFOLLOW)
    .union(rustix::fs::OFlags::CLOEXEC);

/// The kind of `name` in `dir` (not following a symlink); `None` when it does not exist.
pub fn kind_at(dir: BorrowedFd<'_>, name: &[u8]) -> rustix::io::Result<Option<FileType>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(FileType::from_raw_mode(st.st_mode))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes `name` in `parent`, recursively if it is a directory, never following a symlink.
/// A missing entry is not an error.
pub fn remove_at(parent: BorrowedFd<'_>, name: &[u8]) -> std::io::Result<()> {
    match rustix::fs::unlinkat(parent, name, AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => return Ok(()),
        Err(Errno::ISDIR) => {}
        Err(e) => return Err(e.into()),
    }
    let dir = rustix::fs::openat(parent, name, DIR_FLAGS, Mode::empty())?;
    let mut names = Vec::new();
    for entry in rustix::fs::Dir::read_from(&dir)? {
        let entry = entry?;
        let n = entry.file_name().to_bytes();
        if n != b"." && n != b".." {
            names.push(n.to_vec());
        }
    }
    for n in names {
        remove_at(dir.as_fd(), &n)?;
    }
    rustix::fs::unlinkat(parent, name, AtFlags::REMOVEDIR)?;
    Ok(())
}

/// Access and modification time, both `mtime` (seconds, nanoseconds).
pub fn times(mtime: (i64, u32)) -> Timestamps {
    let t = Timespec {
        tv_sec: mtime.0,
        tv_nsec: mtime.1.into(),
    };
    Timestamps {
        last_access: t,
        last_modification: t,
    }
}

/// Owner of an open file or directory.
pub fn fchown(fd: BorrowedFd<'_>, uid: u32, gid: u32) -> rustix::io::Result<()> {
    rustix::fs::fchown(fd, Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid)))
}

/// Owner of `name` in `dir` itself (a symlink is not followed).
pub fn lchown_at(dir: BorrowedFd<'_>, name: &[u8], uid: u32, gid: u32) -> rustix::io::Result<()> {
    rustix::fs::chownat(
        dir,
        name,
        Some(Uid::from_raw(uid)),
        Some(Gid::from_raw(gid)),
        AtFlags::SYMLINK_NOFOLLOW,
    )
}

/// Times of `name` in `dir` itself (a symlink is not followed).
pub fn set_times_at(dir: BorrowedFd<'_>, name: &[u8], mtime: (i64, u32)) -> rustix::io::Result<()> {
    rustix::fs::utimensat(dir, name, &times(mtime), AtFlags::SYMLINK_NOFOLLOW)
}

/// Mode of an open file or directory.
pub fn fchmod(fd: BorrowedFd<'_>, mode: u32) -> rustix::io::Result<()> {
    rustix::fs::fchmod(fd, Mode::from_raw_mode(mode & 0o7777))
}

/// Sets xattrs on an open file or directory. Filesystems without xattrs and names the
/// caller may not set (`trusted.*` without `CAP_SYS_ADMIN`) are skipped.
pub fn fset_xattrs<'a>(
    fd: BorrowedFd<'_>,
    xattrs: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> rustix::io::Result<()> {
    for (key, value) in xattrs {
        match rustix::fs::fsetxattr(fd, key, value, XattrFlags::empty()) {
            Ok(()) | Err(Errno::OPNOTSUPP | Errno::PERM) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Sets xattrs on `name` in `dir` itself (a symlink or fifo, which cannot be opened for
/// this), through `/proc/self/fd/N/name` with the final component not followed.
pub fn set_xattrs_at<'a>(
    dir: BorrowedFd<'_>,
    name: &[u8],
    xattrs: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> rustix::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let mut path = std::path::PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd()));
    path.push(std::ffi::OsStr::from_bytes(name));
    for (key, value) in xattrs {
        match rustix::fs::lsetxattr(&path, key, value, XattrFlags::empty()) {
            Ok(()) | Err(Errno::OPNOTSUPP | Errno::PERM) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_at_never_follows() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("keep"), "x").unwrap();
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("t/sub")).unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("t/sub/link")).unwrap();
        let fd = rustix::fs::open(d.path(), DIR_FLAGS, Mode::empty()).unwrap();
        remove_at(fd.as_fd(), b"t").unwrap();
        remove_at(fd.as_fd(), b"missing").unwrap();
        assert!(!d.path().join("t").exists());
        assert!(outside.path().join("keep").exists());
        assert_eq!(kind_at(fd.as_fd(), b"t").unwrap(), None);
    }
}
