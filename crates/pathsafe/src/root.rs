//! Resolving a path inside a root directory as if the root were `/`: absolute symlink
//! targets restart at the root and `..` never climbs above it.
//!
//! Two ways, one result:
//! - [`Root::open_in_root`] hands the whole path to the kernel, `openat2(2)` with
//!   `RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS`;
//! - [`Root::resolve`] walks one component at a time from directory fds, each opened with
//!   `O_NOFOLLOW` (and, where `openat2` exists, `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`),
//!   following symlinks by hand; it can create what is missing on the way and it reports
//!   the symlink-free path it found. Where `openat2` exists the result is checked once more
//!   with `RESOLVE_IN_ROOT`, so an entry swapped for a symlink during the walk is caught.
//!
//! Where `openat2` is missing (`ENOSYS`: Linux before 5.6, or a seccomp filter),
//! [`Root::open_in_root`] falls back to the walk. [`Root::open_forcing_walk`] forces the
//! fallback, so both paths are tested.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

/// Linux's limit on symlinks followed in one lookup (`MAXSYMLINKS`).
const MAX_SYMLINKS: u32 = 40;

/// Set once `openat2` answered `ENOSYS`: later lookups go straight to the walk.
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

/// What to do when a path component does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// Nothing: a missing component is `ENOENT`.
    No,
    /// Create missing directories (0755), the last one included.
    Dir,
    /// Create missing directories, and the last component as an empty regular file (0644).
    File,
}

/// Decides whether an existing entry met by [`Root::lookup`] is there: called with the
/// entry's symlink-free path inside the root (`/a/b`), its type (a symlink not followed) and
/// whether it is the last component of the path; `false` makes the lookup treat it as
/// missing. For a tree with hidden entries (a build context's `.dockerignore`).
pub type Visible<'a> = dyn FnMut(&Path, FileType, bool) -> io::Result<bool> + 'a;

/// How [`Root::lookup`] resolves a path.
pub struct Lookup<'a> {
    /// Follow a symlink in the last component.
    pub follow_last: bool,
    /// Climbing above the root, by a `..` of the path or of a symlink, or an absolute
    /// symlink target, is an error (`EXDEV`) instead of being clamped or re-rooted.
    pub beneath: bool,
    /// With `beneath`: an absolute symlink target under the root's own host path (made
    /// canonical) is taken as the path below the root it names, not as an error. For a
    /// directory of the user's (a build context) where `ln -s "$PWD/x" y` is common.
    pub host_targets: bool,
    /// Which entries exist (all of them when `None`).
    pub visible: Option<&'a mut Visible<'a>>,
}

/// An open directory that resolution treats as `/`.
#[derive(Debug)]
pub struct Root {
    fd: OwnedFd,
    path: PathBuf,
    walk_only: bool,
}

/// A resolved path inside a [`Root`].
#[derive(Debug)]
pub struct Target {
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

    /// The path relative to the root (`etc/hosts`; empty for the root itself).
    pub fn relative(&self) -> &Path {
        self.path.strip_prefix("/").unwrap_or(&self.path)
    }
}

/// `/proc/self/fd/N` for any descriptor.
pub fn proc_fd_path(fd: BorrowedFd<'_>) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()))
}

impl Root {
    /// Opens `path` (a directory on the host) as a resolution root.
    pub fn open(path: &Path) -> io::Result<Root> {
        Self::open_with(path, false)
    }

    /// Like [`Root::open`], but never uses `openat2`: every lookup is the `O_NOFOLLOW`
    /// walk, as on kernels without `openat2`. For tests of the fallback.
    pub fn open_forcing_walk(path: &Path) -> io::Result<Root> {
        Self::open_with(path, true)
    }

    fn open_with(path: &Path, walk_only: bool) -> io::Result<Root> {
        let fd = rustix::fs::open(
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Root {
            fd,
            path: path.to_path_buf(),
            walk_only,
        })
    }

    /// The root's path on the host, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The root's `O_PATH` descriptor.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Whether lookups use `openat2` (false when forced to walk or the kernel lacks it).
    pub fn uses_openat2(&self) -> bool {
        !self.walk_only && !NO_OPENAT2.load(Ordering::Relaxed)
    }

