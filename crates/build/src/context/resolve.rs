//! Path resolution confined to a root directory, on the path-safety core's lookup
//! (`berth_pathsafe::Root::lookup`). As if the root were `/` (chroot-like) for an image's
//! or a stage's tree and an image root where COPY/ADD write: symlinks are followed, absolute
//! targets re-rooted, `..` clamped at the root. Strict for the build context: leaving it,
//! by `..` or a symlink, is "outside the build context" (an absolute symlink into the
//! context's own host path is fine), and what `.dockerignore` hides does not exist.

use std::io;
use std::path::{Component, Path};

use berth_dockerfile::dockerignore::DockerIgnore;
use berth_pathsafe::{Lookup, Root};
use rustix::fs::FileType;
use rustix::io::Errno;

use super::error::{io_err, ContextError};
use super::walk::in_context;

/// Cleans a slash-separated path lexically into components (`Go path.Clean` relative to
/// `/`): empty and `.` components vanish, `..` removes the previous one. Returns `None`
/// when a `..` would climb above the root.
pub(crate) fn clean_components(path: &str) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            c => out.push(c.to_string()),
        }
    }
    Some(out)
}

/// The outcome of [`resolve`]: `real` are existing components with every symlink replaced
/// by its target (each one a real directory except possibly the last); `rest` are the
/// components not yet resolved because `rest[0]` does not exist (empty when all exist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub real: Vec<String>,
    pub rest: Vec<String>,
}

impl Resolved {
    /// Whether the whole path exists.
    pub fn exists(&self) -> bool {
        self.rest.is_empty()
    }

    /// The real path relative to the root, slash-separated (`""` for the root).
    pub fn real_rel(&self) -> String {
        self.real.join("/")
    }
}

/// How [`resolve`] treats the root.
#[derive(Clone, Copy)]
pub(crate) struct Confine<'a> {
    /// Error instead of re-rooting when a symlink or `..` leaves the root.
    pub strict: bool,
    /// Paths ignored in this tree do not exist (checked on followed symlinks and the end),
    /// except an ignored directory that holds re-included entries (see `walk::in_context`).
    pub ignore: Option<&'a DockerIgnore>,
    /// What to name in errors (the pattern or path as the user wrote it).
    pub display: &'a str,
}

/// Resolves `path` (slash-separated, relative to `root`; a leading `/` is the root) inside
/// `root`. The final component is followed when it is a symlink only if `follow_final`.
pub(crate) fn resolve(
    root: &Path,
    path: &str,
    follow_final: bool,
    confine: Confine<'_>,
) -> Result<Resolved, ContextError> {
    resolve_at(
        &open_root(root, confine.display)?,
        path,
        follow_final,
        confine,
    )
}

