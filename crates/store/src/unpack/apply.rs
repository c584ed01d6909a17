//! Writing one checked entry into the layer directory: replacement rules, whiteouts turned
//! into overlayfs form, ownership, mode, xattrs and times.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{AtFlags, FileType, Gid, Mode, OFlags, Timespec, Timestamps, Uid};
use rustix::io::Errno;

use super::meta::{Kind, Meta};
use super::path::EntryPath;
use super::tree::{remove_at, Tree, DIR_FLAGS};
use crate::error::{Error, Result};

/// Prefix of an OCI whiteout file.
const WHITEOUT: &[u8] = b".wh.";
/// Prefix of OCI whiteout metadata files (ignored but for the opaque marker).
const WHITEOUT_META: &[u8] = b".wh..wh.";
/// The OCI opaque-directory marker.
const OPAQUE: &[u8] = b".wh..wh..opq";
/// The overlayfs xattr that makes a directory opaque.
const OVERLAY_OPAQUE: &str = "trusted.overlay.opaque";

/// Writes entries into a layer directory, remembering directory times for the end.
pub(crate) struct Unpacker {
    tree: Tree,
    dir_times: Vec<(EntryPath, Timestamps)>,
    /// Bytes of regular file content written.
    pub(crate) size: u64,
}

impl Unpacker {
    /// Starts unpacking into the existing directory `dest`.
    pub(crate) fn new(dest: &std::path::Path) -> Result<Unpacker> {
        Ok(Unpacker {
            tree: Tree::open(dest)?,
            dir_times: Vec::new(),
            size: 0,
        })
    }

