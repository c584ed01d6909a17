//! Directory handles inside the layer being unpacked, resolved one component at a time with
//! `O_NOFOLLOW`, so that no write ever goes through a symlink (and so never outside the
//! layer directory).

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::error::{Error, Result};

/// Flags that open an existing directory without following a symlink.
pub(crate) const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// The layer directory being unpacked, with a one-entry cache of the last directory used.
pub(crate) struct Tree {
    dest: PathBuf,
    root: Rc<OwnedFd>,
    cache: Option<(Vec<Vec<u8>>, Rc<OwnedFd>)>,
}

impl Tree {
    /// Opens the layer directory `dest` (it must exist and be a directory).
    pub(crate) fn open(dest: &Path) -> Result<Tree> {
        let fd = rustix::fs::open(dest, DIR_FLAGS, Mode::empty()).map_err(|e| Error::Io {
            what: "open the layer directory",
            path: dest.to_path_buf(),
            source: e.into(),
        })?;
        Ok(Tree {
            dest: dest.to_path_buf(),
            root: Rc::new(fd),
            cache: None,
        })
    }

    /// The layer directory.
    pub(crate) fn dest(&self) -> &Path {
        &self.dest
    }

    /// The layer root's handle.
    pub(crate) fn root(&self) -> Rc<OwnedFd> {
        self.root.clone()
    }

    /// Forgets cached handles; call after removing a directory.
    pub(crate) fn invalidate(&mut self) {
        self.cache = None;
    }

    /// Opens the directory made of `dirs` under the root, for entry `entry` (named in
    /// errors). With `create`, missing directories are made (0755, owned by the caller);
    /// otherwise a missing or non-directory component gives `None`. A symlink on the way is
    /// always an error.
    pub(crate) fn dir(
        &mut self,
        dirs: &[Vec<u8>],
        entry: &str,
        create: bool,
    ) -> Result<Option<Rc<OwnedFd>>> {
        if dirs.is_empty() {
            return Ok(Some(self.root.clone()));
        }
        if let Some((path, fd)) = &self.cache {
            if path.as_slice() == dirs {
                return Ok(Some(fd.clone()));
            }
        }
        let mut cur = self.root.clone();
        for (i, comp) in dirs.iter().enumerate() {
            let shown = || String::from_utf8_lossy(&dirs[..=i].join(&b'/')).into_owned();
            let next = match rustix::fs::openat(&*cur, comp.as_slice(), DIR_FLAGS, Mode::empty()) {
                Ok(fd) => fd,
                Err(Errno::NOENT) if create => self.make_dir(cur.as_fd(), comp, &shown())?,
                Err(Errno::NOENT) => return Ok(None),
                Err(Errno::LOOP | Errno::NOTDIR) => {
                    let is_link =
                        rustix::fs::statat(&*cur, comp.as_slice(), AtFlags::SYMLINK_NOFOLLOW)
                            .map(|st| FileType::from_raw_mode(st.st_mode) == FileType::Symlink)
                            .unwrap_or(false);
                    if is_link {
                        return Err(Error::BadArchive(format!(
                            "layer entry {entry} goes through a symlink ({} is a symlink)",
                            shown()
                        )));
                    }
                    if create {
                        return Err(Error::BadArchive(format!(
                            "layer entry {entry}: {} is not a directory",
                            shown()
                        )));
                    }
                    return Ok(None);
                }
                Err(e) => {
                    return Err(Error::Io {
                        what: "open directory",
                        path: self.dest.join(shown()),
                        source: e.into(),
                    })
                }
            };
            cur = Rc::new(next);
        }
        self.cache = Some((dirs.to_vec(), cur.clone()));
        Ok(Some(cur))
    }

    /// Makes a directory the archive did not list (0755) and opens it.
    fn make_dir(&self, parent: BorrowedFd<'_>, name: &[u8], shown: &str) -> Result<OwnedFd> {
        let io = |what: &'static str| {
            let path = self.dest.join(shown);
            move |e: Errno| Error::Io {
                what,
                path,
                source: e.into(),
            }
        };
        match rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o755)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(io("create directory")(e)),
        }
        let fd = rustix::fs::openat(parent, name, DIR_FLAGS, Mode::empty())
            .map_err(io("open directory"))?;
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o755)).map_err(io("chmod"))?;
        Ok(fd)
    }
}

/// Removes `name` in `parent`, recursively if it is a directory, never following a symlink.
/// A missing entry is not an error.
pub(crate) fn remove_at(parent: BorrowedFd<'_>, name: &[u8]) -> std::io::Result<()> {
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
