//! Path resolution confined to a root directory, as if the root were `/` (chroot-like):
//! symlinks are followed but absolute targets are re-rooted and `..` cannot climb above the
//! root. That case (an image root, where COPY/ADD write) is the path-safety core's resolver
//! (`berth_pathsafe::Root`). In strict mode (the build context), leaving the root is an
//! error instead, and `.dockerignore` hides paths: both are handled here, on the user's
//! own context directory.

use std::collections::VecDeque;
use std::io;
use std::path::{Component, Path};

use berth_dockerfile::dockerignore::DockerIgnore;
use berth_pathsafe::Root;

use super::error::{io_err, ContextError};
use super::walk::in_context;

/// Symlinks followed before giving up, as Linux's `MAXSYMLINKS`.
const MAX_LINKS: usize = 40;

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
    if !confine.strict && confine.ignore.is_none() {
        return resolve_in_root(root, path, follow_final, confine.display);
    }
    let outside = || ContextError::OutsideContext(confine.display.to_string());
    let mut todo: VecDeque<String> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .map(str::to_string)
        .collect();
    let mut real: Vec<String> = Vec::new();
    let mut links = 0;
    let mut canonical_root = None;
    while let Some(c) = todo.pop_front() {
        if c == ".." {
            if real.pop().is_none() && confine.strict {
                return Err(outside());
            }
            continue;
        }
        real.push(c);
        let full = root.join(real.join("/"));
        let md = match std::fs::symlink_metadata(&full) {
            Ok(md) => md,
            Err(e) if is_missing(&e) => {
                let c = real.pop().unwrap_or_default();
                todo.push_front(c);
                return Ok(Resolved {
                    real,
                    rest: todo.into(),
                });
            }
            Err(e) => return Err(io_err(format!("resolving {}", confine.display))(e)),
        };
        let last = todo.is_empty();
        let ignored = (last || md.file_type().is_symlink())
            && !in_context(root, confine.ignore, &real.join("/"), &md)?;
        if ignored {
            let c = real.pop().unwrap_or_default();
            todo.push_front(c);
            return Ok(Resolved {
                real,
                rest: todo.into(),
            });
        }
        if !md.file_type().is_symlink() || (last && !follow_final) {
            if !last && !md.is_dir() {
                // A file used as a directory: nothing below it exists.
                return Ok(Resolved {
                    real,
                    rest: todo.into(),
                });
            }
            continue;
        }
        links += 1;
        if links > MAX_LINKS {
            return Err(ContextError::SymlinkLoop(confine.display.to_string()));
        }
        let target = std::fs::read_link(&full)
            .map_err(io_err(format!("reading symlink {}", full.display())))?;
        real.pop();
        let target = target.to_string_lossy().into_owned();
        if let Some(abs) = target.strip_prefix('/') {
            if confine.strict {
                // A host-absolute target is fine only if it points into the context.
                let croot = match &canonical_root {
                    Some(r) => r,
                    None => canonical_root.insert(
                        std::fs::canonicalize(root)
                            .map_err(io_err(format!("resolving {}", root.display())))?,
                    ),
                };
                let inner = Path::new(&target)
                    .strip_prefix(croot.as_path())
                    .map_err(|_| outside())?;
                let inner = inner.to_string_lossy().into_owned();
                real.clear();
                prepend(&mut todo, &inner);
            } else {
                real.clear();
                prepend(&mut todo, abs);
            }
        } else {
            prepend(&mut todo, &target);
        }
    }
    Ok(Resolved {
        real,
        rest: Vec::new(),
    })
}

/// The re-rooting case (an image root, no `.dockerignore`): the path-safety core's
/// resolver, from directory fds with `O_NOFOLLOW` steps (`openat2` where it exists).
fn resolve_in_root(
    root: &Path,
    path: &str,
    follow_final: bool,
    display: &str,
) -> Result<Resolved, ContextError> {
    let ctx = || format!("resolving {display}");
    let resolver = Root::open(root).map_err(io_err(ctx()))?;
    match resolver.resolve_split(Path::new(path), follow_final) {
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
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            Err(ContextError::SymlinkLoop(display.to_string()))
        }
        Err(e) => Err(io_err(ctx())(e)),
    }
}

fn prepend(todo: &mut VecDeque<String>, path: &str) {
    for c in path.split('/').filter(|c| !c.is_empty() && *c != ".").rev() {
        todo.push_front(c.to_string());
    }
}

fn is_missing(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
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
