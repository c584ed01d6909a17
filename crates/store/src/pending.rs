//! Records of transfers in progress (`<store>/partial/*.pending`): the blobs and unpacked
//! layers a pull has fetched before its image is named. They are kept when the pull fails or
//! is killed, so the next pull resumes instead of starting over, and garbage collection and
//! `system check` count them as referenced. A successful pull removes its record once the
//! image is indexed; `system prune` drops stale ones with everything they kept.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::blobs::{write_atomic, BlobStore};
use crate::digest::Digest;
use crate::error::{io_err, Result};

/// The directory of partial downloads and pending records in a blob store.
pub fn partial_dir(blobs: &BlobStore) -> PathBuf {
    blobs.root().join("partial")
}

/// What one transfer in progress has put in the store.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Pending {
    /// Blobs (layers, configs, manifests).
    pub blobs: Vec<Digest>,
    /// Unpacked layers, by chain ID.
    pub chains: Vec<Digest>,
}

/// A pending record on disk; removed by [`PendingRecord::finish`], kept otherwise.
#[derive(Debug)]
pub struct PendingRecord {
    path: PathBuf,
}

impl PendingRecord {
    /// Writes the record `key` (a digest the transfer is about) for `pending`.
    pub fn write(blobs: &BlobStore, key: &Digest, pending: &Pending) -> Result<PendingRecord> {
        let dir = partial_dir(blobs);
        fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
        let path = dir.join(format!("{}.pending", key.hex()));
        let bytes = serde_json::to_vec(pending).map_err(|source| crate::Error::Json {
            what: "pending transfer record",
            source,
        })?;
        write_atomic(blobs.root(), &path, &bytes)?;
        Ok(PendingRecord { path })
    }

    /// The transfer is done (its image is indexed): the record goes.
    pub fn finish(self) -> Result<()> {
        match fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_err("remove", &self.path)(e)),
            _ => Ok(()),
        }
    }
}

/// Everything pending records keep: blobs and chain IDs.
pub fn referenced(blobs: &BlobStore) -> Result<(HashSet<Digest>, HashSet<Digest>)> {
    let mut b = HashSet::new();
    let mut c = HashSet::new();
    for p in records(blobs)? {
        if let Ok(bytes) = fs::read(&p) {
            if let Ok(rec) = serde_json::from_slice::<Pending>(&bytes) {
                b.extend(rec.blobs);
                c.extend(rec.chains);
            }
        }
    }
    Ok((b, c))
}

/// Drops every partial download and pending record (`system prune`); returns how many.
pub fn clear(blobs: &BlobStore) -> Result<usize> {
    let dir = partial_dir(blobs);
    let mut n = 0;
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io_err("list", &dir)(e)),
    };
    for e in entries.flatten() {
        if fs::remove_file(e.path()).is_ok() {
            n += 1;
        }
    }
    Ok(n)
}

fn records(blobs: &BlobStore) -> Result<Vec<PathBuf>> {
    let dir = partial_dir(blobs);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err("list", &dir)(e)),
    };
    Ok(entries
        .flatten()
        .map(|e| e.path())
        .filter(|p: &PathBuf| p.extension().is_some_and(|x| x == "pending"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_count_until_finished() {
        let dir = tempfile::tempdir().unwrap();
        let s = BlobStore::open(dir.path()).unwrap();
        let a = Digest::of_bytes(b"a");
        let c = Digest::of_bytes(b"c");
        let rec = PendingRecord::write(
            &s,
            &a,
            &Pending {
                blobs: vec![a.clone()],
                chains: vec![c.clone()],
            },
        )
        .unwrap();
        let (b, ch) = referenced(&s).unwrap();
        assert!(b.contains(&a) && ch.contains(&c));
        rec.finish().unwrap();
        assert!(referenced(&s).unwrap().0.is_empty());
    }
}
