//! Safe extraction of an image archive into a private temporary directory.
//!
//! Entry names are hostile input: absolute names, `..` and device nodes are refused. Symlinks
//! are never created on disk: they are recorded and resolved by [`Extracted::resolve`], which
//! refuses any resolution that leaves the archive. The directory is removed on drop, so an
//! error anywhere during a load leaves nothing behind.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::blobs::unique_suffix;
use crate::error::{io_err, Error, Result};

/// How many symlinks one lookup may follow.
const MAX_HOPS: usize = 40;

/// The biggest JSON document (manifest, config, index) an archive may carry.
pub(crate) const MAX_JSON: u64 = 64 << 20;

/// An archive unpacked into `<store>/tmp/load-<unique>`, removed on drop.
pub(crate) struct Extracted {
    root: PathBuf,
    /// Symlinks by normalized entry name, with their (relative) targets.
    links: HashMap<String, String>,
}

impl Extracted {
    /// Unpacks the (uncompressed) tar stream `input` under `store_root/tmp`.
    pub(crate) fn unpack(store_root: &Path, input: impl Read) -> Result<Extracted> {
        let root = store_root
            .join("tmp")
            .join(format!("load-{}", unique_suffix()));
        fs::create_dir_all(store_root.join("tmp")).map_err(io_err("create", &root))?;
        fs::create_dir(&root).map_err(io_err("create", &root))?;
        let mut x = Extracted {
            root,
            links: HashMap::new(),
        };
        let mut archive = tar::Archive::new(input);
        let entries = archive
            .entries()
            .map_err(|e| Error::BadArchive(format!("cannot read the archive: {e}")))?;
        for entry in entries {
            let entry = entry
                .map_err(|e| Error::BadArchive(format!("corrupt or truncated archive: {e}")))?;
            x.add(entry)?;
        }
        Ok(x)
    }

    /// The temporary directory.
    #[cfg(test)]
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    fn add<R: Read>(&mut self, mut entry: tar::Entry<'_, R>) -> Result<()> {
        let raw = String::from_utf8(entry.path_bytes().into_owned())
            .map_err(|_| Error::BadArchive("entry name is not UTF-8".into()))?;
        let kind = entry.header().entry_type();
        if matches!(
            kind,
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader
        ) {
            return Ok(());
        }
        let name = entry_name(&raw)?;
        if name.is_empty() {
            return match kind {
                tar::EntryType::Directory => Ok(()),
                _ => Err(Error::BadArchive(format!("entry {raw:?} has no name"))),
            };
        }
        self.check_parents(&name, &raw)?;
        let dest = self.root.join(&name);
        match kind {
            tar::EntryType::Directory => {
                self.links.remove(&name);
                fs::create_dir_all(&dest).map_err(io_err("create", &dest))
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                self.replace(&name, &dest)?;
                let want = entry
                    .header()
                    .entry_size()
                    .map_err(|e| Error::BadArchive(format!("entry {raw:?} has a bad size: {e}")))?;
                let mut f = File::create(&dest).map_err(io_err("create", &dest))?;
                let got = io::copy(&mut entry, &mut f).map_err(|e| {
                    Error::BadArchive(format!("corrupt or truncated archive at {raw:?}: {e}"))
                })?;
                if got != want {
                    return Err(Error::BadArchive(format!(
                        "truncated archive: entry {raw:?} has {got} of {want} bytes"
                    )));
                }
                Ok(())
            }
            tar::EntryType::Symlink => {
                let target = link_target(&entry, &raw)?;
                if target.starts_with('/') {
                    return Err(Error::BadArchive(format!(
                        "symlink {raw:?} -> {target:?} is absolute"
                    )));
                }
                let parent = name.rsplit_once('/').map_or("", |(p, _)| p);
                if lexical_join(parent, &target).is_none() {
                    return Err(Error::BadArchive(format!(
                        "symlink {raw:?} -> {target:?} points outside the archive"
                    )));
                }
                self.replace(&name, &dest)?;
                self.links.insert(name, target);
                Ok(())
            }
            tar::EntryType::Link => {
                let target = link_target(&entry, &raw)?;
                let src = match self.resolve(&entry_name(&target)?)? {
                    Some(p) if p.is_file() => p,
                    _ => {
                        return Err(Error::BadArchive(format!(
                            "hard link {raw:?} -> {target:?}: no such file earlier in the archive"
                        )))
                    }
                };
                self.replace(&name, &dest)?;
                fs::hard_link(&src, &dest).map_err(io_err("link", &dest))
            }
            other => Err(Error::BadArchive(format!(
                "entry {raw:?} is a {}: image archives hold only files, directories and links",
                kind_name(other)
            ))),
        }
    }

    /// Refuses an entry below a recorded symlink (it would be written through the link).
    fn check_parents(&self, name: &str, raw: &str) -> Result<()> {
        let mut end = 0;
        while let Some(i) = name[end..].find('/') {
            end += i;
            if self.links.contains_key(&name[..end]) {
                return Err(Error::BadArchive(format!(
                    "entry {raw:?} is below the symlink {:?}",
                    &name[..end]
                )));
            }
            end += 1;
        }
        Ok(())
    }

