//! Content-addressed blobs, laid out as an OCI image layout: `<root>/blobs/sha256/<hex>`.
//!
//! Writes are crash-safe: content goes to a temporary file under `<root>/tmp`, is fsynced,
//! checked against its digest, and only then renamed into place. A killed writer leaves at
//! most a temporary file, which `system check` removes.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::digest::{Digest, DigestWriter};
use crate::error::{io_err, Error, Result};
use crate::journal::{Entry, Journal};

/// The blob directory of a store.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
    /// Where new blobs are recorded before they are renamed into place (see
    /// [`crate::journal`]); `None` outside a journaled command.
    journal: Option<Journal>,
}

impl BlobStore {
    /// Opens (creating if needed) the blob store under `root`.
    pub fn open(root: &Path) -> Result<BlobStore> {
        for dir in [root.join("blobs/sha256"), root.join("tmp")] {
            fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
        }
        let layout = root.join("oci-layout");
        if !layout.exists() {
            write_atomic(root, &layout, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        }
        Ok(BlobStore {
            root: root.to_path_buf(),
            journal: None,
        })
    }

    /// This store, recording every blob it adds in `journal` first.
    pub fn journaled(&self, journal: &Journal) -> BlobStore {
        BlobStore {
            root: self.root.clone(),
            journal: Some(journal.clone()),
        }
    }

    /// The journal new blobs are recorded in, if any.
    pub fn journal(&self) -> Option<&Journal> {
        self.journal.as_ref()
    }

    /// Records in the journal (if any) that `digest` is about to be added, unless it is
    /// already stored. Call right before renaming a blob into [`BlobStore::path`].
    pub fn note_new(&self, digest: &Digest) -> Result<()> {
        match &self.journal {
            Some(j) if !self.exists(digest) => j.record(&Entry::Blob(digest.clone())),
            _ => Ok(()),
        }
    }

    /// The store's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob with `digest` lives (whether or not it exists).
    pub fn path(&self, digest: &Digest) -> PathBuf {
        self.root.join("blobs/sha256").join(digest.hex())
    }

    /// Whether the blob is present.
    pub fn exists(&self, digest: &Digest) -> bool {
        self.path(digest).exists()
    }

    /// Opens a blob for reading.
    pub fn open_blob(&self, digest: &Digest) -> Result<File> {
        let p = self.path(digest);
        File::open(&p).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::BlobNotFound(digest.to_string()),
            _ => Error::Io {
                what: "open blob",
                path: p,
                source: e,
            },
        })
    }

    /// Reads a whole (small) blob into memory.
    pub fn read(&self, digest: &Digest) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        self.open_blob(digest)?
            .read_to_end(&mut buf)
            .map_err(io_err("read blob", self.path(digest)))?;
        Ok(buf)
    }

    /// Size in bytes of a blob.
    pub fn size(&self, digest: &Digest) -> Result<u64> {
        let p = self.path(digest);
        Ok(fs::metadata(&p).map_err(io_err("stat blob", &p))?.len())
    }

    /// Stores `bytes`, returning their digest.
    pub fn put_bytes(&self, bytes: &[u8]) -> Result<Digest> {
        // A blob already stored is not written (and fsynced) again: a rebuild's config and
        // manifest, a re-saved document.
        let d = Digest::of_bytes(bytes);
        self.put_reader(bytes, Some(&d))?;
        Ok(d)
    }

    /// Stores everything `reader` yields. With `expected`, the content must hash to it.
    /// Returns the digest and the size.
    pub fn put_reader(
        &self,
        mut reader: impl Read,
        expected: Option<&Digest>,
    ) -> Result<(Digest, u64)> {
        if let Some(d) = expected {
            if self.exists(d) {
                let n =
                    io::copy(&mut reader, &mut io::sink()).map_err(io_err("read", self.path(d)))?;
                let _ = n;
                return Ok((d.clone(), self.size(d)?));
            }
        }
        let tmp = TempBlob::new(&self.root)?;
        let mut w = DigestWriter::new(io::BufWriter::with_capacity(256 * 1024, &tmp.file));
        io::copy(&mut reader, &mut w).map_err(io_err("write blob", &tmp.path))?;
        let (digest, size, mut bw) = w.finish();
        bw.flush().map_err(io_err("write blob", &tmp.path))?;
        drop(bw);
        if let Some(e) = expected {
            if *e != digest {
                return Err(Error::DigestMismatch {
                    expected: e.to_string(),
                    actual: digest.to_string(),
                });
            }
        }
        self.note_new(&digest)?;
        tmp.commit(&self.path(&digest))?;
        Ok((digest, size))
    }

    /// Stores what `write` writes (crash-safe, like [`BlobStore::put_reader`]); returns the
    /// digest and the size.
    pub fn put_writer(
        &self,
        write: impl FnOnce(&mut dyn Write) -> Result<()>,
    ) -> Result<(Digest, u64)> {
        let tmp = TempBlob::new(&self.root)?;
        let mut w = DigestWriter::new(io::BufWriter::with_capacity(256 * 1024, &tmp.file));
        write(&mut w)?;
        let (digest, size, mut bw) = w.finish();
        bw.flush().map_err(io_err("write blob", &tmp.path))?;
        drop(bw);
        self.note_new(&digest)?;
        tmp.commit(&self.path(&digest))?;
        Ok((digest, size))
    }

    /// Removes a blob; a missing blob is not an error.
    pub fn delete(&self, digest: &Digest) -> Result<()> {
        let p = self.path(digest);
        match fs::remove_file(&p) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::Io {
                what: "remove blob",
                path: p,
                source: e,
            }),
            _ => Ok(()),
        }
    }

    /// Every blob digest present.
    pub fn list(&self) -> Result<Vec<Digest>> {
        let dir = self.root.join("blobs/sha256");
        let mut out = Vec::new();
        for e in fs::read_dir(&dir).map_err(io_err("list", &dir))? {
            let e = e.map_err(io_err("list", &dir))?;
            if let Some(Ok(d)) = e.file_name().to_str().map(Digest::from_hex) {
                out.push(d);
            }
        }
        Ok(out)
    }
}

