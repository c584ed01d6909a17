//! The build context and other source trees, and Docker's COPY/ADD file semantics.
//!
//! - [`open_context`] checks the context directory; [`StdinContext`] reads `build -`'s
//!   standard input (a context tarball, extracted as a plain tar, or a Dockerfile);
//!   [`SourceTree`] pairs a root with its `.dockerignore` (the context) or none (another
//!   stage's or image's root filesystem).
//! - [`resolve_sources`] expands COPY/ADD source patterns (Go `filepath.Match` per component).
//! - [`content_hash`] digests everything a copy would read, for cache keys; a
//!   [`HashCache`] keeps the context's file digests between builds, keyed by metadata.
//! - [`copy`] performs the copy into a mounted image root, confined to it like a chroot;
//!   ADD's archive extraction lives in `extract`.
//! - [`parse_chown`] / [`parse_chmod`] read `--chown` and `--chmod`.
//!
//! Paths inside trees are resolved on the path-safety core (`berth_pathsafe::Root::lookup`)
//! as if the root were `/`: symlinks are followed but re-rooted, and for the build context
//! leaving the root is an error and what `.dockerignore` hides does not exist.

mod chown;
mod copy;
mod error;
mod extract;
mod glob;
mod hash;
mod hash_cache;
mod resolve;
mod stdin;
#[cfg(test)]
mod strict_tests;
mod walk;
mod write;

use std::path::{Path, PathBuf};

use berth_dockerfile::dockerignore::DockerIgnore;

pub use chown::{parse_chmod, parse_chown};
pub use copy::{copy, CopyOptions};
pub use error::ContextError;
pub use glob::{has_meta, match_component, resolve_sources};
pub use hash::{
    content_hash, content_hash_cached, content_hashes, content_hashes_by_source, entries_hash,
};
pub use hash_cache::{HashCache, Saved, Stamp};
pub use stdin::StdinContext;

use berth_pathsafe::Root;
use error::io_err;
use resolve::{resolve, resolve_at, Confine};

/// A directory files are copied from: the build context (with its .dockerignore) or another
/// stage's/image's root filesystem (no ignore).
#[derive(Debug, Clone, Copy)]
pub struct SourceTree<'a> {
    /// The tree's root directory on the host.
    pub root: &'a Path,
    /// The context's ignore rules, if it has any.
    pub ignore: Option<&'a DockerIgnore>,
    /// Whether this is the build context: there a path or symlink leading outside the root
    /// is an error; in an image's tree it is re-rooted, as in a chroot.
    pub context: bool,
}

/// One matched source: its path relative to the tree root ("" never; "." means the whole
/// root), and whether it is a dir.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    /// Slash-separated path relative to the root, as written (symlinks not resolved).
    pub rel: String,
    /// Whether it is (or its symlink leads to) a directory.
    pub is_dir: bool,
    /// Its real path relative to the root (symlinks resolved), as [`resolve_sources`] found
    /// it: hashing and copying many matches then need no second lookup each. `None`: looked
    /// up when used.
    pub(crate) real: Option<String>,
}

impl<'a> SourceTree<'a> {
    /// The resolution rules for this tree, naming `display` in errors.
    fn confine<'b>(&self, display: &'b str) -> Confine<'b>
    where
        'a: 'b,
    {
        Confine {
            strict: self.context,
            ignore: self.ignore,
            display,
        }
    }

    /// `rel` as a source if it exists (following symlinks within the tree); `resolver` is
    /// the tree's root, opened.
    fn stat(
        &self,
        resolver: &Root,
        rel: &str,
        confine: Confine<'_>,
    ) -> Result<Option<Source>, ContextError> {
        let r = resolve_at(resolver, rel, true, confine)?;
        if !r.exists() {
            return Ok(None);
        }
        let real = r.real_rel();
        let p = self.root.join(&real);
        let md = std::fs::symlink_metadata(&p).map_err(io_err(format!("reading {rel}")))?;
        Ok(Some(Source {
            rel: rel.to_string(),
            is_dir: md.is_dir(),
            real: Some(real),
        }))
    }

    /// The real path of a source relative to the root (`""` for the root itself).
    fn real_rel(&self, source: &Source) -> Result<String, ContextError> {
        if source.rel == "." || source.rel.is_empty() {
            return Ok(String::new());
        }
        if let Some(real) = &source.real {
            return Ok(real.clone());
        }
        let r = resolve(self.root, &source.rel, true, self.confine(&source.rel))?;
        if !r.exists() {
            return Err(ContextError::NotFound(source.rel.clone()));
        }
        Ok(r.real_rel())
    }
}

