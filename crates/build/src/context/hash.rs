//! Content digests of sources for cache keys.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;

use sha2::{Digest, Sha256};

use super::error::{io_err, ContextError};
use super::hash_cache::{HashCache, Stamp};
use super::walk::{excludes_matcher, walk, Entry, Kind};
use super::{Source, SourceTree};

/// A sha256 hex digest of everything `copy` would read for these sources: for each
/// file/dir/symlink under each source (excluding ignored paths), its path relative to the
/// source, type, mode bits, symlink target, and full content (never mtimes, never uid/gid
/// of the context). Stable across directories and days.
pub fn content_hash(
    tree: &SourceTree,
    sources: &[Source],
    excludes: &[String],
) -> Result<String, ContextError> {
    content_hash_cached(tree, sources, excludes, None)
}

/// [`content_hash`], reading only the files whose metadata `cache` does not know.
pub fn content_hash_cached(
    tree: &SourceTree,
    sources: &[Source],
    excludes: &[String],
    cache: Option<&HashCache>,
) -> Result<String, ContextError> {
    let groups = content_hashes_by_source(tree, sources, excludes, cache)?;
    Ok(entries_hash(groups.iter().flatten()))
}

/// The digest [`content_hash`] gives for these entries (as [`content_hashes`] lists them).
pub fn entries_hash<'a>(entries: impl IntoIterator<Item = &'a (String, String)>) -> String {
    let mut h = Sha256::new();
    for (path, digest) in entries {
        field(&mut h, b"entry", path.as_bytes());
        field(&mut h, b"digest", digest.as_bytes());
    }
    format!("sha256:{:x}", h.finalize())
}

/// The digest of each entry `copy` would read, as (path in the tree, digest of its type,
/// mode, symlink target and content), in copy order: what [`content_hash`] hashes, kept
/// apart so a cache miss can name the files that changed.
pub fn content_hashes(
    tree: &SourceTree,
    sources: &[Source],
    excludes: &[String],
) -> Result<Vec<(String, String)>, ContextError> {
    let groups = content_hashes_by_source(tree, sources, excludes, None)?;
    Ok(groups.into_iter().flatten().collect())
}

/// [`content_hashes`] grouped by source, reading only the files whose metadata `cache`
/// does not know (used for the build context only: another tree's files are read). What
/// was read again is recorded in `cache` for the next build.
pub fn content_hashes_by_source(
    tree: &SourceTree,
    sources: &[Source],
    excludes: &[String],
    cache: Option<&HashCache>,
) -> Result<Vec<Vec<(String, String)>>, ContextError> {
    let cache = cache.filter(|_| tree.context);
    let ex = excludes_matcher(excludes)?;
    let mut out = Vec::with_capacity(sources.len());
    let mut fresh = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    for source in sources {
        let real = tree.real_rel(source)?;
        let entries = walk(tree, &real, ex.as_ref())?;
        let mut group = Vec::with_capacity(entries.len());
        for entry in entries {
            let cached = match (&entry.kind, cache) {
                (Kind::File, Some(c)) => {
                    let key = format!("{real}\0{}", entry.sub);
                    let stamp = Stamp::of(&entry.md);
                    let hit = c.get(&key, &stamp);
                    Some((key, stamp, hit))
                }
                _ => None,
            };
            let digest = match cached {
                Some((_, _, Some(hit))) => hit,
                Some((key, stamp, None)) => {
                    let d = entry_digest(&entry, &mut buf)?;
                    fresh.push((key, stamp, d.clone()));
                    d
                }
                None => entry_digest(&entry, &mut buf)?,
            };
            let path = match (source.rel.as_str(), entry.sub.as_str()) {
                ("" | ".", "") => ".".to_string(),
                ("" | ".", sub) => sub.to_string(),
                (rel, "") => rel.to_string(),
                (rel, sub) => format!("{rel}/{sub}"),
            };
            group.push((path, digest));
        }
        out.push(group);
    }
    if let Some(c) = cache {
        c.record(fresh.iter().map(|(k, s, d)| (k.clone(), *s, d.as_str())));
    }
    Ok(out)
}