#[cfg(test)]
thread_local! {
    /// Tests: resolve with the `O_NOFOLLOW` walk alone, as on kernels without `openat2`.
    pub(crate) static FORCE_WALK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Opens `root` for lookups (`display`: what to name in an error).
pub(crate) fn open_root(root: &Path, display: &str) -> Result<Root, ContextError> {
    #[cfg(test)]
    if FORCE_WALK.get() {
        return Root::open_forcing_walk(root).map_err(io_err(format!("resolving {display}")));
    }
    Root::open(root).map_err(io_err(format!("resolving {display}")))
}

/// [`resolve`] from an open root: the path-safety core's lookup, from directory fds with
/// `O_NOFOLLOW` steps (`openat2` where it exists). Strict: beneath the root (`EXDEV` is
/// "outside the build context"), an absolute symlink accepted only into the context's own
/// host path; `.dockerignore`: what it hides is missing.
pub(crate) fn resolve_at(
    resolver: &Root,
    path: &str,
    follow_final: bool,
    confine: Confine<'_>,
) -> Result<Resolved, ContextError> {
    let root = resolver.path();
    let mut failed: Option<ContextError> = None;
    let mut hide = |inner: &Path, kind: FileType, last: bool| -> io::Result<bool> {
        // Only the end and the symlinks followed on the way: an ignored directory on the
        // way may hold re-included entries, and the end's own check covers the rest.
        if !last && kind != FileType::Symlink {
            return Ok(true);
        }
        let rel = inner.strip_prefix("/").unwrap_or(inner).to_string_lossy();
        let is_dir = kind == FileType::Directory;
        in_context(root, confine.ignore, &rel, is_dir).map_err(|e| {
            failed = Some(e);
            io::Error::other("checking .dockerignore")
        })
    };
    let mut how = Lookup {
        follow_last: follow_final,
        beneath: confine.strict,
        host_targets: confine.strict,
        visible: match confine.ignore {
            Some(_) => Some(&mut hide),
            None => None,
        },
    };
    let found = resolver.lookup(Path::new(path), &mut how);
    if let Some(e) = failed {
        return Err(e);
    }
    match found {
        Ok((real, rest)) => Ok(Resolved {
            real: real
                .components()
                .filter_map(|c| match c {
                    Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect(),
            rest: rest
                .iter()
                .map(|c| c.to_string_lossy().into_owned())
                .collect(),
        }),
        Err(e) if e.raw_os_error() == Some(Errno::XDEV.raw_os_error()) => {
            Err(ContextError::OutsideContext(confine.display.to_string()))
        }
        Err(e) if e.raw_os_error() == Some(Errno::LOOP.raw_os_error()) => {
            Err(ContextError::SymlinkLoop(confine.display.to_string()))
        }
        Err(e) => Err(io_err(format!("resolving {}", confine.display))(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn lax(d: &str) -> Confine<'_> {
        Confine {
            strict: false,
            ignore: None,
            display: d,
        }
    }

    fn strict(d: &str) -> Confine<'_> {
        Confine {
            strict: true,
            ignore: None,
            display: d,
        }
    }

    #[test]
    fn clean() {
        assert_eq!(clean_components("./a//b/../c/").unwrap(), vec!["a", "c"]);
        assert_eq!(clean_components("/").unwrap(), Vec::<String>::new());
        assert!(clean_components("a/../../x").is_none());
    }

    #[test]
    fn reroots_absolute_and_dotdot() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("opt/bin")).unwrap();
        std::fs::create_dir_all(t.path().join("usr")).unwrap();
        symlink("/opt", t.path().join("usr/local")).unwrap();
        symlink("../../../../opt", t.path().join("usr/up")).unwrap();
        let r = resolve(t.path(), "/usr/local/bin/x", true, lax("x")).unwrap();
        assert_eq!(r.real, vec!["opt", "bin"]);
        assert_eq!(r.rest, vec!["x"]);
        let r = resolve(t.path(), "usr/up/bin", true, lax("x")).unwrap();
        assert_eq!(r.real_rel(), "opt/bin");
        assert!(r.exists());
        // Strict mode refuses both.
        assert!(matches!(
            resolve(t.path(), "usr/up/bin", true, strict("usr/up/bin")),
            Err(ContextError::OutsideContext(_))
        ));
        assert!(matches!(
            resolve(t.path(), "usr/local/bin", true, strict("p")),
            Err(ContextError::OutsideContext(_))
        ));
        // Final symlink not followed on request.
        let r = resolve(t.path(), "usr/local", false, lax("x")).unwrap();
        assert_eq!(r.real_rel(), "usr/local");
    }

    #[test]
    fn strict_accepts_absolute_link_into_root() {
        let t = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(t.path()).unwrap();
        std::fs::create_dir(root.join("d")).unwrap();
        symlink(root.join("d"), root.join("l")).unwrap();
        let r = resolve(&root, "l", true, strict("l")).unwrap();
        assert_eq!(r.real_rel(), "d");
    }

    #[test]
    fn loops_are_errors() {
        let t = tempfile::tempdir().unwrap();
        symlink("b", t.path().join("a")).unwrap();
        symlink("a", t.path().join("b")).unwrap();
        assert!(matches!(
            resolve(t.path(), "a", true, lax("a")),
            Err(ContextError::SymlinkLoop(_))
        ));
    }
}