/// The host path of a source with its symlinks resolved within the tree (for a read-only
/// bind of a source: never join `rel` to the root directly, which would follow host
/// symlinks).
pub fn source_path(tree: &SourceTree, source: &Source) -> Result<PathBuf, ContextError> {
    Ok(tree.root.join(tree.real_rel(source)?))
}

/// Whether the context's `.dockerignore` hides anything at or below a source (a file or a
/// whole directory), so that the host path from [`source_path`] shows more than the
/// context holds: a read-only bind of it must be a filtered copy instead.
pub fn hides_ignored(tree: &SourceTree, source: &Source) -> Result<bool, ContextError> {
    if tree.ignore.is_none() {
        return Ok(false);
    }
    walk::hides_any(tree, &tree.real_rel(source)?)
}

/// Creates the directory `dir` (an absolute path in the image, e.g. a WORKDIR) under the
/// root filesystem `root` with its missing parents (mode 0755, owner 0:0 when running as
/// root), resolving symlinks of the image confined to `root`.
pub fn mkdir_in_root(root: &Path, dir: &str) -> Result<(), ContextError> {
    let display = format!("/{}", dir.trim_start_matches('/'));
    write::ensure_dir(root, dir, write::default_owner(None), &display).map(|_| ())
}

/// Opens the build context directory: canonicalises it, and checks it is a directory.
pub fn open_context(dir: &Path) -> Result<PathBuf, ContextError> {
    let canon = std::fs::canonicalize(dir).map_err(io_err(format!(
        "unable to prepare context: path {:?} not found",
        dir.display().to_string()
    )))?;
    if !canon.is_dir() {
        return Err(ContextError::NotADirectory(dir.to_path_buf()));
    }
    Ok(canon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_context_checks_dir() {
        let t = tempfile::tempdir().unwrap();
        let p = open_context(t.path()).unwrap();
        assert!(p.is_absolute());
        std::fs::write(t.path().join("f"), "").unwrap();
        assert!(matches!(
            open_context(&t.path().join("f")),
            Err(ContextError::NotADirectory(_))
        ));
        assert!(open_context(&t.path().join("nope")).is_err());
    }

    #[test]
    fn source_path_resolves_within_the_tree() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir(t.path().join("real")).unwrap();
        std::os::unix::fs::symlink("/real", t.path().join("l")).unwrap();
        let tree = SourceTree {
            root: t.path(),
            ignore: None,
            context: false,
        };
        let s = resolve_sources(&tree, &["l".to_string()]).unwrap();
        assert_eq!(source_path(&tree, &s[0]).unwrap(), t.path().join("real"));
        let dot = Source {
            rel: ".".into(),
            is_dir: true,
            real: None,
        };
        assert_eq!(source_path(&tree, &dot).unwrap(), t.path().join(""));
    }

    #[test]
    fn mkdir_in_root_is_confined() {
        let t = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), t.path().join("w")).unwrap();
        mkdir_in_root(t.path(), "/w/app/sub").unwrap();
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
        let inner = outside.path().strip_prefix("/").unwrap();
        assert!(t.path().join(inner).join("app/sub").is_dir());
        mkdir_in_root(t.path(), "/w/app/sub").unwrap();
    }

    #[test]
    fn hides_ignored_looks_below_the_source() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path();
        std::fs::create_dir_all(p.join("junk/sub")).unwrap();
        std::fs::create_dir_all(p.join("clean")).unwrap();
        std::fs::write(p.join("junk/keep.txt"), "k").unwrap();
        std::fs::write(p.join("junk/drop.txt"), "d").unwrap();
        std::fs::write(p.join("clean/a"), "a").unwrap();
        let ig = DockerIgnore::parse("junk\n!junk/keep.txt\n").unwrap();
        let tree = SourceTree {
            root: p,
            ignore: Some(&ig),
            context: true,
        };
        let hides = |pattern: &str| {
            let s = resolve_sources(&tree, &[pattern.to_string()]).unwrap();
            hides_ignored(&tree, &s[0]).unwrap()
        };
        assert!(hides("."));
        assert!(hides("junk"));
        assert!(!hides("clean"));
        assert!(!hides("junk/keep.txt"));
        let none = SourceTree {
            ignore: None,
            ..tree
        };
        let s = resolve_sources(&none, &["junk".to_string()]).unwrap();
        assert!(!hides_ignored(&none, &s[0]).unwrap());
    }
}
