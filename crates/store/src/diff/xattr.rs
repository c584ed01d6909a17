//! Reading a file's extended attributes and choosing which go into a layer.

use std::os::fd::BorrowedFd;
use std::path::Path;

use rustix::io::Errno;

/// The overlayfs xattrs that make a directory opaque (privileged and `userxattr` mounts).
const OPAQUE_XATTRS: [&str; 2] = ["trusted.overlay.opaque", "user.overlay.opaque"];

/// Overlayfs features whose upper directory does not hold a file's whole content: a
/// renamed directory's files stay in the lower layer (`redirect_dir`), a copied-up file's
/// data stays there (`metacopy`).
const INCOMPLETE_XATTRS: [&str; 4] = [
    "trusted.overlay.redirect",
    "trusted.overlay.metacopy",
    "user.overlay.redirect",
    "user.overlay.metacopy",
];

/// The xattrs of one file: those a layer keeps, and what overlayfs says about it.
#[derive(Debug, Default)]
pub(crate) struct Xattrs {
    /// `security.capability` and `user.*` (but `user.overlay.*`), sorted by name.
    pub(crate) kept: Vec<(String, Vec<u8>)>,
    /// True when an overlay opaque xattr is `y`.
    pub(crate) opaque: bool,
    /// An overlay xattr meaning part of the file lives in a lower layer, if any.
    pub(crate) incomplete: Option<String>,
}

/// Whether a layer carries the xattr `name`.
fn kept(name: &str) -> bool {
    name == "security.capability"
        || (name.starts_with("user.") && !name.starts_with("user.overlay."))
}

/// Where a file is read from: an open descriptor, or a path whose last component is not
/// followed.
#[derive(Clone, Copy)]
pub(crate) enum Source<'a> {
    /// An open file or directory.
    Fd(BorrowedFd<'a>),
    /// A path (`/proc/self/fd/N/name`).
    Path(&'a Path),
}

/// Reads the xattrs of `src`. A filesystem without xattrs reads as none.
pub(crate) fn read(src: Source<'_>) -> Result<Xattrs, Errno> {
    let mut out = Xattrs::default();
    let names = match list(src) {
        Ok(n) => n,
        Err(Errno::OPNOTSUPP) => return Ok(out),
        Err(e) => return Err(e),
    };
    for name in names.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let Ok(name) = std::str::from_utf8(name) else {
            continue;
        };
        if INCOMPLETE_XATTRS.contains(&name) {
            out.incomplete = Some(name.to_string());
            continue;
        }
        let wanted = kept(name);
        if !wanted && !OPAQUE_XATTRS.contains(&name) {
            continue;
        }
        let value = match get(src, name) {
            Ok(v) => v,
            // Removed between listing and reading.
            Err(Errno::NODATA) => continue,
            Err(e) => return Err(e),
        };
        if wanted {
            out.kept.push((name.to_string(), value));
        } else if value == b"y" {
            out.opaque = true;
        }
    }
    out.kept.sort();
    Ok(out)
}

/// The NUL-separated list of xattr names.
fn list(src: Source<'_>) -> Result<Vec<u8>, Errno> {
    loop {
        let n = match src {
            Source::Fd(fd) => rustix::fs::flistxattr_query(fd)?,
            Source::Path(p) => rustix::fs::llistxattr_query(p)?,
        };
        let mut buf = vec![0u8; n];
        let r = match src {
            Source::Fd(fd) => rustix::fs::flistxattr(fd, &mut buf[..]),
            Source::Path(p) => rustix::fs::llistxattr(p, &mut buf[..]),
        };
        match r {
            Ok(len) => {
                buf.truncate(len);
                return Ok(buf);
            }
            // Grew between the two calls: ask again.
            Err(Errno::RANGE) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The value of the xattr `name`.
fn get(src: Source<'_>, name: &str) -> Result<Vec<u8>, Errno> {
    loop {
        let n = match src {
            Source::Fd(fd) => rustix::fs::fgetxattr_query(fd, name)?,
            Source::Path(p) => rustix::fs::lgetxattr_query(p, name)?,
        };
        let mut buf = vec![0u8; n];
        let r = match src {
            Source::Fd(fd) => rustix::fs::fgetxattr(fd, name, &mut buf[..]),
            Source::Path(p) => rustix::fs::lgetxattr(p, name, &mut buf[..]),
        };
        match r {
            Ok(len) => {
                buf.truncate(len);
                return Ok(buf);
            }
            Err(Errno::RANGE) => continue,
            Err(e) => return Err(e),
        }
    }
}
