//! Safe path resolution inside the container's root: a path from the spec (`/proc`,
//! `/data/x`) is looked up one component at a time from a directory fd of the rootfs, with
//! symlinks followed by hand as if the rootfs were `/` (absolute targets restart at the
//! rootfs, `..` never climbs above it). Each step is an `openat2(2)` of a single component with
//! `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, so the kernel itself refuses to leave the
//! directory; missing directories (or a final file) are created on the way. The result is
//! checked once more with `RESOLVE_IN_ROOT` from the rootfs fd and returned as an `O_PATH` fd,
//! on which callers mount through `/proc/self/fd/N`: no symlink in the image, not even one
//! swapped in later, can point a mount at the host.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags, ResolveFlags};

/// Linux's limit on symlinks followed in one lookup (`MAXSYMLINKS`).
const MAX_SYMLINKS: u32 = 40;

/// What to do when a path component does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Create {
    /// Nothing: a missing component is `ENOENT`.
    No,
    /// Create missing directories, the last one included.
    Dir,
    /// Create missing directories, and the last component as an empty regular file.
    File,
}

/// An open directory that resolution treats as `/`.
#[derive(Debug)]
pub(crate) struct Root {
    fd: OwnedFd,
    path: PathBuf,
}

/// A resolved path inside a [`Root`].
#[derive(Debug)]
pub(crate) struct Target {
    /// `O_PATH` descriptor of the object.
    pub fd: OwnedFd,
    /// Its path inside the root, absolute and free of symlinks (`/etc` for `/proc -> /etc`).
    pub path: PathBuf,
}

impl Target {
    /// `/proc/self/fd/N`: a path naming exactly this object, for `mount(2)` and friends.
    pub fn proc_path(&self) -> PathBuf {
        proc_fd_path(self.fd.as_fd())
    }
}

/// `/proc/self/fd/N` for any descriptor.
pub(crate) fn proc_fd_path(fd: BorrowedFd<'_>) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()))
}

impl Root {
    /// Opens `path` (a directory on the host) as a resolution root.
    pub fn open(path: &Path) -> io::Result<Root> {
        let fd = rustix::fs::open(
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Root {
            fd,
            path: path.to_path_buf(),
        })
    }

    /// The root's path on the host, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Resolves `path` (taken relative to the root whether or not it starts with `/`),
    /// creating what is missing as `create` says.
    pub fn resolve(&self, path: &Path, create: Create) -> io::Result<Target> {
        let target = self.walk(path, create)?;
        self.recheck(&target)?;
        Ok(target)
    }

    /// The walk proper. `stack` holds the directories entered so far (the root is implied).
    fn walk(&self, path: &Path, create: Create) -> io::Result<Target> {
        let mut queue: VecDeque<OsString> = components(path).collect();
        let mut stack: Vec<(OwnedFd, OsString)> = Vec::new();
        let mut links = 0;
        let mut retries = 0;
        while let Some(name) = queue.pop_front() {
            if name == ".." {
                stack.pop();
                continue;
            }
            let dir = stack.last().map_or(self.fd.as_fd(), |(fd, _)| fd.as_fd());
            let fd = match open_beneath(dir, &name) {
                Ok(fd) => {
                    retries = 0;
                    fd
                }
                Err(e) if e == rustix::io::Errno::NOENT && create != Create::No && retries < 3 => {
                    retries += 1;
                    let file = queue.is_empty() && create == Create::File;
                    create_entry(dir, &name, file)?;
                    queue.push_front(name);
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let stat = rustix::fs::fstat(&fd)?;
            match FileType::from_raw_mode(stat.st_mode) {
                FileType::Symlink => {
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(rustix::io::Errno::LOOP.into());
                    }
                    let target = rustix::fs::readlinkat(&fd, "", Vec::new())?;
                    let target = Path::new(OsStr::from_bytes(target.as_bytes()));
                    if target.is_absolute() {
                        stack.clear();
                    }
                    for comp in components(target).collect::<Vec<_>>().into_iter().rev() {
                        queue.push_front(comp);
                    }
                }
                FileType::Directory => stack.push((fd, name)),
                _ if queue.is_empty() => stack.push((fd, name)),
                _ => return Err(rustix::io::Errno::NOTDIR.into()),
            }
        }
        let mut inner = PathBuf::from("/");
        for (_, name) in &stack {
            inner.push(name);
        }
        let fd = match stack.pop() {
            Some((fd, _)) => fd,
            None => self.fd.try_clone()?,
        };
        Ok(Target { fd, path: inner })
    }

    /// Opens the resolved path again, this time letting the kernel resolve it with
    /// `RESOLVE_IN_ROOT`, and checks that both lookups found the same object.
    fn recheck(&self, target: &Target) -> io::Result<()> {
        let rel = target.path.strip_prefix("/").unwrap_or(&target.path);
        let rel = if rel.as_os_str().is_empty() {
            Path::new(".")
        } else {
            rel
        };
        let fd = rustix::fs::openat2(
            &self.fd,
            rel,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
            ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS | ResolveFlags::NO_SYMLINKS,
        )?;
        let (a, b) = (rustix::fs::fstat(&fd)?, rustix::fs::fstat(&target.fd)?);
        if (a.st_dev, a.st_ino) != (b.st_dev, b.st_ino) {
            return Err(io::Error::other(format!(
                "{} changed while it was being resolved",
                target.path.display()
            )));
        }
        Ok(())
    }
}

/// The components of `path` that matter for the walk: names and `..` (a leading `/` and `.`
/// are dropped).
fn components(path: &Path) -> impl Iterator<Item = OsString> + '_ {
    path.components().filter_map(|c| match c {
        Component::Normal(n) => Some(n.to_os_string()),
        Component::ParentDir => Some(OsString::from("..")),
        Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
    })
}

