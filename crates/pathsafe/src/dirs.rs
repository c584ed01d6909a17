//! How the extractor reaches an entry's parent directory: the [`Dirs`] strategy.
//!
//! - [`NoSymlinkDirs`] (image layers): every component opened with `O_NOFOLLOW`; a symlink on
//!   the way is an error, so nothing is ever written through one.
//! - [`InRootDirs`] (ADD, a build context, plain archives): parents resolved inside a
//!   [`Root`] with symlinks followed as if the root were `/` (never out of it).
//! - `cp` has its own (a container's view with its mounts), in the engine.
//!
//! Each keeps the last directory opened, so consecutive entries of one directory (the
//! common case) cost no lookup.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::entry::Words;
use crate::error::{ExtractError, Result};
use crate::ops::DIR_FLAGS;
use crate::root::{Create, Root};

/// A mount over the destination (a `cp` into a container's volume or bind mount).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mounted {
    /// A mounted directory: entered, its owner and mode left alone.
    Dir,
    /// A bind-mounted file (this host path): written in place, never replaced.
    File(PathBuf),
}

/// How an extractor opens directories below its destination.
pub trait Dirs {
    /// Opens the directory `comps` (relative to the destination) for `*at` calls, for entry
    /// `entry` (named in errors). With `create`, missing directories are made; without, a
    /// missing or non-directory component gives `None`.
    fn dir(&mut self, comps: &[Vec<u8>], entry: &str, create: bool) -> Result<Option<Rc<OwnedFd>>>;

    /// Forgets cached handles; called after a directory was removed.
    fn invalidate(&mut self);

    /// A mount exactly at `comps`, if any.
    fn mounted(&self, _comps: &[Vec<u8>]) -> Option<Mounted> {
        None
    }

    /// `comps` as a path for messages.
    fn show(&self, comps: &[Vec<u8>]) -> PathBuf;
}

/// The one-entry cache of the last directory opened.
type Cache = Option<(Vec<Vec<u8>>, Rc<OwnedFd>)>;

fn cached(cache: &Cache, comps: &[Vec<u8>]) -> Option<Rc<OwnedFd>> {
    match cache {
        Some((path, fd)) if path.as_slice() == comps => Some(fd.clone()),
        _ => None,
    }
}

fn join(comps: &[Vec<u8>]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(&comps.join(&b'/')))
}

/// Directories of an image layer: opened component by component with `O_NOFOLLOW`; a
/// symlink on the way is an error (a layer never writes through one).
pub struct NoSymlinkDirs {
    dest: PathBuf,
    root: Rc<OwnedFd>,
    words: Words,
    cache: Cache,
}

impl NoSymlinkDirs {
    /// Opens the destination directory `dest` (it must exist and be a directory).
    pub fn open(dest: &Path, words: Words) -> Result<NoSymlinkDirs> {
        let fd =
            rustix::fs::open(dest, DIR_FLAGS, Mode::empty()).map_err(|e| ExtractError::Io {
                what: "open the destination directory",
                path: dest.to_path_buf(),
                source: e.into(),
            })?;
        Ok(NoSymlinkDirs {
            dest: dest.to_path_buf(),
            root: Rc::new(fd),
            words,
            cache: None,
        })
    }