    /// Opens `path` inside the root with `flags` (`O_CLOEXEC` is added), every symlink
    /// followed inside the root. With `O_NOFOLLOW` in `flags` a final symlink is opened
    /// (with `O_PATH`) or refused (`ELOOP`) rather than followed. `openat2` with
    /// `RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS`, else the walk.
    pub fn open_in_root(&self, path: &Path, flags: OFlags) -> io::Result<OwnedFd> {
        let flags = flags | OFlags::CLOEXEC;
        let rel = relative(path);
        if self.uses_openat2() {
            match rustix::fs::openat2(
                &self.fd,
                rel,
                flags,
                Mode::empty(),
                ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
            ) {
                Err(Errno::NOSYS) => NO_OPENAT2.store(true, Ordering::Relaxed),
                // EAGAIN: a rename raced the lookup; EPERM: a seccomp filter (old Docker
                // profiles) refused openat2 itself. Walk instead.
                Err(Errno::AGAIN | Errno::PERM) => {}
                other => return other.map_err(Into::into),
            }
        }
        let follow_last = !flags.contains(OFlags::NOFOLLOW);
        let target = self.walk(path, Create::No, follow_last, &mut |_, _| Ok(()))?;
        if flags.contains(OFlags::PATH) {
            return Ok(target.fd);
        }
        let st = rustix::fs::fstat(&target.fd)?;
        if FileType::from_raw_mode(st.st_mode) == FileType::Symlink {
            return Err(Errno::LOOP.into());
        }
        // Reopen the object the walk found (not a path that could change meanwhile).
        Ok(rustix::fs::open(
            proc_fd_path(target.fd.as_fd()),
            flags,
            Mode::empty(),
        )?)
    }

    /// Resolves `path` (taken relative to the root whether or not it starts with `/`),
    /// creating what is missing as `create` says. Every symlink is followed inside the root.
    pub fn resolve(&self, path: &Path, create: Create) -> io::Result<Target> {
        let target = self.walk(path, create, true, &mut |_, _| Ok(()))?;
        self.recheck(&target)?;
        Ok(target)
    }

    /// [`Root::resolve`] (nothing created) where climbing above the root, by a `..` of
    /// `path` or of a symlink, is an error (`EXDEV`, as `RESOLVE_BENEATH` answers) rather
    /// than clamped: for callers whose contents must be self-contained (an image archive).
    pub fn resolve_beneath(&self, path: &Path) -> io::Result<Target> {
        let target = self.walk_with(path, Create::No, true, true, None, &mut |_, _| Ok(()))?;
        self.recheck(&target)?;
        Ok(target)
    }

