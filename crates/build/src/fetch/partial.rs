//! The file a download is streamed into: a hidden temporary in the destination directory,
//! hashed as it is written, removed unless it is renamed to its final name.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use super::error::FetchError;

/// Distinguishes temporaries of concurrent fetches in one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A download in progress; dropping it removes the file.
pub(crate) struct Partial {
    path: PathBuf,
    file: File,
    hasher: Sha256,
    len: u64,
    kept: bool,
}

impl Partial {
    /// Creates a new hidden file in `dir`, mode 0600 (what Docker gives `ADD <url>` files).
    pub fn create(dir: &Path) -> Result<Partial, FetchError> {
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!(".berth-fetch-{}-{n}.part", std::process::id()));
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(file) => {
                    return Ok(Partial {
                        path,
                        file,
                        hasher: Sha256::new(),
                        len: 0,
                        kept: false,
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(source) => {
                    return Err(FetchError::File {
                        path: dir.to_path_buf(),
                        context: "creating a download file in",
                        source,
                    })
                }
            }
        }
    }

    /// Appends `data` to the file and the digest.
    pub fn write(&mut self, data: &[u8]) -> Result<(), FetchError> {
        self.file
            .write_all(data)
            .map_err(|source| self.error("writing", source))?;
        self.hasher.update(data);
        self.len += data.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// `sha256:<hex>` of everything written.
    pub fn digest(&self) -> String {
        let hex: String = self
            .hasher
            .clone()
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("sha256:{hex}")
    }

    /// Sets the modification time to `unix_secs` (from `Last-Modified`), renames the file to
    /// `dest` (replacing what is there) and keeps it.
    pub fn persist(mut self, dest: &Path, unix_secs: Option<i64>) -> Result<(), FetchError> {
        if let Some(secs) = unix_secs {
            let time = if secs >= 0 {
                SystemTime::UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
            } else {
                SystemTime::UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
            };
            self.file
                .set_modified(time)
                .map_err(|source| self.error("setting the modification time of", source))?;
        }
        fs::rename(&self.path, dest).map_err(|source| FetchError::File {
            path: dest.to_path_buf(),
            context: "moving the download to",
            source,
        })?;
        self.kept = true;
        Ok(())
    }

    fn error(&self, context: &'static str, source: io::Error) -> FetchError {
        FetchError::File {
            path: self.path.clone(),
            context,
            source,
        }
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.kept {
            let _ = fs::remove_file(&self.path);
        }
    }
}