/// A temporary file under `<root>/tmp` that is removed unless committed.
struct TempBlob {
    path: PathBuf,
    file: File,
    committed: bool,
}

impl TempBlob {
    fn new(root: &Path) -> Result<TempBlob> {
        let path = root.join("tmp").join(format!("blob-{}", unique_suffix()));
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_err("create", &path))?;
        Ok(TempBlob {
            path,
            file,
            committed: false,
        })
    }

    fn commit(mut self, dest: &Path) -> Result<()> {
        self.file.sync_all().map_err(io_err("fsync", &self.path))?;
        fs::rename(&self.path, dest).map_err(io_err("rename into", dest))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for TempBlob {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// A suffix unique across processes and calls: pid, time and a counter.
pub fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}-{}-{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Writes `bytes` to `dest` crash-safely: a temporary file in `<root>/tmp`, fsync, rename.
pub fn write_atomic(root: &Path, dest: &Path, bytes: &[u8]) -> Result<()> {
    let tmp_dir = root.join("tmp");
    fs::create_dir_all(&tmp_dir).map_err(io_err("create", &tmp_dir))?;
    let tmp = TempBlob::new(root)?;
    (&tmp.file)
        .write_all(bytes)
        .map_err(io_err("write", &tmp.path))?;
    tmp.commit(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = BlobStore::open(dir.path()).unwrap();
        let d = s.put_bytes(b"hello").unwrap();
        assert_eq!(s.read(&d).unwrap(), b"hello");
        assert!(s.list().unwrap().contains(&d));
        let wrong = Digest::of_bytes(b"other");
        assert!(matches!(
            s.put_reader(&b"hello"[..], Some(&wrong)),
            Err(Error::DigestMismatch { .. })
        ));
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }
}