    /// [`Root::resolve`], calling `created(dir, name)` for every entry it creates (to set
    /// an owner or a mode), before it is entered.
    pub fn resolve_creating(
        &self,
        path: &Path,
        create: Create,
        created: &mut dyn FnMut(BorrowedFd<'_>, &OsStr) -> io::Result<()>,
    ) -> io::Result<Target> {
        let target = self.walk(path, create, true, created)?;
        self.recheck(&target)?;
        Ok(target)
    }

    /// [`Root::resolve`] without following a symlink in the last component (it is returned
    /// as such; `create` then never applies to the last component if it is a symlink).
    pub fn resolve_nofollow(&self, path: &Path, create: Create) -> io::Result<Target> {
        self.walk(path, create, false, &mut |_, _| Ok(()))
    }

    /// The walk proper. `stack` holds the directories entered so far (the root is implied).
    fn walk(
        &self,
        path: &Path,
        create: Create,
        follow_last: bool,
        created: &mut dyn FnMut(BorrowedFd<'_>, &OsStr) -> io::Result<()>,
    ) -> io::Result<Target> {
        self.walk_with(path, create, follow_last, false, None, created)
    }

    /// `path` resolved as far as it exists (symlinks followed inside the root, the last one
    /// only with `follow_last`): the symlink-free path inside the root of what exists, and
    /// the components not resolved because the first of them is missing (or the path
    /// went on below a non-directory), as they were in `path` or a symlink's target.
    pub fn resolve_split(
        &self,
        path: &Path,
        follow_last: bool,
    ) -> io::Result<(PathBuf, Vec<OsString>)> {
        let mut rest = Vec::new();
        let target = self.walk_with(
            path,
            Create::No,
            follow_last,
            false,
            Some(&mut rest),
            &mut |_, _| Ok(()),
        )?;
        self.recheck(&target)?;
        Ok((target.path, rest))
    }

    /// `path` resolved as far as it exists under the rules of `how`: the symlink-free
    /// path inside the root of what exists, and the components not resolved because the
    /// first of them is missing or not visible (or the path went on below a non-directory),
    /// as [`Root::resolve_split`] reports them. Symlinks are followed inside the root;
    /// leaving it is `EXDEV` with `how.beneath`, too many symlinks `ELOOP`.
    pub fn lookup(
        &self,
        path: &Path,
        how: &mut Lookup<'_>,
    ) -> io::Result<(PathBuf, Vec<OsString>)> {
        let mut rest = Vec::new();
        let target = self.walk_opts(
            path,
            WalkOpts {
                create: Create::No,
                follow_last: how.follow_last,
                beneath: how.beneath,
                host_targets: how.host_targets,
                missing: Some(&mut rest),
                visible: how.visible.as_deref_mut(),
            },
            &mut |_, _| Ok(()),
        )?;
        self.recheck(&target)?;
        Ok((target.path, rest))
    }

    /// `path` resolved as far as it exists, every symlink followed inside the root, and the
    /// missing rest appended as it is (its `..` taken lexically): the path inside the root
    /// (absolute, `/x/y`) a later `mkdir -p` of `path` would make. Nothing is created.
    pub fn resolve_partial(&self, path: &Path) -> io::Result<PathBuf> {
        let mut rest = Vec::new();
        let target = self.walk_with(
            path,
            Create::No,
            true,
            false,
            Some(&mut rest),
            &mut |_, _| Ok(()),
        )?;
        if rest.is_empty() {
            self.recheck(&target)?;
        }
        let mut out = target.path;
        for c in rest {
            if c == ".." {
                out.pop();
            } else {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// The walk; with `beneath`, a `..` at the root is `EXDEV` instead of staying there.
    fn walk_with(
        &self,
        path: &Path,
        create: Create,
        follow_last: bool,
        beneath: bool,
        missing: Option<&mut Vec<OsString>>,
        created: &mut dyn FnMut(BorrowedFd<'_>, &OsStr) -> io::Result<()>,
    ) -> io::Result<Target> {
        let opts = WalkOpts {
            create,
            follow_last,
            beneath,
            host_targets: false,
            missing,
            visible: None,
        };
        self.walk_opts(path, opts, created)
    }

    /// The walk with every option (see [`WalkOpts`]).
    fn walk_opts(
        &self,
        path: &Path,
        opts: WalkOpts<'_, '_>,
        created: &mut dyn FnMut(BorrowedFd<'_>, &OsStr) -> io::Result<()>,
    ) -> io::Result<Target> {
        let WalkOpts {
            create,
            follow_last,
            beneath,
            host_targets,
            mut missing,
            mut visible,
        } = opts;
        let mut host_root: Option<PathBuf> = None;
        let mut queue: VecDeque<OsString> = components(path).collect();
        let mut stack: Vec<(OwnedFd, OsString)> = Vec::new();
        let mut links = 0;
        let mut retries = 0;
        while let Some(name) = queue.pop_front() {
            if name == ".." {
                if stack.pop().is_none() && beneath {
                    return Err(Errno::XDEV.into());
                }
                continue;
            }
            let dir = stack.last().map_or(self.fd.as_fd(), |(fd, _)| fd.as_fd());
            let fd = match self.open_component(dir, &name) {
                Ok(fd) => {
                    retries = 0;
                    fd
                }
                Err(Errno::NOENT) if create != Create::No && retries < 3 => {
                    retries += 1;
                    let file = queue.is_empty() && create == Create::File;
                    if create_entry(dir, &name, file)? {
                        created(dir, &name)?;
                    }
                    queue.push_front(name);
                    continue;
                }
                Err(Errno::NOENT) if missing.is_some() => {
                    if let Some(rest) = missing.as_deref_mut() {
                        rest.push(name);
                        rest.extend(queue.drain(..));
                    }
                    break;
                }
                Err(e) => return Err(e.into()),
            };
            let stat = rustix::fs::fstat(&fd)?;
            let kind = FileType::from_raw_mode(stat.st_mode);
            if let Some(visible) = visible.as_deref_mut() {
                let mut inner = PathBuf::from("/");
                inner.extend(stack.iter().map(|(_, n)| n));
                inner.push(&name);
                if !visible(&inner, kind, queue.is_empty())? {
                    match missing.as_deref_mut() {
                        Some(rest) => {
                            rest.push(name);
                            rest.extend(queue.drain(..));
                            break;
                        }
                        None => return Err(Errno::NOENT.into()),
                    }
                }
            }
            match kind {
                FileType::Symlink if follow_last || !queue.is_empty() => {
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(Errno::LOOP.into());
                    }
                    let target = rustix::fs::readlinkat(&fd, "", Vec::new())?;
                    let mut target = Path::new(OsStr::from_bytes(target.as_bytes()));
                    if target.is_absolute() {
                        if beneath {
                            if !host_targets {
                                return Err(Errno::XDEV.into());
                            }
                            let host = match &host_root {
                                Some(h) => h,
                                None => host_root.insert(std::fs::canonicalize(&self.path)?),
                            };
                            target = target
                                .strip_prefix(host)
                                .map_err(|_| io::Error::from(Errno::XDEV))?;
                        }
                        stack.clear();
                    }
                    for comp in components(target).collect::<Vec<_>>().into_iter().rev() {
                        queue.push_front(comp);
                    }
                }
                FileType::Directory => stack.push((fd, name)),
                _ if queue.is_empty() => stack.push((fd, name)),
                // Nothing exists below a non-directory: the rest is missing.
                _ if missing.is_some() => {
                    stack.push((fd, name));
                    if let Some(rest) = missing.as_deref_mut() {
                        rest.extend(queue.drain(..));
                    }
                    break;
                }
                _ => return Err(Errno::NOTDIR.into()),
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

    /// Opens one component of `dir` (see [`open_beneath`]), `openat2` unless forced off.
    fn open_component(&self, dir: BorrowedFd<'_>, name: &OsStr) -> rustix::io::Result<OwnedFd> {
        if self.walk_only {
            return rustix::fs::openat(dir, name, WALK_FLAGS, Mode::empty());
        }
        open_beneath(dir, name)
    }

    /// Opens the resolved path again, this time letting the kernel resolve it with
    /// `RESOLVE_IN_ROOT`, and checks that both lookups found the same object. Without
    /// `openat2` the walk's own `O_NOFOLLOW` steps are the guarantee.
    fn recheck(&self, target: &Target) -> io::Result<()> {
        if !self.uses_openat2() {
            return Ok(());
        }
        let rel = relative(&target.path);
        let fd = match rustix::fs::openat2(
            &self.fd,
            rel,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
            ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS | ResolveFlags::NO_SYMLINKS,
        ) {
            Err(Errno::NOSYS) => {
                NO_OPENAT2.store(true, Ordering::Relaxed);
                return Ok(());
            }
            // A seccomp filter refusing openat2 (an O_PATH open is never EPERM otherwise).
            Err(Errno::PERM) => return Ok(()),
            other => other?,
        };
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

/// The options of one walk.
struct WalkOpts<'m, 'v> {
    /// What to create when a component is missing.
    create: Create,
    /// Follow a symlink in the last component.
    follow_last: bool,
    /// Leaving the root is `EXDEV`.
    beneath: bool,
    /// With `beneath`, absolute symlink targets under the root's host path are inside.
    host_targets: bool,
    /// Where to put what is missing (else a missing component is `ENOENT`).
    missing: Option<&'m mut Vec<OsString>>,
    /// Which entries exist.
    visible: Option<&'m mut Visible<'v>>,
}

/// Flags of every step of the walk: a handle only, never following a symlink.
const WALK_FLAGS: OFlags = OFlags::PATH.union(OFlags::NOFOLLOW).union(OFlags::CLOEXEC);

/// Opens one component `name` of `dir` as an `O_PATH` handle without following it if it
/// is a symlink and without any possibility of leaving `dir`: `openat2` with
/// `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS`, or, where `openat2` is
/// missing, `openat` with `O_NOFOLLOW` (a plain name, so it cannot leave `dir` either).
/// `name` must be a single component, never `..`: the caller walks those.
pub fn open_beneath(dir: BorrowedFd<'_>, name: &OsStr) -> rustix::io::Result<OwnedFd> {
    if name == ".." || name.as_bytes().contains(&b'/') {
        return Err(Errno::INVAL);
    }
    if !NO_OPENAT2.load(Ordering::Relaxed) {
        match rustix::fs::openat2(
            dir,
            name,
            WALK_FLAGS,
            Mode::empty(),
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
        ) {
            Err(Errno::NOSYS) => NO_OPENAT2.store(true, Ordering::Relaxed),
            // A seccomp filter refusing openat2 itself: O_NOFOLLOW is as safe for one name.
            Err(Errno::PERM) => {}
            other => return other,
        }
    }
    rustix::fs::openat(dir, name, WALK_FLAGS, Mode::empty())
}

/// `path` relative to the root: a leading `/` dropped, `.` for the root itself.
fn relative(path: &Path) -> &Path {
    let rel = path.strip_prefix("/").unwrap_or(path);
    if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
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

/// Creates `name` in `dir` as a directory (0755) or an empty file (0644); true when it did.
/// An entry that appeared meanwhile (`EEXIST`) is fine: the walk opens it again.
fn create_entry(dir: BorrowedFd<'_>, name: &OsStr, file: bool) -> io::Result<bool> {
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
        Ok(()) => Ok(true),
        Err(Errno::EXIST) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn setup(walk: bool) -> (tempfile::TempDir, Root) {
        let dir = tempfile::Builder::new()
            .prefix("berth-pathsafe-")
            .tempdir()
            .unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("etc/hosts"), "x").unwrap();
        std::fs::write(dir.path().join("secret"), "host").unwrap();
        symlink("/etc", root.join("proc")).unwrap();
        symlink("../../../../../../tmp", root.join("mnt")).unwrap();
        symlink("../..", root.join("etc/up")).unwrap();
        symlink("loop", root.join("loop")).unwrap();
        symlink("hosts", root.join("etc/hostlink")).unwrap();
        symlink("../secret", root.join("out")).unwrap();
        symlink("/proc/self/root/etc", root.join("magic")).unwrap();
        let r = if walk {
            Root::open_forcing_walk(&root).unwrap()
        } else {
            Root::open(&root).unwrap()
        };
        assert_eq!(
            r.uses_openat2(),
            !walk && !NO_OPENAT2.load(Ordering::Relaxed)
        );
        (dir, r)
    }

    fn both(test: impl Fn(&tempfile::TempDir, &Root)) {
        for walk in [false, true] {
            let (d, r) = setup(walk);
            test(&d, &r);
        }
    }

    #[test]
    fn follows_symlinks_inside_root() {
        both(|_, r| {
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
            assert_eq!(t.relative(), Path::new("etc/hosts"));
            let t = r.resolve(Path::new("/"), Create::No).unwrap();
            assert_eq!(t.path, Path::new("/"));
            let t = r.resolve_nofollow(Path::new("/proc"), Create::No).unwrap();
            assert_eq!(t.path, Path::new("/proc"));
        });
    }

    #[test]
    fn open_in_root_stays_inside() {
        both(|_, r| {
            use std::io::Read;
            let fd = r
                .open_in_root(Path::new("/etc/up/../proc/hostlink"), OFlags::RDONLY)
                .unwrap();
            let mut s = String::new();
            std::fs::File::from(fd).read_to_string(&mut s).unwrap();
            assert_eq!(s, "x");
            // ../secret from the root is /secret inside it: missing.
            let e = r
                .open_in_root(Path::new("out"), OFlags::RDONLY)
                .unwrap_err();
            assert_eq!(e.raw_os_error(), Some(libc_enoent()));
            let e = r
                .open_in_root(Path::new("etc/hostlink"), OFlags::RDONLY | OFlags::NOFOLLOW)
                .unwrap_err();
            assert_eq!(e.raw_os_error(), Some(Errno::LOOP.raw_os_error()));
            // A magic link target is just a path inside the root (missing here).
            assert!(r
                .open_in_root(Path::new("magic/hosts"), OFlags::RDONLY)
                .is_err());
        });
    }

    fn libc_enoent() -> i32 {
        Errno::NOENT.raw_os_error()
    }

    #[test]
    fn creates_inside_root() {
        both(|d, r| {
            let t = r.resolve(Path::new("/mnt/a/b"), Create::Dir).unwrap();
            assert_eq!(t.path, Path::new("/tmp/a/b"));
            assert!(d.path().join("root/tmp/a/b").is_dir());
            let t = r
                .resolve(Path::new("/proc/new/file"), Create::File)
                .unwrap();
            assert_eq!(t.path, Path::new("/etc/new/file"));
            assert!(d.path().join("root/etc/new/file").is_file());
            std::fs::remove_dir_all(d.path().join("root/tmp")).unwrap();
            std::fs::remove_dir_all(d.path().join("root/etc/new")).unwrap();
        });
    }

    #[test]
    fn beneath_refuses_climbing_out() {
        both(|_, r| {
            let t = r.resolve_beneath(Path::new("etc/hostlink")).unwrap();
            assert_eq!(t.path, Path::new("/etc/hosts"));
            for p in ["../etc", "etc/up/x", "proc", "etc/../.."] {
                let e = r.resolve_beneath(Path::new(p)).unwrap_err();
                assert_eq!(e.raw_os_error(), Some(Errno::XDEV.raw_os_error()), "{p}");
            }
        });
    }

    #[test]
    fn partial_appends_what_is_missing() {
        both(|_, r| {
            let p = r.resolve_partial(Path::new("/mnt/a/../b")).unwrap();
            assert_eq!(p, Path::new("/tmp/b"));
            let p = r.resolve_partial(Path::new("/proc/hosts")).unwrap();
            assert_eq!(p, Path::new("/etc/hosts"));
        });
    }

    #[test]
    fn split_reports_the_missing_rest() {
        both(|_, r| {
            let (p, rest) = r.resolve_split(Path::new("/mnt/a/b"), true).unwrap();
            assert_eq!(p, Path::new("/"));
            assert_eq!(rest, ["tmp", "a", "b"]);
            let (p, rest) = r.resolve_split(Path::new("/proc/hosts/x"), true).unwrap();
            assert_eq!(p, Path::new("/etc/hosts"));
            assert_eq!(rest, ["x"]);
            let (p, rest) = r.resolve_split(Path::new("/proc"), false).unwrap();
            assert_eq!(p, Path::new("/proc"));
            assert!(rest.is_empty());
        });
    }

    #[test]
    fn lookup_beneath_with_host_targets_and_hidden_entries() {
        both(|d, r| {
            let host = std::fs::canonicalize(d.path().join("root")).unwrap();
            symlink(host.join("etc"), host.join("abs_in")).unwrap();
            symlink(host.join("etc/../.."), host.join("abs_up")).unwrap();
            let mut how = Lookup {
                follow_last: true,
                beneath: true,
                host_targets: true,
                visible: None,
            };
            let (p, rest) = r.lookup(Path::new("abs_in/hostlink"), &mut how).unwrap();
            assert_eq!(p, Path::new("/etc/hosts"));
            assert!(rest.is_empty());
            for bad in ["abs_up", "proc", "etc/up/x", "out", "../etc"] {
                let e = r.lookup(Path::new(bad), &mut how).unwrap_err();
                assert_eq!(e.raw_os_error(), Some(Errno::XDEV.raw_os_error()), "{bad}");
            }
            let e = r.lookup(Path::new("loop"), &mut how).unwrap_err();
            assert_eq!(e.raw_os_error(), Some(Errno::LOOP.raw_os_error()));
            // Without host targets an absolute link is leaving the root.
            how.host_targets = false;
            let e = r.lookup(Path::new("abs_in"), &mut how).unwrap_err();
            assert_eq!(e.raw_os_error(), Some(Errno::XDEV.raw_os_error()));
            // A hidden entry is missing, whether reached directly or by a symlink.
            let mut seen = Vec::new();
            let mut hide = |p: &Path, _: FileType, last: bool| {
                seen.push((p.to_path_buf(), last));
                Ok(p != Path::new("/etc/hosts"))
            };
            let mut how = Lookup {
                follow_last: true,
                beneath: true,
                host_targets: false,
                visible: Some(&mut hide),
            };
            let (p, rest) = r.lookup(Path::new("etc/hostlink/x"), &mut how).unwrap();
            assert_eq!(p, Path::new("/etc"));
            assert_eq!(rest, ["hosts", "x"]);
            assert_eq!(
                seen,
                [
                    (PathBuf::from("/etc"), false),
                    (PathBuf::from("/etc/hostlink"), false),
                    (PathBuf::from("/etc/hosts"), false),
                ]
            );
            std::fs::remove_file(host.join("abs_in")).unwrap();
            std::fs::remove_file(host.join("abs_up")).unwrap();
        });
    }

    #[test]
    fn errors() {
        both(|_, r| {
            let e = r.resolve(Path::new("/nope"), Create::No).unwrap_err();
            assert_eq!(e.raw_os_error(), Some(Errno::NOENT.raw_os_error()));
            let e = r.resolve(Path::new("/loop/x"), Create::Dir).unwrap_err();
            assert_eq!(e.raw_os_error(), Some(Errno::LOOP.raw_os_error()));
            let e = r
                .resolve(Path::new("/etc/hosts/x"), Create::Dir)
                .unwrap_err();
            assert_eq!(e.raw_os_error(), Some(Errno::NOTDIR.raw_os_error()));
        });
    }
}
