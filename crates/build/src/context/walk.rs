//! Listing what a source contributes: the entries below a source, in sorted order, with the
//! context's ignore rules and `--exclude` patterns applied.

use std::fs::Metadata;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use berth_dockerfile::dockerignore::DockerIgnore;

use super::error::{io_err, ContextError};
use super::SourceTree;

/// What an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
    Symlink(PathBuf),
}

/// One entry of a source.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Path relative to the source (`""` for the source itself).
    pub sub: String,
    /// Path on the host.
    pub path: PathBuf,
    pub md: Metadata,
    pub kind: Kind,
}

/// Builds the `--exclude` matcher.
pub(crate) fn excludes_matcher(excludes: &[String]) -> Result<Option<DockerIgnore>, ContextError> {
    if excludes.is_empty() {
        return Ok(None);
    }
    DockerIgnore::from_patterns(excludes)
        .map(Some)
        .map_err(|e| ContextError::BadExclude(e.to_string()))
}

/// Lists a source whose real path relative to the tree root is `real_rel`: the source itself
/// (sub `""`) then, for a directory, everything below it in pre-order, sorted by name.
/// Fifos and sockets are skipped; device files are errors.
pub(crate) fn walk(
    tree: &SourceTree,
    real_rel: &str,
    excludes: Option<&DockerIgnore>,
) -> Result<Vec<Entry>, ContextError> {
    let path = tree.root.join(real_rel);
    let md = std::fs::metadata(&path).map_err(io_err(format!("reading {real_rel}")))?;
    let mut out = Vec::new();
    let Some(kind) = kind_of(&md, &path, real_rel)? else {
        return Ok(out);
    };
    let is_dir = kind == Kind::Dir;
    out.push(Entry {
        sub: String::new(),
        path,
        md,
        kind,
    });
    if is_dir {
        walk_dir(tree, real_rel, "", excludes, &mut out)?;
    }
    Ok(out)
}

