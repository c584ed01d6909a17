//! A filesystem seen the way a container sees it: a root directory plus the mounts on top of
//! it, resolved one component at a time from directory fds. Every component is opened with
//! the path-safety core's single-step open ([`berth_pathsafe::root::open_beneath`]:
//! `openat2` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, or `O_NOFOLLOW`) relative to the
//! directory before it, symlinks are read and restarted from the
//! view's root, and `..` never climbs above the root, so nothing the container controls can
//! make a lookup leave the view (even while the container changes its files).

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

use crate::error::{Error, Result};

/// Most symlinks one lookup follows (Linux's limit).
const MAX_LINKS: usize = 40;

/// `O_PATH` handle flags for walking.
const WALK: OFlags = OFlags::PATH.union(OFlags::NOFOLLOW).union(OFlags::CLOEXEC);

/// A mount on top of the root: its place in the view and its host source.
#[derive(Debug, Clone)]
pub struct MountPoint {
    /// Normalised path components in the view.
    pub at: Vec<Vec<u8>>,
    /// Host path of the mounted directory or file.
    pub source: PathBuf,
    /// Mounted read-only.
    pub read_only: bool,
}

/// A root directory and the mounts over it.
pub struct View {
    root: OwnedFd,
    root_path: PathBuf,
    read_only: bool,
    mounts: Vec<MountPoint>,
}

/// One resolved path: the directory holding it and its name there, or (`name` None) a
/// directory reached as a whole (the root, a mount's root, or a path ending in `..`).
pub struct Node {
    /// The directory that holds the node (or the node itself when `name` is None).
    pub dir: OwnedFd,
    /// The node's name in `dir`.
    pub name: Option<Vec<u8>>,
    /// The node's resolved path in the view (symlinks followed), for messages and mounts.
    pub comps: Vec<Vec<u8>>,
    /// The node is a file bind-mounted over the view (written in place, never replaced).
    pub mount_file: bool,
    /// Writes here are refused (read-only rootfs or mount).
    pub read_only: bool,
}

impl View {
    /// A view rooted at the host directory `root` with `mounts` on top.
    pub fn open(root: &Path, read_only: bool, mounts: Vec<MountPoint>) -> Result<View> {
        let fd = rustix::fs::open(
            root,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| io("open", root, e))?;
        Ok(View {
            root: fd,
            root_path: root.to_path_buf(),
            read_only,
            mounts,
        })
    }

    /// The mount whose destination is exactly `comps`.
    pub fn mount_at(&self, comps: &[Vec<u8>]) -> Option<&MountPoint> {
        self.mounts.iter().find(|m| m.at == comps)
    }

    /// Resolves `path` (absolute in the view; relative is taken from the root). Symlinks in
    /// the last component are followed only with `follow_last`; with `mkdirs`, missing
    /// directories before the last component are created (mode 0755).
    pub fn resolve(&self, path: &[u8], follow_last: bool, mkdirs: bool) -> Result<Node> {
        self.resolve_comps(split(path), follow_last, mkdirs)
    }

