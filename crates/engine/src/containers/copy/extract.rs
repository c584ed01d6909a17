//! Unpacking a tar stream into a directory of a [`View`] (the container's filesystem or a
//! host directory). Entry names are normalised lexically and may not climb out of the
//! destination; each entry's parent is resolved through the view (so symlinks stay inside
//! it and mounts are honoured) and the entry itself is written with `*at` calls that never
//! follow a symlink. A directory never replaces a file nor a file a directory (Docker's
//! `NoOverwriteDirNonDir`); device nodes are refused.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};

use rustix::fs::{AtFlags, FileType, Gid, Mode, OFlags, Timespec, Timestamps, Uid};
use rustix::io::Errno;
use tar::EntryType;

use super::view::{show, split, View};
use crate::error::{Error, Result};

/// How entries are written.
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// Owner for every entry; None keeps the archive's uid/gid.
    pub owner: Option<(u32, u32)>,
}

/// Unpacks `reader` into the directory `dest` (components in `view`).
pub fn extract(
    view: &View,
    dest: &[Vec<u8>],
    reader: impl Read,
    opts: &ExtractOptions,
) -> Result<()> {
    let mut archive = tar::Archive::new(reader);
    let mut dir_times: Vec<(Vec<Vec<u8>>, i64)> = Vec::new();
    let entries = archive.entries().map_err(|e| bad_stream(None, e))?;
    let mut last: Option<String> = None;
    for entry in entries {
        let mut entry = entry.map_err(|e| bad_stream(last.as_deref(), e))?;
        let raw = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        let rel = normalise(&raw)?;
        let kind = entry.header().entry_type();
        let h = entry.header();
        let mode = h.mode().unwrap_or(0o644) & 0o7777;
        let (uid, gid) = opts
            .owner
            .unwrap_or((h.uid().unwrap_or(0) as u32, h.gid().unwrap_or(0) as u32));
        let mtime = h.mtime().unwrap_or(0) as i64;
        let mut full = dest.to_vec();
        full.extend(rel.iter().cloned());
        if rel.is_empty() {
            // The archive's root (`.`): the destination itself; nothing to create.
            last = Some(shown);
            continue;
        }
        let (parent_comps, name) = (
            full[..full.len() - 1].to_vec(),
            full[full.len() - 1].clone(),
        );
        let (parent, ro) = view.dir(parent_comps, true)?;
        if ro {
            return Err(Error::Conflict(format!(
                "cannot copy to {}: the file system is read-only",
                show(&full)
            )));
        }
        let p = parent.as_fd();
        let put = Put {
            view,
            parent: p,
            name: &name,
            full: &full,
            uid,
            gid,
            mode,
            mtime,
        };
        match kind {
            EntryType::Directory => {
                put.dir()?;
                dir_times.push((full.clone(), mtime));
            }
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                put.file(&mut entry)?
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| bad_entry(&shown, "a symlink without a target"))?
                    .into_owned();
                put.symlink(&target)?;
            }
            EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| bad_entry(&shown, "a hard link without a target"))?
                    .into_owned();
                let rel_t = Some(normalise(&target)?)
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| bad_entry(&shown, "a hard link to the archive's root"))?;
                let mut t = dest.to_vec();
                t.extend(rel_t);
                put.hardlink(&t)?;
            }
            EntryType::Fifo => put.fifo()?,
            EntryType::Char | EntryType::Block => {
                return Err(bad_entry(&shown, "a device node, which cp does not create"))
            }
            EntryType::XGlobalHeader
            | EntryType::XHeader
            | EntryType::GNULongName
            | EntryType::GNULongLink => {}
            _ => return Err(bad_entry(&shown, "an unsupported entry type")),
        }
        last = Some(shown);
    }
    // Directory times last: writing into a directory changes them.
    for (comps, mtime) in dir_times.into_iter().rev() {
        if let Ok((fd, _)) = view.dir(comps, false) {
            let _ = rustix::fs::futimens(&fd, &times(mtime));
        }
    }
    Ok(())
}