/// Opens one component of `dir` without following it if it is a symlink and without any
/// possibility of leaving `dir`.
fn open_beneath(dir: BorrowedFd<'_>, name: &OsStr) -> rustix::io::Result<OwnedFd> {
    rustix::fs::openat2(
        dir,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
    )
}

/// Creates `name` in `dir` as a directory (0755) or an empty file (0644). An entry that
/// appeared meanwhile (`EEXIST`) is fine: the walk opens it again.
fn create_entry(dir: BorrowedFd<'_>, name: &OsStr, file: bool) -> io::Result<()> {
    let res = if file {
        rustix::fs::openat(
            dir,
            name,
            OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )
        .map(drop)
    } else {
        rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o755))
    };
    match res {
        Ok(()) | Err(rustix::io::Errno::EXIST) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn setup() -> (tempfile::TempDir, Root) {
        let dir = tempfile::Builder::new()
            .prefix("berth-resolve-")
            .tempdir()
            .unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("etc/hosts"), "x").unwrap();
        symlink("/etc", root.join("proc")).unwrap();
        symlink("../../../../../../tmp", root.join("mnt")).unwrap();
        symlink("../..", root.join("etc/up")).unwrap();
        symlink("loop", root.join("loop")).unwrap();
        symlink("hosts", root.join("etc/hostlink")).unwrap();
        let r = Root::open(&root).unwrap();
        (dir, r)
    }

    #[test]
    fn follows_symlinks_inside_root() {
        let (_d, r) = setup();
        let t = r.resolve(Path::new("/proc"), Create::No).unwrap();
        assert_eq!(t.path, Path::new("/etc"));
        let t = r
            .resolve(Path::new("/etc/up/etc/up/etc/hosts"), Create::No)
            .unwrap();
        assert_eq!(t.path, Path::new("/etc/hosts"));
        let t = r
            .resolve(Path::new("../../etc/hostlink"), Create::No)
            .unwrap();
        assert_eq!(t.path, Path::new("/etc/hosts"));
        let t = r.resolve(Path::new("/"), Create::No).unwrap();
        assert_eq!(t.path, Path::new("/"));
    }

    #[test]
    fn creates_inside_root() {
        let (d, r) = setup();
        let t = r.resolve(Path::new("/mnt/a/b"), Create::Dir).unwrap();
        assert_eq!(t.path, Path::new("/tmp/a/b"));
        assert!(d.path().join("root/tmp/a/b").is_dir());
        let t = r
            .resolve(Path::new("/proc/new/file"), Create::File)
            .unwrap();
        assert_eq!(t.path, Path::new("/etc/new/file"));
        assert!(d.path().join("root/etc/new/file").is_file());
    }

    #[test]
    fn errors() {
        let (_d, r) = setup();
        let e = r.resolve(Path::new("/nope"), Create::No).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOENT));
        let e = r.resolve(Path::new("/loop/x"), Create::Dir).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ELOOP));
        let e = r
            .resolve(Path::new("/etc/hosts/x"), Create::Dir)
            .unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOTDIR));
    }
}