    /// Makes room for a later entry with the same name (tar semantics: the last one wins).
    fn replace(&mut self, name: &str, dest: &Path) -> Result<()> {
        self.links.remove(name);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(io_err("create", parent))?;
        }
        match fs::symlink_metadata(dest) {
            Ok(m) if m.is_dir() => Err(Error::BadArchive(format!(
                "entry {name:?} replaces a directory"
            ))),
            Ok(_) => fs::remove_file(dest).map_err(io_err("remove", dest)),
            Err(_) => Ok(()),
        }
    }

    /// Where the archive entry `name` really is, following the archive's symlinks; `None` when
    /// there is no such entry. A lookup that leaves the archive is an error.
    pub(crate) fn resolve(&self, name: &str) -> Result<Option<PathBuf>> {
        let mut todo: Vec<String> = name.rsplit('/').map(str::to_string).collect();
        let mut cur: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(c) = todo.pop() {
            match c.as_str() {
                "" | "." => {}
                ".." => {
                    if cur.pop().is_none() {
                        return Err(Error::BadArchive(format!(
                            "{name:?} resolves outside the archive"
                        )));
                    }
                }
                _ => {
                    cur.push(c);
                    if let Some(target) = self.links.get(&cur.join("/")) {
                        hops += 1;
                        if hops > MAX_HOPS {
                            return Err(Error::BadArchive(format!(
                                "{name:?}: too many levels of symlinks"
                            )));
                        }
                        cur.pop();
                        todo.extend(target.rsplit('/').map(str::to_string));
                    }
                }
            }
        }
        let path = self.root.join(cur.join("/"));
        Ok(path.exists().then_some(path))
    }

    /// Whether the archive has an entry `name` (an error when looking it up leaves the archive).
    pub(crate) fn exists(&self, name: &str) -> Result<bool> {
        Ok(self.resolve(name)?.is_some())
    }

    /// The real path of the regular file `name`; a clear error when it is missing.
    pub(crate) fn file(&self, name: &str, what: &str) -> Result<PathBuf> {
        match self.resolve(name)? {
            Some(p) if p.is_file() => Ok(p),
            Some(_) => Err(Error::BadImage(format!(
                "{what} {name:?} in the archive is not a regular file"
            ))),
            None => Err(Error::BadImage(format!(
                "{what} {name:?} is missing from the archive"
            ))),
        }
    }

    /// Reads the small file `name` (a JSON document) whole; `what` names it in errors.
    pub(crate) fn read(&self, name: &str, what: &str) -> Result<Vec<u8>> {
        let path = self.file(name, what)?;
        let f = File::open(&path).map_err(io_err("open", &path))?;
        let mut buf = Vec::new();
        f.take(MAX_JSON + 1)
            .read_to_end(&mut buf)
            .map_err(io_err("read", &path))?;
        if buf.len() as u64 > MAX_JSON {
            return Err(Error::BadImage(format!(
                "{what} {name:?} is larger than {MAX_JSON} bytes"
            )));
        }
        Ok(buf)
    }
}

impl Drop for Extracted {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// The normalized name of an entry: `/`-separated normal components. Absolute names and `..`
/// are refused; `.` and empty components are dropped.
pub(crate) fn entry_name(raw: &str) -> Result<String> {
    if raw.starts_with('/') {
        return Err(Error::BadArchive(format!(
            "entry {raw:?} has an absolute name"
        )));
    }
    if raw.contains('\0') {
        return Err(Error::BadArchive(format!("entry {raw:?} has a NUL byte")));
    }
    let mut parts = Vec::new();
    for c in raw.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                return Err(Error::BadArchive(format!(
                    "entry {raw:?} has a '..' component"
                )))
            }
            c => parts.push(c),
        }
    }
    Ok(parts.join("/"))
}

/// `target` taken from directory `dir`, lexically; `None` when it climbs out of the root.
fn lexical_join(dir: &str, target: &str) -> Option<String> {
    let mut cur: Vec<&str> = dir.split('/').filter(|c| !c.is_empty()).collect();
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                cur.pop()?;
            }
            c => cur.push(c),
        }
    }
    Some(cur.join("/"))
}

fn link_target<R: Read>(entry: &tar::Entry<'_, R>, raw: &str) -> Result<String> {
    let bytes = entry
        .link_name_bytes()
        .ok_or_else(|| Error::BadArchive(format!("link {raw:?} has no target")))?;
    let target = String::from_utf8(bytes.into_owned())
        .map_err(|_| Error::BadArchive(format!("link {raw:?} has a non-UTF-8 target")))?;
    if target.is_empty() || target.contains('\0') {
        return Err(Error::BadArchive(format!(
            "link {raw:?} has an empty or invalid target"
        )));
    }
    Ok(target)
}

fn kind_name(kind: tar::EntryType) -> &'static str {
    match kind {
        tar::EntryType::Char => "character device",
        tar::EntryType::Block => "block device",
        tar::EntryType::Fifo => "fifo",
        tar::EntryType::GNUSparse => "sparse file",
        _ => "entry of an unsupported type",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert_eq!(entry_name("./a//b/").unwrap(), "a/b");
        assert!(entry_name("/etc/passwd").is_err());
        assert!(entry_name("a/../../b").is_err());
        assert_eq!(lexical_join("a/b", "../c").as_deref(), Some("a/c"));
        assert_eq!(lexical_join("a", "../../c"), None);
    }

    #[test]
    fn symlinks_resolve_inside_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(2);
        b.append_data(&mut h, "d/f", &b"hi"[..]).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "e/l", "../d/f").unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "e/dir", "../d").unwrap();
        let bytes = b.into_inner().unwrap();
        let x = Extracted::unpack(dir.path(), &bytes[..]).unwrap();
        assert_eq!(fs::read(x.file("e/l", "t").unwrap()).unwrap(), b"hi");
        assert_eq!(fs::read(x.file("e/dir/f", "t").unwrap()).unwrap(), b"hi");
        assert!(x.resolve("../x").is_err());
        assert!(x.resolve("e/dir/../../..").is_err());
        assert!(!x.exists("nope").unwrap());
        let root = x.root().to_path_buf();
        drop(x);
        assert!(!root.exists());
    }
}