/// The entry's path below the destination; an error when it would climb out of it.
fn normalise(raw: &[u8]) -> Result<Vec<Vec<u8>>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for c in split(raw) {
        match c.as_slice() {
            b"." => {}
            b".." => {
                if out.pop().is_none() {
                    return Err(Error::Invalid(format!(
                        "archive entry {:?} would be written outside the destination",
                        String::from_utf8_lossy(raw)
                    )));
                }
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// One entry to write: its parent directory, name and metadata.
struct Put<'a> {
    view: &'a View,
    parent: BorrowedFd<'a>,
    name: &'a [u8],
    full: &'a [Vec<u8>],
    uid: u32,
    gid: u32,
    mode: u32,
    mtime: i64,
}

impl Put<'_> {
    /// What is at the entry's place now (None when nothing).
    fn existing(&self) -> Result<Option<FileType>> {
        if let Some(m) = self.view.mount_at(self.full) {
            let dir = std::fs::metadata(&m.source)
                .map(|md| md.is_dir())
                .unwrap_or(false);
            return Ok(Some(if dir {
                FileType::Directory
            } else {
                FileType::RegularFile
            }));
        }
        match rustix::fs::statat(self.parent, self.name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(FileType::from_raw_mode(st.st_mode))),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(self.err("stat", e)),
        }
    }

    /// Clears the way for a non-directory; refuses to replace a directory.
    fn make_room(&self) -> Result<()> {
        match self.existing()? {
            None => Ok(()),
            Some(FileType::Directory) => Err(Error::Conflict(format!(
                "cannot overwrite directory {} with non-directory",
                show(self.full)
            ))),
            Some(_) if self.view.mount_at(self.full).is_some() => Err(Error::Conflict(format!(
                "cannot replace {}: a file mounted into the container",
                show(self.full)
            ))),
            Some(_) => rustix::fs::unlinkat(self.parent, self.name, AtFlags::empty())
                .map_err(|e| self.err("remove", e)),
        }
    }

    fn dir(&self) -> Result<()> {
        match self.existing()? {
            Some(FileType::Directory) => {}
            Some(_) => {
                return Err(Error::Conflict(format!(
                    "cannot overwrite non-directory {} with directory",
                    show(self.full)
                )))
            }
            None => rustix::fs::mkdirat(self.parent, self.name, Mode::from_raw_mode(0o700))
                .map_err(|e| self.err("create directory", e))?,
        }
        if self.view.mount_at(self.full).is_some() {
            return Ok(()); // a mount's root keeps its own owner and mode
        }
        let fd = rustix::fs::openat(
            self.parent,
            self.name,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| self.err("open directory", e))?;
        rustix::fs::fchown(
            &fd,
            Some(Uid::from_raw(self.uid)),
            Some(Gid::from_raw(self.gid)),
        )
        .map_err(|e| self.err("chown", e))?;
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(self.mode)).map_err(|e| self.err("chmod", e))
    }

    fn file(&self, data: &mut dyn Read) -> Result<()> {
        let file = if let Some(m) = self.view.mount_at(self.full) {
            // A bind-mounted file is written in place (replacing it would detach the mount).
            std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&m.source)
                .map_err(|e| Error::Io {
                    what: "open",
                    path: m.source.clone(),
                    source: e,
                })?
        } else {
            self.make_room()?;
            let flags =
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            File::from(
                rustix::fs::openat(self.parent, self.name, flags, Mode::from_raw_mode(0o600))
                    .map_err(|e| self.err("create", e))?,
            )
        };
        let mut file = file;
        io::copy(data, &mut file).map_err(|e| Error::Io {
            what: "write",
            path: show(self.full).into(),
            source: e,
        })?;
        let fd = file.as_fd();
        rustix::fs::fchown(
            fd,
            Some(Uid::from_raw(self.uid)),
            Some(Gid::from_raw(self.gid)),
        )
        .map_err(|e| self.err("chown", e))?;
        rustix::fs::fchmod(fd, Mode::from_raw_mode(self.mode)).map_err(|e| self.err("chmod", e))?;
        rustix::fs::futimens(fd, &times(self.mtime)).map_err(|e| self.err("set times", e))
    }

    fn symlink(&self, target: &[u8]) -> Result<()> {
        self.make_room()?;
        rustix::fs::symlinkat(target, self.parent, self.name)
            .map_err(|e| self.err("create symlink", e))?;
        self.finish_at()
    }

    fn fifo(&self) -> Result<()> {
        self.make_room()?;
        rustix::fs::mknodat(
            self.parent,
            self.name,
            FileType::Fifo,
            Mode::from_raw_mode(self.mode),
            0,
        )
        .map_err(|e| self.err("create fifo", e))?;
        self.finish_at()?;
        rustix::fs::chmodat(
            self.parent,
            self.name,
            Mode::from_raw_mode(self.mode),
            AtFlags::empty(),
        )
        .map_err(|e| self.err("chmod", e))
    }

    /// A hard link to an earlier entry (`target`, components in the view).
    fn hardlink(&self, target: &[Vec<u8>]) -> Result<()> {
        let (tdir, tname) = (
            target[..target.len() - 1].to_vec(),
            &target[target.len() - 1],
        );
        let (tparent, _) = self.view.dir(tdir, false)?;
        match rustix::fs::statat(&tparent, tname.as_slice(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) != FileType::Directory => {}
            _ => {
                return Err(bad_entry(
                    &show(self.full),
                    "a hard link to something that is not an earlier file",
                ))
            }
        }
        self.make_room()?;
        rustix::fs::linkat(
            &tparent,
            tname.as_slice(),
            self.parent,
            self.name,
            AtFlags::empty(),
        )
        .map_err(|e| self.err("create hard link", e))
    }

    /// Owner and times of the entry itself (not following a symlink).
    fn finish_at(&self) -> Result<()> {
        rustix::fs::chownat(
            self.parent,
            self.name,
            Some(Uid::from_raw(self.uid)),
            Some(Gid::from_raw(self.gid)),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(|e| self.err("chown", e))?;
        rustix::fs::utimensat(
            self.parent,
            self.name,
            &times(self.mtime),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(|e| self.err("set times", e))
    }

    fn err(&self, what: &'static str, e: Errno) -> Error {
        self.view.err(what, self.full, e)
    }
}

fn times(mtime: i64) -> Timestamps {
    let t = Timespec {
        tv_sec: mtime,
        tv_nsec: 0,
    };
    Timestamps {
        last_access: t,
        last_modification: t,
    }
}

fn bad_entry(entry: &str, what: &str) -> Error {
    Error::Invalid(format!("archive entry {entry:?} is {what}"))
}

fn bad_stream(after: Option<&str>, source: io::Error) -> Error {
    let path = match after {
        Some(e) => format!("tar stream (after entry {e})"),
        None => "tar stream".to_string(),
    };
    Error::Io {
        what: "read",
        path: path.into(),
        source,
    }
}
