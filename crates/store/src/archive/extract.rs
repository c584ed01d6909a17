//! Safe extraction of an image archive into a private temporary directory.
//!
//! Entry names are hostile input: absolute names, `..` and device nodes are refused, and
//! symlink targets must stay inside the archive. The writing is the path-safety core's
//! ([`berth_pathsafe::extract`], parents opened with `O_NOFOLLOW`, so nothing is written
//! through a symlink); lookups ([`Extracted::resolve`]) go through the core's resolver,
//! symlinks followed inside the directory only. The directory is removed on drop, so an
//! error anywhere during a load leaves nothing behind.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use berth_pathsafe::dirs::NoSymlinkDirs;
use berth_pathsafe::entry::{read_meta, Words};
use berth_pathsafe::extract::{Devices, Extractor, Owner, Policy, Replace, Whiteouts};
use berth_pathsafe::Root;

use crate::blobs::unique_suffix;
use crate::error::{io_err, Error, Result};

/// The biggest JSON document (manifest, config, index) an archive may carry.
pub(crate) const MAX_JSON: u64 = 64 << 20;

/// The core's policy for an image archive: plain names, no devices, no fifos, nothing
/// chowned (the directory is the caller's scratch space).
fn policy() -> Policy {
    Policy {
        words: Words::ARCHIVE,
        whiteouts: Whiteouts::Plain,
        devices: Devices::Refuse,
        fifos: false,
        replace: Replace::Replace,
        owner: Owner::Caller,
        xattrs: false,
        root_meta: false,
    }
}

/// An archive unpacked into `<store>/tmp/load-<unique>`, removed on drop.
pub(crate) struct Extracted {
    root: PathBuf,
    resolver: Root,
}

impl Extracted {
    /// Unpacks the (uncompressed) tar stream `input` under `store_root/tmp`.
    pub(crate) fn unpack(store_root: &Path, input: impl Read) -> Result<Extracted> {
        let root = store_root
            .join("tmp")
            .join(format!("load-{}", unique_suffix()));
        fs::create_dir_all(store_root.join("tmp")).map_err(io_err("create", &root))?;
        fs::create_dir(&root).map_err(io_err("create", &root))?;
        let resolver = match Root::open(&root) {
            Ok(r) => r,
            Err(e) => {
                let _ = fs::remove_dir_all(&root);
                return Err(io_err("open", &root)(e));
            }
        };
        // From here on, Drop removes the directory whatever happens.
        let x = Extracted { root, resolver };
        let dirs = NoSymlinkDirs::open(&x.root, Words::ARCHIVE)?;
        let mut extractor = Extractor::new(dirs, policy());
        let mut archive = tar::Archive::new(input);
        let entries = archive
            .entries()
            .map_err(|e| Error::BadArchive(format!("cannot read the archive: {e}")))?;
        for entry in entries {
            let mut entry = entry
                .map_err(|e| Error::BadArchive(format!("corrupt or truncated archive: {e}")))?;
            check_entry(&entry)?;
            let Some(meta) = read_meta(&mut entry, Words::ARCHIVE)? else {
                continue;
            };
            extractor.apply(&meta, &mut entry)?;
        }
        extractor.finish()?;
        Ok(x)
    }

    /// The temporary directory.
    #[cfg(test)]
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Where the archive entry `name` really is, following the archive's symlinks (inside
    /// the directory only); `None` when there is no such entry. A name that climbs out of
    /// the archive is an error.
    pub(crate) fn resolve(&self, name: &str) -> Result<Option<PathBuf>> {
        use rustix::io::Errno;
        match self.resolver.resolve_beneath(Path::new(name)) {
            Ok(t) => Ok(Some(self.root.join(t.relative()))),
            Err(e) if e.raw_os_error() == Some(Errno::XDEV.raw_os_error()) => Err(
                Error::BadArchive(format!("{name:?} resolves outside the archive")),
            ),
            Err(e) if e.raw_os_error() == Some(Errno::LOOP.raw_os_error()) => Err(
                Error::BadArchive(format!("{name:?}: too many levels of symlinks")),
            ),
            Err(e)
                if matches!(e.raw_os_error(), Some(c) if c == Errno::NOENT.raw_os_error()
                    || c == Errno::NOTDIR.raw_os_error()) =>
            {
                Ok(None)
            }
            Err(e) => Err(io_err("resolve", &self.root.join(name))(e)),
        }
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

/// What the core does not check for an image archive: absolute names, any `..`, non-UTF-8
/// names, and symlinks whose target is absolute or climbs out of the archive.
fn check_entry<R: Read>(entry: &tar::Entry<'_, R>) -> Result<()> {
    let kind = entry.header().entry_type();
    if matches!(
        kind,
        tar::EntryType::XGlobalHeader | tar::EntryType::XHeader
    ) {
        return Ok(());
    }
    let raw = String::from_utf8(entry.path_bytes().into_owned())
        .map_err(|_| Error::BadArchive("entry name is not UTF-8".into()))?;
    let name = entry_name(&raw)?;
    match kind {
        tar::EntryType::Symlink => {
            let target = link_target(entry, &raw)?;
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
            Ok(())
        }
        tar::EntryType::Link => entry_name(&link_target(entry, &raw)?).map(drop),
        tar::EntryType::Regular
        | tar::EntryType::Continuous
        | tar::EntryType::Directory
        | tar::EntryType::GNULongName
        | tar::EntryType::GNULongLink => Ok(()),
        other => Err(Error::BadArchive(format!(
            "entry {raw:?} is a {}: image archives hold only files, directories and links",
            kind_name(other)
        ))),
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