    /// Writes one entry; `data` is its content (read only for regular files).
    pub(crate) fn apply(&mut self, meta: &Meta, data: &mut dyn Read) -> Result<()> {
        if meta.path.is_root() {
            return self.apply_root(meta);
        }
        let shown = meta.path.display();
        let parent = self
            .tree
            .dir(meta.path.parent(), &shown, true)?
            .ok_or_else(|| Error::BadArchive(format!("layer entry {shown}: no parent")))?;
        let parent = parent.as_fd();
        let name = meta.path.name();
        if name.starts_with(WHITEOUT) {
            return self.whiteout(meta, parent, name);
        }
        match &meta.kind {
            Kind::Dir => {
                if !self.make_room(meta, parent, name, true)? {
                    rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o700))
                        .map_err(self.io("create directory", meta))?;
                }
                let fd = rustix::fs::openat(parent, name, DIR_FLAGS, Mode::empty())
                    .map_err(self.io("open directory", meta))?;
                self.set_owner_mode_xattrs(&fd, meta)?;
                self.dir_times.push((meta.path.clone(), times(meta)));
            }
            Kind::File(size) => {
                self.make_room(meta, parent, name, false)?;
                let flags = OFlags::WRONLY
                    | OFlags::CREATE
                    | OFlags::EXCL
                    | OFlags::NOFOLLOW
                    | OFlags::CLOEXEC;
                let fd = rustix::fs::openat(parent, name, flags, Mode::from_raw_mode(0o600))
                    .map_err(self.io("create file", meta))?;
                let mut file = File::from(fd);
                let copied = if meta.sparse {
                    copy_sparse(data, &mut file)
                } else {
                    copy(data, &mut file)
                };
                let written = copied.map_err(|source| match source.kind() {
                    std::io::ErrorKind::FileTooLarge => Error::BadArchive(format!(
                        "layer entry {} is a sparse file over {} GiB",
                        meta.shown,
                        MAX_SPARSE_SIZE >> 30
                    )),
                    _ => Error::Stream {
                        what: format!("reading layer entry {} (truncated layer?)", meta.shown),
                        source,
                    },
                })?;
                if written != *size && !meta.sparse {
                    return Err(Error::BadArchive(format!(
                        "layer entry {} is truncated: {written} of {size} bytes",
                        meta.shown
                    )));
                }
                self.size += written;
                let fd = OwnedFd::from(file);
                self.set_owner_mode_xattrs(&fd, meta)?;
                rustix::fs::futimens(&fd, &times(meta)).map_err(self.io("set times", meta))?;
            }
            Kind::Symlink(target) => {
                self.make_room(meta, parent, name, false)?;
                rustix::fs::symlinkat(target.as_slice(), parent, name)
                    .map_err(self.io("create symlink", meta))?;
                self.finish_special(meta, parent, name)?;
            }
            Kind::Fifo => {
                self.make_room(meta, parent, name, false)?;
                let mode = Mode::from_raw_mode(meta.mode);
                rustix::fs::mknodat(parent, name, FileType::Fifo, mode, 0)
                    .map_err(self.io("create fifo", meta))?;
                rustix::fs::chownat(
                    parent,
                    name,
                    uid(meta),
                    gid(meta),
                    AtFlags::SYMLINK_NOFOLLOW,
                )
                .map_err(self.io("chown", meta))?;
                rustix::fs::chmodat(parent, name, mode, AtFlags::empty())
                    .map_err(self.io("chmod", meta))?;
                set_xattrs_at(parent, name, meta)?;
                rustix::fs::utimensat(parent, name, &times(meta), AtFlags::SYMLINK_NOFOLLOW)
                    .map_err(self.io("set times", meta))?;
            }
            Kind::Hardlink(target) => self.hardlink(meta, parent, name, target)?,
            // Containers get /dev from a tmpfs; a device node from a layer is never made.
            Kind::Device => {}
        }
        Ok(())
    }

    /// Sets directory times, after all content is written (writing changes them).
    pub(crate) fn finish(mut self) -> Result<u64> {
        let dir_times = std::mem::take(&mut self.dir_times);
        for (path, ts) in dir_times {
            if path.is_root() {
                let root = self.tree.root();
                rustix::fs::futimens(&*root, &ts).map_err(|e| Error::Io {
                    what: "set times",
                    path: self.tree.dest().to_path_buf(),
                    source: e.into(),
                })?;
                continue;
            }
            let Some(parent) = self.tree.dir(path.parent(), &path.display(), false)? else {
                continue;
            };
            let st = rustix::fs::statat(&*parent, path.name(), AtFlags::SYMLINK_NOFOLLOW);
            if matches!(st, Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory) {
                rustix::fs::utimensat(&*parent, path.name(), &ts, AtFlags::SYMLINK_NOFOLLOW)
                    .map_err(|e| Error::Io {
                        what: "set times",
                        path: self.tree.dest().join(path.to_path()),
                        source: e.into(),
                    })?;
            }
        }
        Ok(self.size)
    }

    /// The `./` entry: its owner, mode, xattrs and time go on the layer directory itself.
    fn apply_root(&mut self, meta: &Meta) -> Result<()> {
        if meta.kind != Kind::Dir {
            return Err(Error::BadArchive(format!(
                "layer entry {} would replace the layer root with a non-directory",
                meta.shown
            )));
        }
        let root = self.tree.root();
        self.set_owner_mode_xattrs(&root, meta)?;
        self.dir_times.push((meta.path.clone(), times(meta)));
        Ok(())
    }

    /// `.wh..wh..opq` marks the parent opaque; `.wh.<name>` becomes a 0:0 character device
    /// `<name>`; other `.wh..wh.*` entries are ignored.
    fn whiteout(&mut self, meta: &Meta, parent: BorrowedFd<'_>, name: &[u8]) -> Result<()> {
        if name == OPAQUE {
            return rustix::fs::fsetxattr(
                parent,
                OVERLAY_OPAQUE,
                b"y",
                rustix::fs::XattrFlags::empty(),
            )
            .map_err(self.io(
                "mark opaque (set trusted.overlay.opaque on the parent)",
                meta,
            ));
        }
        if name.starts_with(WHITEOUT_META) {
            return Ok(());
        }
        let hidden = &name[WHITEOUT.len()..];
        if hidden.is_empty() || hidden == b"." || hidden == b".." {
            return Err(Error::BadArchive(format!(
                "layer entry {} is a whiteout without a name",
                meta.shown
            )));
        }
        if let Ok(st) = rustix::fs::statat(parent, hidden, AtFlags::SYMLINK_NOFOLLOW) {
            if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
                self.tree.invalidate();
            }
            remove_at(parent, hidden).map_err(|source| Error::Io {
                what: "remove (whited out)",
                path: self.tree.dest().join(meta.path.to_path()),
                source,
            })?;
        }
        let dev = rustix::fs::makedev(0, 0);
        rustix::fs::mknodat(
            parent,
            hidden,
            FileType::CharacterDevice,
            Mode::empty(),
            dev,
        )
        .map_err(self.io("create whiteout device", meta))?;
        rustix::fs::chownat(
            parent,
            hidden,
            uid(meta),
            gid(meta),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(self.io("chown whiteout", meta))
    }

    /// A hard link: the target must be an earlier entry (a non-directory) of this layer.
    fn hardlink(
        &mut self,
        meta: &Meta,
        parent: BorrowedFd<'_>,
        name: &[u8],
        target: &EntryPath,
    ) -> Result<()> {
        let missing = || {
            Error::BadArchive(format!(
                "layer entry {} is a hard link to {}, which is not an earlier file of the layer",
                meta.shown,
                target.display()
            ))
        };
        let tparent = self
            .tree
            .dir(target.parent(), &meta.shown, false)?
            .ok_or_else(missing)?;
        match rustix::fs::statat(&*tparent, target.name(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) != FileType::Directory => {}
            _ => return Err(missing()),
        }
        if target == &meta.path {
            return Ok(());
        }
        self.make_room(meta, parent, name, false)?;
        // If making room removed a directory holding the target, linkat fails: an error.
        rustix::fs::linkat(&*tparent, target.name(), parent, name, AtFlags::empty())
            .map_err(self.io("create hard link", meta))
    }

    /// Owner, mode (after chown, which clears setuid) and xattrs (after chown, which clears
    /// security.capability) of an open file or directory.
    fn set_owner_mode_xattrs(&self, fd: &OwnedFd, meta: &Meta) -> Result<()> {
        rustix::fs::fchown(fd, uid(meta), gid(meta)).map_err(self.io("chown", meta))?;
        rustix::fs::fchmod(fd, Mode::from_raw_mode(meta.mode)).map_err(self.io("chmod", meta))?;
        for (key, value) in wanted_xattrs(meta) {
            match rustix::fs::fsetxattr(fd, key, value, rustix::fs::XattrFlags::empty()) {
                Ok(()) | Err(Errno::OPNOTSUPP | Errno::PERM) => {}
                Err(e) => return Err(self.io("set xattr", meta)(e)),
            }
        }
        Ok(())
    }

    /// Owner, xattrs and times of a symlink.
    fn finish_special(&self, meta: &Meta, parent: BorrowedFd<'_>, name: &[u8]) -> Result<()> {
        rustix::fs::chownat(
            parent,
            name,
            uid(meta),
            gid(meta),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(self.io("lchown", meta))?;
        set_xattrs_at(parent, name, meta)?;
        rustix::fs::utimensat(parent, name, &times(meta), AtFlags::SYMLINK_NOFOLLOW)
            .map_err(self.io("set times", meta))
    }

    /// Clears the way for a new entry at `name`: Docker's rules (a directory over a
    /// directory merges, anything else replaces). Returns true when a directory stays.
    fn make_room(
        &mut self,
        meta: &Meta,
        parent: BorrowedFd<'_>,
        name: &[u8],
        is_dir: bool,
    ) -> Result<bool> {
        let st = match rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(Errno::NOENT) => return Ok(false),
            Err(e) => return Err(self.io("stat", meta)(e)),
        };
        let existing_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory;
        if existing_dir && is_dir {
            return Ok(true);
        }
        if existing_dir {
            self.tree.invalidate();
        }
        remove_at(parent, name).map_err(|source| Error::Io {
            what: "replace",
            path: self.tree.dest().join(meta.path.to_path()),
            source,
        })?;
        Ok(false)
    }

    /// Maps an errno to an I/O error naming the entry's place in the layer directory.
    fn io(&self, what: &'static str, meta: &Meta) -> impl FnOnce(Errno) -> Error {
        let path = self.tree.dest().join(meta.path.to_path());
        move |e| Error::Io {
            what,
            path,
            source: e.into(),
        }
    }
}