/// The digest of one entry: its path below its source, mode, type, and symlink target or
/// content (read through `buf`).
fn entry_digest(entry: &Entry, buf: &mut [u8]) -> Result<String, ContextError> {
    let mut h = Sha256::new();
    field(&mut h, b"path", entry.sub.as_bytes());
    let mode = entry.md.permissions().mode() & 0o7777;
    field(&mut h, b"mode", &mode.to_be_bytes());
    match &entry.kind {
        Kind::Dir => field(&mut h, b"dir", b""),
        Kind::Symlink(target) => field(&mut h, b"symlink", target.as_os_str().as_encoded_bytes()),
        Kind::File => {
            field(&mut h, b"file", &entry.md.len().to_be_bytes());
            let mut f = std::fs::File::open(&entry.path)
                .map_err(io_err(format!("reading {}", entry.path.display())))?;
            loop {
                let n = f
                    .read(buf)
                    .map_err(io_err(format!("reading {}", entry.path.display())))?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
        }
    }
    Ok(format!("{:x}", h.finalize()))
}

/// Adds a tagged, length-prefixed field so that no two entry lists hash alike.
fn field(h: &mut Sha256, tag: &[u8], value: &[u8]) {
    h.update(tag);
    h.update((value.len() as u64).to_be_bytes());
    h.update(value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::resolve_sources;
    use std::fs;
    use std::path::Path;

    fn make(p: &Path) {
        fs::create_dir_all(p.join("src/sub")).unwrap();
        fs::write(p.join("src/a"), "hello").unwrap();
        fs::write(p.join("src/sub/b"), "world").unwrap();
        std::os::unix::fs::symlink("../a", p.join("src/sub/l")).unwrap();
    }

    fn hash(p: &Path) -> String {
        let tree = SourceTree {
            root: p,
            ignore: None,
            context: false,
        };
        let s = resolve_sources(&tree, &["src".to_string()]).unwrap();
        content_hash(&tree, &s, &[]).unwrap()
    }

    #[test]
    fn stable_across_dirs_and_mtimes_changes_with_content() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        make(a.path());
        std::thread::sleep(std::time::Duration::from_millis(20));
        make(b.path());
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1000);
        fs::File::options()
            .write(true)
            .open(b.path().join("src/a"))
            .unwrap()
            .set_modified(old)
            .unwrap();
        let ha = hash(a.path());
        assert!(ha.starts_with("sha256:"));
        assert_eq!(ha, hash(b.path()));
        fs::write(b.path().join("src/sub/b"), "worle").unwrap();
        assert_ne!(ha, hash(b.path()));
        fs::write(b.path().join("src/sub/b"), "world").unwrap();
        assert_eq!(ha, hash(b.path()));
        fs::set_permissions(b.path().join("src/a"), fs::Permissions::from_mode(0o600)).unwrap();
        assert_ne!(ha, hash(b.path()));
    }

    #[test]
    fn excludes_change_the_hash() {
        let a = tempfile::tempdir().unwrap();
        make(a.path());
        let tree = SourceTree {
            root: a.path(),
            ignore: None,
            context: false,
        };
        let s = resolve_sources(&tree, &["src".to_string()]).unwrap();
        let all = content_hash(&tree, &s, &[]).unwrap();
        let ex = content_hash(&tree, &s, &["sub".to_string()]).unwrap();
        assert_ne!(all, ex);
        fs::write(a.path().join("src/sub/b"), "changed").unwrap();
        assert_eq!(ex, content_hash(&tree, &s, &["sub".to_string()]).unwrap());
    }

    #[test]
    fn reincluded_entries_below_an_excluded_dir_are_hashed_alone() {
        use berth_dockerfile::dockerignore::DockerIgnore;
        let c = tempfile::tempdir().unwrap();
        let p = c.path();
        fs::create_dir_all(p.join("junk/sub")).unwrap();
        fs::write(p.join("junk/keep.txt"), "keep").unwrap();
        fs::write(p.join("junk/drop.txt"), "drop").unwrap();
        fs::write(p.join("junk/sub/x.txt"), "x").unwrap();
        let ig = DockerIgnore::parse("junk\n!junk/keep.txt\n").unwrap();
        let tree = SourceTree {
            root: p,
            ignore: Some(&ig),
            context: true,
        };
        let hashes = |pattern: &str| {
            let s = resolve_sources(&tree, &[pattern.to_string()]).unwrap();
            content_hashes(&tree, &s, &[]).unwrap()
        };
        let names: Vec<String> = hashes("junk/").into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["junk", "junk/keep.txt"]);
        let names: Vec<String> = hashes(".").into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, [".", "junk", "junk/keep.txt"]);
        let before = (hashes("junk/"), hashes("."));
        // What stays excluded never changes a key (docker's legacy builder: cache hit).
        fs::write(p.join("junk/drop.txt"), "changed").unwrap();
        fs::write(p.join("junk/sub/x.txt"), "changed").unwrap();
        fs::write(p.join("junk/new.txt"), "new").unwrap();
        assert_eq!((hashes("junk/"), hashes(".")), before);
        // The re-included file does (docker: cache miss).
        fs::write(p.join("junk/keep.txt"), "changed").unwrap();
        let after = (hashes("junk/"), hashes("."));
        assert_ne!(after.0, before.0);
        assert_ne!(after.1, before.1);
    }
}
