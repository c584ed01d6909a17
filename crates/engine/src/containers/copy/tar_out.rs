//! Packing one resolved node of a [`View`] (a file, a symlink or a whole tree, mounts
//! included) into a tar stream, as Docker's archive endpoint does: the root entry is named
//! `base`, ownership, modes and times are kept, hard links inside the tree stay links.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{FileType, Mode, OFlags, Stat};
use rustix::io::Errno;
use tar::{EntryType, Header};

use super::view::{Node, View};
use crate::error::{Error, Result};

/// Writes a tar of `node` (its root entry named `base`) to `out`.
pub fn write_tar(view: &View, node: &Node, base: &str, out: impl Write) -> Result<()> {
    let mut w = Packer {
        view,
        tar: tar::Builder::new(out),
        links: HashMap::new(),
    };
    let st = node.stat().map_err(|e| view.err("stat", &node.comps, e))?;
    w.entry(
        node.dir.as_fd(),
        node.name.as_deref(),
        node.mount_file,
        &st,
        base,
        &node.comps,
    )?;
    w.tar
        .finish()
        .map_err(|e| stream("finish the tar stream", e))?;
    Ok(())
}

struct Packer<'a, W: Write> {
    view: &'a View,
    tar: tar::Builder<W>,
    /// (dev, inode) of files with several links -> their first path in the tar.
    links: HashMap<(u64, u64), String>,
}