/// Xattrs to apply: all but overlayfs' own, which a layer must not forge.
fn wanted_xattrs(meta: &Meta) -> impl Iterator<Item = (&str, &[u8])> {
    meta.xattrs
        .iter()
        .filter(|(k, _)| !k.starts_with("trusted.overlay.") && !k.starts_with("user.overlay."))
        .map(|(k, v)| (k.as_str(), v.as_slice()))
}

/// Xattrs on a symlink or fifo, through its parent's handle (`/proc/self/fd/N/name`, the
/// final component not followed).
fn set_xattrs_at(parent: BorrowedFd<'_>, name: &[u8], meta: &Meta) -> Result<()> {
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    let mut path = std::path::PathBuf::from(format!("/proc/self/fd/{}", parent.as_raw_fd()));
    path.push(std::ffi::OsStr::from_bytes(name));
    for (key, value) in wanted_xattrs(meta) {
        match rustix::fs::lsetxattr(&path, key, value, rustix::fs::XattrFlags::empty()) {
            Ok(()) | Err(Errno::OPNOTSUPP | Errno::PERM) => {}
            Err(e) => {
                return Err(Error::Io {
                    what: "set xattr",
                    path: meta.path.to_path(),
                    source: e.into(),
                })
            }
        }
    }
    Ok(())
}

