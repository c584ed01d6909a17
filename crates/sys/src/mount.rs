//! `mount_setattr(2)`: change the attributes of a mount (or a whole mount tree) in one call,
//! which neither `nix` nor `rustix` wraps. berth uses it for the OCI "recursive" mount options
//! (`rro`, `rnosuid`, `rnoexec`, ...), which apply to every submount of a bind mount.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// `MOUNT_ATTR_RDONLY`: the mount is read-only.
pub const MOUNT_ATTR_RDONLY: u64 = 0x0000_0001;
/// `MOUNT_ATTR_NOSUID`: set-user-id and set-group-id bits are ignored.
pub const MOUNT_ATTR_NOSUID: u64 = 0x0000_0002;
/// `MOUNT_ATTR_NODEV`: device files cannot be opened.
pub const MOUNT_ATTR_NODEV: u64 = 0x0000_0004;
/// `MOUNT_ATTR_NOEXEC`: programs cannot be executed.
pub const MOUNT_ATTR_NOEXEC: u64 = 0x0000_0008;
/// `MOUNT_ATTR__ATIME`: the mask of the access-time mode (clear it to change the mode).
pub const MOUNT_ATTR_ATIME_MASK: u64 = 0x0000_0070;
/// `MOUNT_ATTR_RELATIME`: relative access-time updates (the value 0 inside the mask).
pub const MOUNT_ATTR_RELATIME: u64 = 0x0000_0000;
/// `MOUNT_ATTR_NOATIME`: no access-time updates.
pub const MOUNT_ATTR_NOATIME: u64 = 0x0000_0010;
/// `MOUNT_ATTR_STRICTATIME`: access time always updated.
pub const MOUNT_ATTR_STRICTATIME: u64 = 0x0000_0020;
/// `MOUNT_ATTR_NODIRATIME`: no access-time updates on directories.
pub const MOUNT_ATTR_NODIRATIME: u64 = 0x0000_0080;
/// `MOUNT_ATTR_NOSYMFOLLOW`: symbolic links are not followed on this mount.
pub const MOUNT_ATTR_NOSYMFOLLOW: u64 = 0x0020_0000;

/// `AT_RECURSIVE`: apply the change to the whole mount tree.
pub const AT_RECURSIVE: u32 = 0x8000;
/// `AT_EMPTY_PATH`: operate on `dirfd` itself when the path is empty.
pub const AT_EMPTY_PATH: u32 = 0x1000;
/// `AT_SYMLINK_NOFOLLOW`: do not follow a trailing symbolic link.
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;

/// `SYS_mount_setattr`: the same number on every architecture that has it (added in 5.12).
const SYS_MOUNT_SETATTR: libc::c_long = 442;

/// `struct mount_attr` from `<linux/mount.h>` (version 0, 32 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MountAttr {
    /// `MOUNT_ATTR_*` bits to set.
    pub attr_set: u64,
    /// `MOUNT_ATTR_*` bits to clear.
    pub attr_clr: u64,
    /// A propagation type (`MS_SHARED`, `MS_SLAVE`, `MS_PRIVATE`, `MS_UNBINDABLE`) or 0.
    pub propagation: u64,
    /// A user namespace fd for `MOUNT_ATTR_IDMAP`, else 0.
    pub userns_fd: u64,
}

/// `mount_setattr(dirfd, path, flags, &attr, sizeof attr)`: changes the attributes of the
/// mount at `path` relative to `dirfd` (or of `dirfd` itself with an empty path and
/// [`AT_EMPTY_PATH`]); with [`AT_RECURSIVE`] of every mount below it too.
pub fn mount_setattr(
    dirfd: BorrowedFd<'_>,
    path: &Path,
    flags: u32,
    attr: &MountAttr,
) -> io::Result<()> {
    let path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?;
    // SAFETY: `path` is a valid NUL-terminated string and `attr` a valid `struct mount_attr`
    // of the size we pass; both outlive the call, and the kernel only reads them. `dirfd` is
    // a borrowed, open descriptor.
    let ret = unsafe {
        libc::syscall(
            SYS_MOUNT_SETATTR,
            dirfd.as_raw_fd(),
            path.as_ptr(),
            flags as libc::c_uint,
            attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_attr_is_version_0_size() {
        assert_eq!(std::mem::size_of::<MountAttr>(), 32);
    }

    #[test]
    fn rejects_nul_in_path() {
        let dir = std::fs::File::open("/").unwrap();
        let fd = std::os::fd::AsFd::as_fd(&dir);
        let err = mount_setattr(fd, Path::new("a\0b"), 0, &MountAttr::default()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