impl<W: Write> Packer<'_, W> {
    /// Adds `name` in `dir` (or `dir` itself when `name` is None) as `path`.
    fn entry(
        &mut self,
        dir: BorrowedFd<'_>,
        name: Option<&[u8]>,
        mount_file: bool,
        st: &Stat,
        path: &str,
        comps: &[Vec<u8>],
    ) -> Result<()> {
        let mut h = header(st);
        let kind = FileType::from_raw_mode(st.st_mode);
        if kind != FileType::Directory && st.st_nlink > 1 {
            let key = (st.st_dev, st.st_ino);
            if let Some(first) = self.links.get(&key) {
                h.set_entry_type(EntryType::Link);
                h.set_size(0);
                let first = first.clone();
                return self
                    .tar
                    .append_link(&mut h, path, first)
                    .map_err(|e| stream(path, e));
            }
            self.links.insert(key, path.to_string());
        }
        match kind {
            FileType::Directory => {
                h.set_entry_type(EntryType::Directory);
                h.set_size(0);
                let p = if path.ends_with('/') {
                    path.to_string()
                } else {
                    format!("{path}/")
                };
                self.tar
                    .append_data(&mut h, &p, io::empty())
                    .map_err(|e| stream(path, e))?;
                let fd = open_in(dir, name, OFlags::RDONLY | OFlags::DIRECTORY)
                    .map_err(|e| self.view.err("open directory", comps, e))?;
                self.children(fd, path, comps)
            }
            FileType::RegularFile => {
                let flags = if mount_file {
                    OFlags::RDONLY
                } else {
                    OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK
                };
                let fd = open_in(dir, name, flags).map_err(|e| self.view.err("open", comps, e))?;
                let now = rustix::fs::fstat(&fd).map_err(|e| self.view.err("stat", comps, e))?;
                if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino) {
                    return Err(Error::Conflict(format!(
                        "{} changed while it was being copied",
                        super::view::show(comps)
                    )));
                }
                h.set_entry_type(EntryType::Regular);
                h.set_size(now.st_size as u64);
                let file = File::from(fd);
                self.tar
                    .append_data(&mut h, path, io::Read::take(file, now.st_size as u64))
                    .map_err(|e| stream(path, e))
            }
            FileType::Symlink => {
                let target = match name {
                    Some(n) => rustix::fs::readlinkat(dir, n, Vec::new()),
                    None => Err(Errno::INVAL),
                }
                .map_err(|e| self.view.err("read link", comps, e))?;
                h.set_entry_type(EntryType::Symlink);
                h.set_size(0);
                let target = String::from_utf8_lossy(target.as_bytes()).into_owned();
                self.tar
                    .append_link(&mut h, path, target)
                    .map_err(|e| stream(path, e))
            }
            FileType::Fifo | FileType::CharacterDevice | FileType::BlockDevice => {
                h.set_entry_type(match kind {
                    FileType::Fifo => EntryType::Fifo,
                    FileType::CharacterDevice => EntryType::Char,
                    _ => EntryType::Block,
                });
                h.set_size(0);
                let rdev = st.st_rdev;
                let _ = h.set_device_major(rustix::fs::major(rdev));
                let _ = h.set_device_minor(rustix::fs::minor(rdev));
                self.tar
                    .append_data(&mut h, path, io::empty())
                    .map_err(|e| stream(path, e))
            }
            _ => Ok(()), // sockets are not archived (as in Docker)
        }
    }

    /// The entries of the open directory `dir` (at `path`), sorted, mounts crossed.
    fn children(&mut self, dir: OwnedFd, path: &str, comps: &[Vec<u8>]) -> Result<()> {
        let mut names: Vec<Vec<u8>> = Vec::new();
        let entries = rustix::fs::Dir::read_from(&dir)
            .map_err(|e| self.view.err("read directory", comps, e))?;
        for e in entries {
            let e = e.map_err(|e| self.view.err("read directory", comps, e))?;
            let n = e.file_name().to_bytes();
            if n != b"." && n != b".." {
                names.push(n.to_vec());
            }
        }
        names.sort();
        let base = path.trim_end_matches('/');
        for n in names {
            let mut child = comps.to_vec();
            child.push(n.clone());
            let child_path = if base.is_empty() || base == "." {
                format!("{}{}", if base == "." { "./" } else { "" }, lossy(&n))
            } else {
                format!("{base}/{}", lossy(&n))
            };
            if let Some(m) = self.view.mount_at(&child) {
                let src = m.source.clone();
                let fd = rustix::fs::open(&src, OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
                    .map_err(|e| self.view.err("open mount", &child, e))?;
                let st = rustix::fs::fstat(&fd).map_err(|e| self.view.err("stat", &child, e))?;
                let is_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory;
                self.entry(fd.as_fd(), None, !is_dir, &st, &child_path, &child)?;
                continue;
            }
            let st =
                match rustix::fs::statat(&dir, n.as_slice(), rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
                {
                    Ok(st) => st,
                    Err(Errno::NOENT) => continue, // removed meanwhile
                    Err(e) => return Err(self.view.err("stat", &child, e)),
                };
            self.entry(dir.as_fd(), Some(&n), false, &st, &child_path, &child)?;
        }
        Ok(())
    }
}

/// Opens `name` in `dir`, or (no name) `dir` itself again with `flags`.
fn open_in(
    dir: BorrowedFd<'_>,
    name: Option<&[u8]>,
    flags: OFlags,
) -> std::result::Result<OwnedFd, Errno> {
    let flags = flags | OFlags::CLOEXEC;
    match name {
        Some(n) => rustix::fs::openat(dir, n, flags, Mode::empty()),
        // An O_PATH fd is reopened through its /proc/self/fd link (the fd pins the file).
        None => rustix::fs::open(
            format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&dir)),
            flags & !OFlags::NOFOLLOW,
            Mode::empty(),
        ),
    }
}

/// A tar header with the file's mode, owner and mtime.
fn header(st: &Stat) -> Header {
    let mut h = Header::new_gnu();
    h.set_mode(st.st_mode & 0o7777);
    h.set_uid(st.st_uid.into());
    h.set_gid(st.st_gid.into());
    h.set_mtime(st.st_mtime.max(0) as u64);
    h
}

fn lossy(n: &[u8]) -> String {
    String::from_utf8_lossy(n).into_owned()
}

fn stream(what: &str, source: io::Error) -> Error {
    Error::Io {
        what: "write tar entry",
        path: what.into(),
        source,
    }
}