    /// [`View::resolve`] for already split components.
    pub fn resolve_comps(
        &self,
        comps: Vec<Vec<u8>>,
        follow_last: bool,
        mkdirs: bool,
    ) -> Result<Node> {
        let shown = show(&comps);
        let mut todo: Vec<Vec<u8>> = comps.into_iter().rev().collect();
        // The directories walked so far: (fd, name, read-only).
        let mut stack: Vec<(OwnedFd, Vec<u8>, bool)> = Vec::new();
        let mut links = 0;
        while let Some(c) = todo.pop() {
            if c == b"." {
                continue;
            }
            if c == b".." {
                stack.pop();
                continue;
            }
            let last = todo.iter().all(|t| t == b".");
            let mut here: Vec<Vec<u8>> = stack.iter().map(|(_, n, _)| n.clone()).collect();
            here.push(c.clone());
            let ro = stack.last().map_or(self.read_only, |s| s.2);
            if let Some(m) = self.mount_at(&here) {
                let fd = rustix::fs::open(&m.source, OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
                    .map_err(|e| io("open mount source", &m.source, e))?;
                let st = rustix::fs::fstat(&fd).map_err(|e| io("stat", &m.source, e))?;
                if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
                    stack.push((fd, c, m.read_only));
                    continue;
                }
                if !last {
                    return Err(not_dir(&shown));
                }
                let parent = m.source.parent().unwrap_or(Path::new("/"));
                let name = m
                    .source
                    .file_name()
                    .map(|n| n.as_encoded_bytes().to_vec())
                    .unwrap_or_default();
                let dir = rustix::fs::open(
                    parent,
                    OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .map_err(|e| io("open", parent, e))?;
                return Ok(Node {
                    dir,
                    name: Some(name),
                    comps: here,
                    mount_file: true,
                    read_only: m.read_only,
                });
            }
            let cur = stack.last().map_or(self.root.as_fd(), |s| s.0.as_fd());
            let name = std::ffi::OsStr::from_bytes(&c);
            let fd = match berth_pathsafe::root::open_beneath(cur, name) {
                Ok(fd) => fd,
                Err(Errno::NOENT) if last => return self.node(cur, c, here, ro),
                Err(Errno::NOENT) if mkdirs && !ro => {
                    match rustix::fs::mkdirat(cur, c.as_slice(), Mode::from_raw_mode(0o755)) {
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(e) => return Err(self.err("create directory", &here, e)),
                    }
                    rustix::fs::openat(cur, c.as_slice(), WALK | OFlags::DIRECTORY, Mode::empty())
                        .map_err(|e| self.err("open", &here, e))?
                }
                Err(e) => return Err(self.err("open", &here, e)),
            };
            let st = rustix::fs::fstat(&fd).map_err(|e| self.err("stat", &here, e))?;
            match FileType::from_raw_mode(st.st_mode) {
                FileType::Symlink if !last || follow_last => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(Error::Invalid(format!(
                            "too many levels of symbolic links resolving {shown}"
                        )));
                    }
                    let target = rustix::fs::readlinkat(cur, c.as_slice(), Vec::new())
                        .map_err(|e| self.err("read link", &here, e))?;
                    let target = target.into_bytes();
                    if target.first() == Some(&b'/') {
                        stack.clear();
                    }
                    todo.extend(split(&target).into_iter().rev());
                }
                _ if last => return self.node(cur, c, here, ro),
                FileType::Directory => stack.push((fd, c, ro)),
                _ => return Err(not_dir(&shown)),
            }
        }
        let comps: Vec<Vec<u8>> = stack.iter().map(|(_, n, _)| n.clone()).collect();
        let (dir, ro) = match stack.pop() {
            Some((fd, _, ro)) => (fd, ro),
            None => (
                self.root.try_clone().map_err(|e| Error::Io {
                    what: "dup",
                    path: self.root_path.clone(),
                    source: e,
                })?,
                self.read_only,
            ),
        };
        Ok(Node {
            dir,
            name: None,
            comps,
            mount_file: false,
            read_only: ro,
        })
    }

    /// Resolves `comps` to a directory (following every symlink) and opens it for `*at`
    /// calls; with `mkdirs` the directory and its parents are created when missing.
    pub fn dir(&self, comps: Vec<Vec<u8>>, mkdirs: bool) -> Result<(OwnedFd, bool)> {
        let node = self.resolve_comps(comps, true, mkdirs)?;
        let Some(name) = &node.name else {
            return Ok((node.dir, node.read_only));
        };
        if node.mount_file {
            return Err(not_dir(&show(&node.comps)));
        }
        match rustix::fs::openat(
            &node.dir,
            name.as_slice(),
            WALK | OFlags::DIRECTORY,
            Mode::empty(),
        ) {
            Ok(fd) => Ok((fd, node.read_only)),
            Err(Errno::NOENT) if mkdirs && !node.read_only => {
                match rustix::fs::mkdirat(&node.dir, name.as_slice(), Mode::from_raw_mode(0o755)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(self.err("create directory", &node.comps, e)),
                }
                let fd = rustix::fs::openat(
                    &node.dir,
                    name.as_slice(),
                    WALK | OFlags::DIRECTORY,
                    Mode::empty(),
                )
                .map_err(|e| self.err("open", &node.comps, e))?;
                Ok((fd, node.read_only))
            }
            Err(e) => Err(self.err("open directory", &node.comps, e)),
        }
    }

    fn node(
        &self,
        dir: BorrowedFd<'_>,
        name: Vec<u8>,
        comps: Vec<Vec<u8>>,
        read_only: bool,
    ) -> Result<Node> {
        let dir = dir.try_clone_to_owned().map_err(|e| Error::Io {
            what: "dup",
            path: PathBuf::from(show(&comps)),
            source: e,
        })?;
        Ok(Node {
            dir,
            name: Some(name),
            comps,
            mount_file: false,
            read_only,
        })
    }

    /// An I/O error naming a path in the view.
    pub fn err(&self, what: &'static str, comps: &[Vec<u8>], e: Errno) -> Error {
        Error::Io {
            what,
            path: PathBuf::from(show(comps)),
            source: e.into(),
        }
    }
}

impl Node {
    /// lstat of the node (the directory itself when it has no name).
    pub fn stat(&self) -> std::result::Result<Stat, Errno> {
        match &self.name {
            Some(n) => rustix::fs::statat(&self.dir, n.as_slice(), AtFlags::SYMLINK_NOFOLLOW),
            None => rustix::fs::fstat(&self.dir),
        }
    }

    /// The node's path in the view, for messages.
    pub fn shown(&self) -> String {
        show(&self.comps)
    }
}

/// Splits a path into its non-empty components (`.` and `..` kept).
pub fn split(path: &[u8]) -> Vec<Vec<u8>> {
    path.split(|b| *b == b'/')
        .filter(|c| !c.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// Components as an absolute path.
pub fn show(comps: &[Vec<u8>]) -> String {
    let mut s = String::from("/");
    s.push_str(
        &comps
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("/"),
    );
    s
}

fn not_dir(shown: &str) -> Error {
    Error::Invalid(format!("{shown}: not a directory"))
}

fn io(what: &'static str, path: &Path, e: Errno) -> Error {
    Error::Io {
        what,
        path: path.to_path_buf(),
        source: e.into(),
    }
}
