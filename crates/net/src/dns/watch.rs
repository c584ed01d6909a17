//! Noticing changes to the records file and reloading it.

use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::error::DnsError;
use super::records::Records;

/// The records file is checked for changes at most this often: every query sees the
/// records the engine wrote before it (a stat per query is cheap).
const RELOAD_INTERVAL: Duration = Duration::ZERO;

/// The current records table (shared cheaply with worker threads) plus what is needed to notice that its file changed.
pub(super) struct RecordsWatch {
    path: PathBuf,
    records: Arc<Records>,
    stamp: Option<(i64, i64, u64, u64, u64)>,
    checked: Instant,
}

impl RecordsWatch {
    /// Loads `path`; a missing file gives an empty table, a broken one an error.
    pub(super) fn open(path: &Path) -> Result<RecordsWatch, DnsError> {
        let stamp = stamp(path);
        let records = match Records::load(path) {
            Ok(r) => r,
            Err(DnsError::File { source, .. }) if source.kind() == ErrorKind::NotFound => {
                Records::default()
            }
            Err(e) => return Err(e),
        };
        Ok(RecordsWatch {
            path: path.to_path_buf(),
            records: Arc::new(records),
            stamp,
            checked: Instant::now(),
        })
    }

    /// The current table.
    pub(super) fn records(&self) -> &Arc<Records> {
        &self.records
    }

    /// Reloads the file if it changed (checked at most every [`RELOAD_INTERVAL`]).
    pub(super) fn refresh(&mut self) {
        if self.checked.elapsed() < RELOAD_INTERVAL {
            return;
        }
        self.checked = Instant::now();
        let now = stamp(&self.path);
        if now == self.stamp {
            return;
        }
        self.stamp = now;
        match Records::load(&self.path) {
            Ok(r) => self.records = Arc::new(r),
            Err(DnsError::File { source, .. }) if source.kind() == ErrorKind::NotFound => {
                self.records = Arc::default();
            }
            // A broken file keeps the last good records until it changes again.
            Err(_) => {}
        }
    }
}

/// (mtime s, mtime ns, size, inode, device): a rename-over always changes the inode.
fn stamp(path: &Path) -> Option<(i64, i64, u64, u64, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.mtime(), m.mtime_nsec(), m.size(), m.ino(), m.dev()))
}