fn uid(meta: &Meta) -> Option<Uid> {
    Some(Uid::from_raw(meta.uid))
}

fn gid(meta: &Meta) -> Option<Gid> {
    Some(Gid::from_raw(meta.gid))
}

/// Access and modification time, both the entry's mtime.
fn times(meta: &Meta) -> Timestamps {
    let t = Timespec {
        tv_sec: meta.mtime.0,
        tv_nsec: meta.mtime.1.into(),
    };
    Timestamps {
        last_access: t,
        last_modification: t,
    }
}

/// The largest apparent size of a GNU sparse file in a layer. Its holes are skipped, not
/// written, but the tar reader yields them as zeros, so a few header bytes declaring a huge
/// file would keep the unpacker reading for hours.
const MAX_SPARSE_SIZE: u64 = 16 << 30;

/// Copies a sparse file's content, seeking over all-zero blocks so that holes stay holes (a
/// 1.5 KiB layer declaring 1 GiB of holes wrote 1 GiB to disk); returns its apparent size,
/// or a `FileTooLarge` error past [`MAX_SPARSE_SIZE`].
fn copy_sparse(from: &mut dyn Read, to: &mut File) -> std::io::Result<u64> {
    use std::io::{Seek, SeekFrom};
    const BLOCK: usize = 64 * 1024;
    static ZEROS: [u8; BLOCK] = [0; BLOCK];
    let mut buf = vec![0u8; BLOCK];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        total += n as u64;
        if total > MAX_SPARSE_SIZE {
            return Err(std::io::ErrorKind::FileTooLarge.into());
        }
        if buf[..n] == ZEROS[..n] {
            to.seek(SeekFrom::Current(n as i64))?;
        } else {
            to.write_all(&buf[..n])?;
        }
    }
    to.set_len(total)?;
    Ok(total)
}

/// Copies with a large buffer; returns the bytes copied.
fn copy(from: &mut dyn Read, to: &mut File) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 128 * 1024];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buf[..n])?;
        total += n as u64;
    }
}
