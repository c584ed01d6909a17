//! Walking an overlayfs upper directory into a sorted list of layer entries.
//!
//! Every directory is opened relative to its parent with `O_NOFOLLOW`, so the walk never
//! leaves the upper directory through a symlink.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

use super::xattr::{self, Source};
use crate::error::{Error, Result};

/// Flags to open a directory of the upper dir without following a symlink.
pub(crate) const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// Prefix of an OCI whiteout name.
const WHITEOUT: &[u8] = b".wh.";
/// The name of the OCI opaque-directory marker.
const OPAQUE: &[u8] = b".wh..wh..opq";

/// What a layer entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NodeKind {
    /// A regular file of this many bytes.
    File(u64),
    /// A directory.
    Dir,
    /// A symlink with its target.
    Symlink(Vec<u8>),
    /// A named pipe.
    Fifo,
    /// An overlayfs whiteout (0:0 character device), written as an empty `.wh.<name>`.
    Whiteout,
    /// The `.wh..wh..opq` marker of an opaque directory.
    Opaque,
}

/// One entry of the layer, with what its header needs.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Sort key: the tar name, but an opaque marker sorts right after its directory.
    pub(crate) key: Vec<u8>,
    /// The name in the tar stream (no `./`, no trailing slash).
    pub(crate) name: Vec<u8>,
    /// The file's path relative to the upper directory.
    pub(crate) rel: Vec<u8>,
    /// What it is.
    pub(crate) kind: NodeKind,
    /// Permission bits with setuid/setgid/sticky.
    pub(crate) mode: u32,
    /// Owner.
    pub(crate) uid: u32,
    /// Group.
    pub(crate) gid: u32,
    /// Modification time, whole seconds.
    pub(crate) mtime: i64,
    /// Device and inode, to find hard links.
    pub(crate) id: (u64, u64),
    /// Link count.
    pub(crate) nlink: u64,
    /// Xattrs the layer keeps.
    pub(crate) xattrs: Vec<(String, Vec<u8>)>,
}

/// Walks `upper` (not its root itself) into entries sorted by tar name bytes, each opaque
/// marker right after its directory.
pub(crate) fn walk(upper: &Path) -> Result<(OwnedFd, Vec<Node>)> {
    let root =
        rustix::fs::openat(rustix::fs::CWD, upper, DIR_FLAGS, Mode::empty()).map_err(|e| {
            Error::Io {
                what: "open upper directory",
                path: upper.to_path_buf(),
                source: e.into(),
            }
        })?;
    let mut out = Vec::new();
    walk_dir(upper, root.as_fd(), &[], &mut out)?;
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok((root, out))
}

/// `prefix/name`, or `name` at the top.
fn join(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(prefix.len() + name.len() + 1);
    if !prefix.is_empty() {
        v.extend_from_slice(prefix);
        v.push(b'/');
    }
    v.extend_from_slice(name);
    v
}

/// The upper-directory path of `rel`, for messages.
pub(crate) fn shown(upper: &Path, rel: &[u8]) -> PathBuf {
    upper.join(std::ffi::OsStr::from_bytes(rel))
}

