//! Unpacked layers, each once, keyed by OCI chain ID: `<root>/layers/<chain hex>/diff` is
//! an overlayfs lower directory and `<root>/layers/<chain hex>/size` its content size.
//!
//! A layer is unpacked into `<root>/layers/tmp-<unique>/diff`, checked against its diff ID,
//! synced, and renamed into place whole, so a killed command leaves only a `tmp-*`
//! directory (see [`LayerStore::stale_tmp_dirs`]), never a half layer under its real name.

use std::fs;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::blobs::unique_suffix;
use crate::digest::{hex, Digest};
use crate::error::{io_err, Error, Result};
use crate::journal::{Entry, Journal};
use crate::unpack::unpack_layer;

/// Prefix of the work directories of unpacks and removals in progress.
const TMP_PREFIX: &str = "tmp-";

/// The OCI chain ID of a layer: its diff ID at the bottom, else
/// `sha256("<parent chain ID> <diff ID>")`.
pub fn chain_id(parent: Option<&Digest>, diff_id: &Digest) -> Digest {
    match parent {
        None => diff_id.clone(),
        Some(p) => {
            let hash = Sha256::digest(format!("{p} {diff_id}").as_bytes());
            Digest::from_hex(&hex(&hash)).unwrap_or_else(|_| diff_id.clone())
        }
    }
}

/// The chain IDs of a stack of layers given their diff IDs, bottom first.
pub fn chain_ids(diff_ids: &[Digest]) -> Vec<Digest> {
    let mut out: Vec<Digest> = Vec::with_capacity(diff_ids.len());
    for d in diff_ids {
        let next = chain_id(out.last(), d);
        out.push(next);
    }
    out
}

/// The unpacked layers of a store.
#[derive(Debug, Clone)]
pub struct LayerStore {
    dir: PathBuf,
    /// Where new layers are recorded before they are renamed into place (see
    /// [`crate::journal`]); `None` outside a journaled command.
    journal: Option<Journal>,
}

impl LayerStore {
    /// Opens (creating if needed) the layer store `<root>/layers`.
    pub fn open(root: &Path) -> Result<LayerStore> {
        let dir = root.join("layers");
        fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
        Ok(LayerStore { dir, journal: None })
    }

    /// This store, recording every layer it adds in `journal` first.
    pub fn journaled(mut self, journal: Option<&Journal>) -> LayerStore {
        self.journal = journal.cloned();
        self
    }

    /// The `<root>/layers` directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The directory of the layer with chain ID `chain` (whether or not it exists).
    pub fn layer_dir(&self, chain: &Digest) -> PathBuf {
        self.dir.join(chain.hex())
    }

    /// The unpacked tree of the layer `chain`: what overlayfs stacks.
    pub fn diff_path(&self, chain: &Digest) -> PathBuf {
        self.layer_dir(chain).join("diff")
    }

    /// Whether the layer `chain` is unpacked.
    pub fn exists(&self, chain: &Digest) -> bool {
        self.diff_path(chain).is_dir()
    }

    /// Returns the unpacked layer `chain`, unpacking it first if needed from the blob `open`
    /// gives (plain, gzip or zstd), which must have the diff ID `diff_id`. Safe against
    /// concurrent callers (threads or processes): one unpack wins, the others use it.
    pub fn ensure<R: Read + Send>(
        &self,
        chain: &Digest,
        diff_id: &Digest,
        open: impl FnOnce() -> Result<R>,
    ) -> Result<PathBuf> {
        let diff = self.diff_path(chain);
        if diff.is_dir() {
            return Ok(diff);
        }
        spread_new_dirs(&self.dir);
        let tmp = WorkDir::create(&self.dir)?;
        let tmp_diff = tmp.path.join("diff");
        fs::create_dir(&tmp_diff).map_err(io_err("create", &tmp_diff))?;
        let stats = unpack_layer(open()?, &tmp_diff)?;
        if stats.diff_id != *diff_id {
            return Err(Error::DigestMismatch {
                expected: diff_id.to_string(),
                actual: stats.diff_id.to_string(),
            });
        }
        let size_file = tmp.path.join("size");
        fs::write(&size_file, stats.size.to_string()).map_err(io_err("write", &size_file))?;
        sync_fs(&tmp.path)?;
        let dest = self.layer_dir(chain);
        if let Some(j) = &self.journal {
            j.record(&Entry::Layer(chain.clone()))?;
        }
        match fs::rename(&tmp.path, &dest) {
            Ok(()) => {
                tmp.disarm();
                sync_dir(&self.dir)?;
                Ok(diff)
            }
            // Another unpack of the same layer won the race: use theirs, drop ours.
            Err(_) if diff.is_dir() => Ok(diff),
            Err(e) => Err(Error::Io {
                what: "rename layer into",
                path: dest,
                source: e,
            }),
        }
    }