/// Whether the entry `real_rel` of the context (`is_dir`: it is a directory itself, not a
/// symlink to one) is part of the context under `ignore`: it is not ignored, or it is an ignored
/// directory that an exception may re-include something below
/// ([`DockerIgnore::may_reinclude_below`]) and that does hold such an entry. Such a
/// directory is there as the parent of what is re-included and holds only that (moby's
/// archiver and BuildKit's fsutil walker both send it that way), so `COPY junk/ /junk/`
/// finds `junk` for `junk` + `!junk/keep.txt` and copies `keep.txt` alone.
pub(crate) fn in_context(
    root: &Path,
    ignore: Option<&DockerIgnore>,
    real_rel: &str,
    is_dir: bool,
) -> Result<bool, ContextError> {
    let Some(ig) = ignore else {
        return Ok(true);
    };
    if !ig.matches(real_rel) {
        return Ok(true);
    }
    if !is_dir || !ig.may_reinclude_below(real_rel) {
        return Ok(false);
    }
    let dir = root.join(real_rel);
    let names =
        std::fs::read_dir(&dir).map_err(io_err(format!("reading directory {}", dir.display())))?;
    for name in names {
        let name = name.map_err(io_err(format!("reading directory {}", dir.display())))?;
        let child = join(real_rel, &name.file_name().to_string_lossy());
        let md = std::fs::symlink_metadata(root.join(&child))
            .map_err(io_err(format!("reading {child}")))?;
        let ft = md.file_type();
        // What `walk` skips (fifos, sockets) does not make a parent appear.
        if ft.is_fifo() || ft.is_socket() {
            continue;
        }
        if in_context(root, ignore, &child, md.is_dir())? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether the context's ignore rules hide anything at or below `real_rel`: then the host
/// directory is not what the context holds there (a bind mount of it would show ignored
/// files). Conservative: an ignored directory counts even if all it holds is re-included.
pub(crate) fn hides_any(tree: &SourceTree, real_rel: &str) -> Result<bool, ContextError> {
    let Some(ig) = tree.ignore else {
        return Ok(false);
    };
    if ig.matches(real_rel) {
        return Ok(true);
    }
    let dir = tree.root.join(real_rel);
    let md = std::fs::symlink_metadata(&dir).map_err(io_err(format!("reading {real_rel}")))?;
    if !md.is_dir() {
        return Ok(false);
    }
    let names =
        std::fs::read_dir(&dir).map_err(io_err(format!("reading directory {}", dir.display())))?;
    for name in names {
        let name = name.map_err(io_err(format!("reading directory {}", dir.display())))?;
        if hides_any(tree, &join(real_rel, &name.file_name().to_string_lossy()))? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}/{b}")
    }
}

fn kind_of(md: &Metadata, path: &std::path::Path, rel: &str) -> Result<Option<Kind>, ContextError> {
    let ft = md.file_type();
    Ok(Some(if ft.is_dir() {
        Kind::Dir
    } else if ft.is_file() {
        Kind::File
    } else if ft.is_symlink() {
        Kind::Symlink(std::fs::read_link(path).map_err(io_err(format!("reading symlink {rel}")))?)
    } else if ft.is_block_device() || ft.is_char_device() {
        return Err(ContextError::DeviceFile(rel.to_string()));
    } else {
        return Ok(None);
    }))
}

/// How many threads list directories: the main one and one more (2 cores here; a no-op
/// rebuild of a 20,000-file context is mostly `getdents` and `statx`).
const LISTERS: usize = 2;

/// One entry of a directory as [`list_dir`] lists it.
struct Listed {
    entry: Entry,
    /// A directory to walk into.
    descend: bool,
    /// An ignored or excluded directory walked for what an exception re-includes: it
    /// appears only if something below it does.
    hidden: bool,
}

/// Appends everything below directory `sub` of source `base` to `out` in pre-order, sorted
/// by name. The directories are listed on [`LISTERS`] threads, then put in order here; the
/// first error in that order is the one returned, as a one-thread walk would.
fn walk_dir(
    tree: &SourceTree,
    base: &str,
    sub: &str,
    excludes: Option<&DockerIgnore>,
    out: &mut Vec<Entry>,
) -> Result<(), ContextError> {
    let mut listings = list_all(tree, base, sub, excludes);
    assemble(&mut listings, sub, out)
}

/// Every directory's listing below `sub` (itself included), keyed by sub path.
fn list_all(
    tree: &SourceTree,
    base: &str,
    sub: &str,
    excludes: Option<&DockerIgnore>,
) -> std::collections::HashMap<String, Result<Vec<Listed>, ContextError>> {
    use std::sync::{Condvar, Mutex};
    struct Work {
        todo: Vec<String>,
        busy: usize,
        done: std::collections::HashMap<String, Result<Vec<Listed>, ContextError>>,
    }
    let work = Mutex::new(Work {
        todo: vec![sub.to_string()],
        busy: 0,
        done: Default::default(),
    });
    let more = Condvar::new();
    let lister = || loop {
        let mut w = work.lock().unwrap_or_else(|e| e.into_inner());
        while w.todo.is_empty() && w.busy > 0 {
            w = more.wait(w).unwrap_or_else(|e| e.into_inner());
        }
        let Some(dir) = w.todo.pop() else {
            more.notify_all();
            return;
        };
        w.busy += 1;
        drop(w);
        let listed = list_dir(tree, base, &dir, excludes);
        let mut w = work.lock().unwrap_or_else(|e| e.into_inner());
        w.busy -= 1;
        if let Ok(children) = &listed {
            for c in children.iter().filter(|c| c.descend) {
                w.todo.push(c.entry.sub.clone());
            }
        }
        w.done.insert(dir, listed);
        more.notify_all();
    };
    std::thread::scope(|scope| {
        for _ in 1..LISTERS {
            scope.spawn(lister);
        }
        lister();
    });
    work.into_inner().unwrap_or_else(|e| e.into_inner()).done
}

/// Puts the listings of `sub` and below into `out` in pre-order.
fn assemble(
    listings: &mut std::collections::HashMap<String, Result<Vec<Listed>, ContextError>>,
    sub: &str,
    out: &mut Vec<Entry>,
) -> Result<(), ContextError> {
    let children = listings.remove(sub).unwrap_or_else(|| Ok(Vec::new()))?;
    for c in children {
        if !c.descend {
            out.push(c.entry);
            continue;
        }
        let at = out.len();
        let child_sub = c.entry.sub.clone();
        out.push(c.entry);
        assemble(listings, &child_sub, out)?;
        // An excluded directory only appears to hold re-included entries.
        if c.hidden && out.len() == at + 1 {
            out.pop();
        }
    }
    Ok(())
}

/// The entries of directory `sub` of source `base`, sorted by name, with the ignore rules and
/// excludes applied (a skippable ignored directory is left out; other ignored ones are
/// walked, hidden).
fn list_dir(
    tree: &SourceTree,
    base: &str,
    sub: &str,
    excludes: Option<&DockerIgnore>,
) -> Result<Vec<Listed>, ContextError> {
    let dir = tree.root.join(join(base, sub));
    let read_err = |e| io_err(format!("reading directory {}", dir.display()))(e);
    // Each entry is stat'ed relative to the open directory (`DirEntry::metadata`: one
    // `statx(dirfd, name, AT_SYMLINK_NOFOLLOW)`), not by its full path from the root.
    let mut names: Vec<(String, std::fs::DirEntry)> = std::fs::read_dir(&dir)
        .map_err(read_err)?
        .map(|e| e.map(|e| (e.file_name().to_string_lossy().into_owned(), e)))
        .collect::<Result<_, _>>()
        .map_err(read_err)?;
    names.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::with_capacity(names.len());
    for (name, dirent) in names {
        let child_sub = join(sub, &name);
        let child_real = join(base, &child_sub);
        let path = dir.join(&name);
        let md = dirent
            .metadata()
            .map_err(|e| io_err(format!("reading {child_real}"))(e))?;
        let ignored = tree.ignore.is_some_and(|ig| ig.matches(&child_real));
        let excluded = excludes.is_some_and(|ex| ex.matches(&child_sub));
        if md.is_dir() {
            if (ignored && tree.ignore.is_some_and(|ig| ig.can_skip_dir(&child_real)))
                || (excluded && excludes.is_some_and(|ex| ex.can_skip_dir(&child_sub)))
            {
                continue;
            }
            out.push(Listed {
                entry: Entry {
                    sub: child_sub,
                    path,
                    md,
                    kind: Kind::Dir,
                },
                descend: true,
                hidden: ignored || excluded,
            });
            continue;
        }
        if ignored || excluded {
            continue;
        }
        if let Some(kind) = kind_of(&md, &path, &child_real)? {
            out.push(Listed {
                entry: Entry {
                    sub: child_sub,
                    path,
                    md,
                    kind,
                },
                descend: false,
                hidden: false,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn walks_sorted_with_ignore_and_excludes() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path();
        fs::create_dir_all(p.join("d/keep")).unwrap();
        fs::create_dir_all(p.join("d/skip")).unwrap();
        fs::write(p.join("d/b"), "").unwrap();
        fs::write(p.join("d/a.log"), "").unwrap();
        fs::write(p.join("d/skip/x"), "").unwrap();
        fs::write(p.join("d/keep/y"), "").unwrap();
        std::os::unix::fs::symlink("b", p.join("d/l")).unwrap();
        let ig = DockerIgnore::parse("d/skip\n").unwrap();
        let tree = SourceTree {
            root: p,
            ignore: Some(&ig),
            context: true,
        };
        let ex = excludes_matcher(&["*.log".to_string()]).unwrap();
        let got: Vec<_> = walk(&tree, "d", ex.as_ref())
            .unwrap()
            .into_iter()
            .map(|e| (e.sub, e.kind))
            .collect();
        assert_eq!(
            got,
            vec![
                (String::new(), Kind::Dir),
                ("b".into(), Kind::File),
                ("keep".into(), Kind::Dir),
                ("keep/y".into(), Kind::File),
                ("l".into(), Kind::Symlink("b".into())),
            ]
        );
    }

    #[test]
    fn device_files_are_refused() {
        let tree = SourceTree {
            root: std::path::Path::new("/dev"),
            ignore: None,
            context: false,
        };
        assert!(matches!(
            walk(&tree, "null", None),
            Err(ContextError::DeviceFile(_))
        ));
    }
}