/// Adds the entries under the directory `dir` (at `prefix`) to `out`.
fn walk_dir(upper: &Path, dir: BorrowedFd<'_>, prefix: &[u8], out: &mut Vec<Node>) -> Result<()> {
    let io = |what: &'static str, rel: &[u8]| {
        let path = shown(upper, rel);
        move |e: Errno| Error::Io {
            what,
            path,
            source: e.into(),
        }
    };
    let mut names = Vec::new();
    let entries = rustix::fs::Dir::read_from(dir).map_err(io("list directory", prefix))?;
    for entry in entries {
        let entry = entry.map_err(io("list directory", prefix))?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            names.push(name.to_vec());
        }
    }
    for name in names {
        let rel = join(prefix, &name);
        if name.starts_with(WHITEOUT) {
            return Err(Error::NotLayerable {
                path: shown(upper, &rel),
                reason: "its name starts with .wh., which a layer reads as a whiteout".into(),
            });
        }
        let st = rustix::fs::statat(dir, name.as_slice(), AtFlags::SYMLINK_NOFOLLOW)
            .map_err(io("stat", &rel))?;
        let ft = FileType::from_raw_mode(st.st_mode);
        let proc_path = proc_path(dir, &name);
        let src = Source::Path(&proc_path);
        let (kind, tar_name, xattrs) = match ft {
            FileType::RegularFile => {
                let x = xattr::read(src).map_err(io("read xattrs", &rel))?;
                complete(upper, &rel, &x)?;
                (NodeKind::File(st.st_size as u64), rel.clone(), x.kept)
            }
            FileType::Symlink => {
                let target = rustix::fs::readlinkat(dir, name.as_slice(), Vec::new())
                    .map_err(io("read symlink", &rel))?;
                let x = xattr::read(src).map_err(io("read xattrs", &rel))?;
                (NodeKind::Symlink(target.into_bytes()), rel.clone(), x.kept)
            }
            FileType::Fifo => {
                let x = xattr::read(src).map_err(io("read xattrs", &rel))?;
                (NodeKind::Fifo, rel.clone(), x.kept)
            }
            FileType::CharacterDevice if st.st_rdev == 0 => {
                let mut wh = WHITEOUT.to_vec();
                wh.extend_from_slice(&name);
                (NodeKind::Whiteout, join(prefix, &wh), Vec::new())
            }
            FileType::Directory => {
                let fd = rustix::fs::openat(dir, name.as_slice(), DIR_FLAGS, Mode::empty())
                    .map_err(io("open directory", &rel))?;
                let x = xattr::read(Source::Fd(fd.as_fd())).map_err(io("read xattrs", &rel))?;
                complete(upper, &rel, &x)?;
                out.push(node(rel.clone(), rel.clone(), NodeKind::Dir, &st, x.kept));
                if x.opaque {
                    let mut key = rel.clone();
                    key.extend_from_slice(b"/\0");
                    let mut marker =
                        node(key, join(&rel, OPAQUE), NodeKind::Opaque, &st, Vec::new());
                    marker.rel = rel.clone();
                    out.push(marker);
                }
                walk_dir(upper, fd.as_fd(), &rel, out)?;
                continue;
            }
            FileType::Socket => continue,
            other => {
                let what = match other {
                    FileType::CharacterDevice => "a character device that is not a whiteout",
                    FileType::BlockDevice => "a block device",
                    _ => "of an unknown file type",
                };
                return Err(Error::NotLayerable {
                    path: shown(upper, &rel),
                    reason: format!("it is {what}; layers carry no device nodes"),
                });
            }
        };
        let mut n = node(tar_name.clone(), tar_name, kind, &st, xattrs);
        n.rel = rel;
        out.push(n);
    }
    Ok(())
}

/// Refuses a file overlayfs kept partly in a lower layer (`redirect_dir` or `metacopy`
/// mounts): its layer entry would silently lack content.
fn complete(upper: &Path, rel: &[u8], x: &xattr::Xattrs) -> Result<()> {
    match &x.incomplete {
        None => Ok(()),
        Some(name) => Err(Error::NotLayerable {
            path: shown(upper, rel),
            reason: format!(
                "it carries {name}, so part of it lives in a lower layer; mount the \
                 container's overlay with redirect_dir=off,metacopy=off"
            ),
        }),
    }
}

/// A node from its stat.
fn node(
    key: Vec<u8>,
    name: Vec<u8>,
    kind: NodeKind,
    st: &Stat,
    xattrs: Vec<(String, Vec<u8>)>,
) -> Node {
    Node {
        key,
        rel: name.clone(),
        name,
        kind,
        mode: st.st_mode & 0o7777,
        uid: st.st_uid,
        gid: st.st_gid,
        mtime: st.st_mtime,
        id: (st.st_dev, st.st_ino),
        nlink: st.st_nlink,
        xattrs,
    }
}

/// `/proc/self/fd/<dir>/<name>`: a path to `name` that resolves `dir` without a lookup.
fn proc_path(dir: BorrowedFd<'_>, name: &[u8]) -> PathBuf {
    let mut p = PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd()));
    p.push(std::ffi::OsStr::from_bytes(name));
    p
}