    /// The bytes of file content in the layer `chain`, recorded when it was unpacked.
    pub fn size(&self, chain: &Digest) -> Result<u64> {
        let p = self.layer_dir(chain).join("size");
        let text = fs::read_to_string(&p).map_err(io_err("read layer size", &p))?;
        text.trim().parse().map_err(|_| {
            Error::BadImage(format!(
                "layer size record {} holds {text:?}, not a number",
                p.display()
            ))
        })
    }

    /// Removes the layer `chain` (a missing layer is not an error). The layer first leaves
    /// its name (renamed to a `tmp-*` directory), so it is never seen half-removed.
    pub fn remove(&self, chain: &Digest) -> Result<()> {
        let dir = self.layer_dir(chain);
        let doomed = self.dir.join(format!("{TMP_PREFIX}{}", unique_suffix()));
        match fs::rename(&dir, &doomed) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(Error::Io {
                    what: "remove layer",
                    path: dir,
                    source: e,
                })
            }
        }
        remove_tree(&doomed)
    }

    /// The chain IDs of every unpacked layer.
    pub fn list(&self) -> Result<Vec<Digest>> {
        let mut out = Vec::new();
        for e in fs::read_dir(&self.dir).map_err(io_err("list", &self.dir))? {
            let e = e.map_err(io_err("list", &self.dir))?;
            if let Some(Ok(d)) = e.file_name().to_str().map(Digest::from_hex) {
                if e.path().join("diff").is_dir() {
                    out.push(d);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Work directories left by killed unpacks or removals (their process is gone): what a
    /// repair command deletes with [`LayerStore::remove_stale`].
    pub fn stale_tmp_dirs(&self) -> Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for e in fs::read_dir(&self.dir).map_err(io_err("list", &self.dir))? {
            let e = e.map_err(io_err("list", &self.dir))?;
            let name = e.file_name();
            let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(TMP_PREFIX)) else {
                continue;
            };
            let owner_alive = rest
                .split('-')
                .next()
                .and_then(|pid| pid.parse::<u32>().ok())
                .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
            if !owner_alive {
                out.push(e.path());
            }
        }
        out.sort();
        Ok(out)
    }

    /// Deletes the directories [`LayerStore::stale_tmp_dirs`] lists; returns them.
    pub fn remove_stale(&self) -> Result<Vec<PathBuf>> {
        let stale = self.stale_tmp_dirs()?;
        for p in &stale {
            remove_tree(p)?;
        }
        Ok(stale)
    }
}

/// A `tmp-<unique>` directory under the layer store, removed on drop unless disarmed.
struct WorkDir {
    path: PathBuf,
    armed: bool,
}

impl WorkDir {
    fn create(layers: &Path) -> Result<WorkDir> {
        let path = layers.join(format!("{TMP_PREFIX}{}", unique_suffix()));
        fs::create_dir(&path).map_err(io_err("create", &path))?;
        Ok(WorkDir { path, armed: true })
    }

    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if self.armed {
            let _ = remove_tree(&self.path);
        }
    }
}

/// Marks `dir` a "top directory" (`chattr +T`, ext2/3/4's `FS_TOPDIR_FL`), so the kernel
/// places each new layer directory in a block group of its own choosing (the Orlov
/// allocator) instead of next to its siblings. After layers were deleted, allocating inodes
/// where they were scans every recently deleted inode (ext4 without a journal, as here): a
/// cold pull of a 200 MB image right after an `rmi` spent a third of its time there
/// (docs/PERFORMANCE.md). Filesystems without the flag say no; that is fine.
fn spread_new_dirs(dir: &Path) {
    use rustix::fs::{ioctl_getflags, ioctl_setflags, IFlags};
    let Ok(d) = fs::File::open(dir) else { return };
    if let Ok(flags) = ioctl_getflags(&d) {
        if !flags.contains(IFlags::TOPDIR) {
            let _ = ioctl_setflags(&d, flags | IFlags::TOPDIR);
        }
    }
}

/// Removes a directory tree (whiteout devices, read-only modes and all); missing is fine.
fn remove_tree(path: &Path) -> Result<()> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::Io {
            what: "remove",
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Flushes the filesystem holding `path` (an unpacked tree is many files: one syncfs).
fn sync_fs(path: &Path) -> Result<()> {
    let dir = fs::File::open(path).map_err(io_err("open", path))?;
    rustix::fs::syncfs(dir.as_fd()).map_err(|e| Error::Io {
        what: "syncfs",
        path: path.to_path_buf(),
        source: e.into(),
    })
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> Result<()> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("fsync", dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_ids_follow_the_spec() {
        let a = Digest::of_bytes(b"a");
        let b = Digest::of_bytes(b"b");
        assert_eq!(chain_id(None, &a), a);
        let ab = chain_id(Some(&a), &b);
        assert_eq!(ab, Digest::of_bytes(format!("{a} {b}").as_bytes()));
        assert_eq!(chain_ids(&[a.clone(), b]), vec![a, ab]);
    }
}