    /// Makes a directory the archive did not list (0755) and opens it.
    fn make_dir(&self, parent: BorrowedFd<'_>, name: &[u8], shown: &Path) -> Result<OwnedFd> {
        let io = |what: &'static str| {
            let path = self.dest.join(shown);
            move |e: Errno| ExtractError::Io {
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

impl Dirs for NoSymlinkDirs {
    fn dir(&mut self, dirs: &[Vec<u8>], entry: &str, create: bool) -> Result<Option<Rc<OwnedFd>>> {
        if dirs.is_empty() {
            return Ok(Some(self.root.clone()));
        }
        if let Some(fd) = cached(&self.cache, dirs) {
            return Ok(Some(fd));
        }
        let mut cur = self.root.clone();
        for (i, comp) in dirs.iter().enumerate() {
            let shown = || join(&dirs[..=i]);
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
                        return Err(ExtractError::Refused(format!(
                            "{} {entry} goes through a symlink ({} is a symlink)",
                            self.words.entry,
                            shown().display()
                        )));
                    }
                    if create {
                        return Err(ExtractError::Refused(format!(
                            "{} {entry}: {} is not a directory",
                            self.words.entry,
                            shown().display()
                        )));
                    }
                    return Ok(None);
                }
                Err(e) => {
                    return Err(ExtractError::Io {
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

    fn invalidate(&mut self) {
        self.cache = None;
    }

    fn show(&self, comps: &[Vec<u8>]) -> PathBuf {
        self.dest.join(join(comps))
    }
}

/// Directories resolved inside a [`Root`] (symlinks followed as if the root were `/`),
/// below a destination directory in it. Missing directories are made 0755 with `owner`.
pub struct InRootDirs {
    root: Root,
    base: Vec<Vec<u8>>,
    owner: Option<(u32, u32)>,
    words: Words,
    cache: Cache,
}

impl InRootDirs {
    /// Directories below `base` (components, already resolved or not) inside `root`;
    /// directories it creates get `owner` (else the caller's).
    pub fn new(
        root: Root,
        base: Vec<Vec<u8>>,
        owner: Option<(u32, u32)>,
        words: Words,
    ) -> InRootDirs {
        InRootDirs {
            root,
            base,
            owner,
            words,
            cache: None,
        }
    }

    /// The root.
    pub fn root(&self) -> &Root {
        &self.root
    }
}

impl Dirs for InRootDirs {
    fn dir(&mut self, comps: &[Vec<u8>], entry: &str, create: bool) -> Result<Option<Rc<OwnedFd>>> {
        if let Some(fd) = cached(&self.cache, comps) {
            return Ok(Some(fd));
        }
        let mut all = self.base.clone();
        all.extend_from_slice(comps);
        let path = join(&all);
        let owner = self.owner;
        let mut on_create = |dir: BorrowedFd<'_>, name: &std::ffi::OsStr| {
            let fd = rustix::fs::openat(dir, name, DIR_FLAGS, Mode::empty())?;
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o755))?;
            if let Some((uid, gid)) = owner {
                crate::ops::fchown(fd.as_fd(), uid, gid)?;
            }
            Ok(())
        };
        let how = if create { Create::Dir } else { Create::No };
        let target = match self.root.resolve_creating(&path, how, &mut on_create) {
            Ok(t) => t,
            Err(e)
                if !create
                    && matches!(e.raw_os_error(), Some(c) if c == Errno::NOENT.raw_os_error() || c == Errno::NOTDIR.raw_os_error()) =>
            {
                return Ok(None)
            }
            Err(e) if e.raw_os_error() == Some(Errno::NOTDIR.raw_os_error()) => {
                return Err(ExtractError::Refused(format!(
                    "{} {entry}: /{} is not a directory",
                    self.words.entry,
                    path.display()
                )))
            }
            Err(e) => {
                return Err(ExtractError::Io {
                    what: "resolve directory",
                    path: self.root.path().join(&path),
                    source: e,
                })
            }
        };
        // Reopen the object found as a directory (O_PATH handles cannot take xattrs).
        let fd = match rustix::fs::openat(
            &target.fd,
            ".",
            DIR_FLAGS & !OFlags::NOFOLLOW,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::NOTDIR) if !create => return Ok(None),
            Err(Errno::NOTDIR) => {
                return Err(ExtractError::Refused(format!(
                    "{} {entry}: {} is not a directory",
                    self.words.entry,
                    target.path.display()
                )))
            }
            Err(e) => {
                return Err(ExtractError::Io {
                    what: "open directory",
                    path: self.root.path().join(target.relative()),
                    source: e.into(),
                })
            }
        };
        let fd = Rc::new(fd);
        self.cache = Some((comps.to_vec(), fd.clone()));
        Ok(Some(fd))
    }

    fn invalidate(&mut self) {
        self.cache = None;
    }

    fn show(&self, comps: &[Vec<u8>]) -> PathBuf {
        let mut all = self.base.clone();
        all.extend_from_slice(comps);
        PathBuf::from("/").join(join(&all))
    }
}
