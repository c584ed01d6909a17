//! Owner journals: what a multi-step command has made that nothing references yet.
//!
//! A command that adds content (import, load, build) opens a journal file
//! `<root>/txn/<owner>` named after its process (pid and start time, so a reused pid is
//! told apart) and appends one line per thing *before* it makes it: `blob <hex>` just before
//! a blob is renamed into place, `layer <chain hex>` just before an unpacked layer is, and
//! whatever else the engine asks to be undone (`dir <path>`, `container <id>`, ...). A
//! command that succeeds deletes its journal ([`Journal::finish`]); one that fails, or a
//! later command that finds the journal of a dead owner, reads it back ([`read_entries`]) and
//! removes what nothing references. A line is written with one `write(2)` in append mode, so
//! a `kill -9` leaves whole lines (a torn last line, possible only on power loss, is ignored).
//!
//! The store only writes and reads journals; deciding what is referenced, and when an owner
//! is dead, is the engine's business.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::digest::Digest;
use crate::error::{io_err, Result};

/// One thing a journal says its owner was making.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A blob (renamed into `blobs/sha256/` right after the line was written).
    Blob(Digest),
    /// An unpacked layer, by chain ID.
    Layer(Digest),
    /// Something the engine made (`kind` names it: `dir`, `container`, `stepnet`, `rm`).
    Other {
        /// What kind of thing.
        kind: String,
        /// Which one (a path or an ID; no newline).
        value: String,
    },
}

impl Entry {
    /// An engine-defined entry.
    pub fn other(kind: &str, value: impl Into<String>) -> Entry {
        Entry::Other {
            kind: kind.to_string(),
            value: value.into(),
        }
    }

    fn line(&self) -> String {
        match self {
            Entry::Blob(d) => format!("blob {}\n", d.hex()),
            Entry::Layer(d) => format!("layer {}\n", d.hex()),
            Entry::Other { kind, value } => format!("{kind} {}\n", value.replace('\n', " ")),
        }
    }

    fn parse(line: &str) -> Option<Entry> {
        let (kind, value) = line.split_once(' ')?;
        match kind {
            "blob" => Digest::from_hex(value).ok().map(Entry::Blob),
            "layer" => Digest::from_hex(value).ok().map(Entry::Layer),
            _ if !kind.is_empty() && !value.is_empty() => Some(Entry::other(kind, value)),
            _ => None,
        }
    }
}

/// An open journal, shared by the threads of one command (cheap to clone).
#[derive(Debug, Clone)]
pub struct Journal {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    file: Mutex<File>,
}

impl Journal {
    /// Creates the journal `<dir>/<name>` (`name` unique to the owner: the engine uses
    /// `<pid>-<start time>-<n>`). Fails if it exists.
    pub fn create(dir: &Path, name: &str) -> Result<Journal> {
        fs::create_dir_all(dir).map_err(io_err("create", dir))?;
        let path = dir.join(name);
        let file = File::options()
            .append(true)
            .create_new(true)
            .open(&path)
            .map_err(io_err("create journal", &path))?;
        Ok(Journal {
            inner: Arc::new(Inner {
                path,
                file: Mutex::new(file),
            }),
        })
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Appends `entry` (one write; call it before making the thing).
    pub fn record(&self, entry: &Entry) -> Result<()> {
        let line = entry.line();
        let mut file = self
            .inner
            .file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        file.write_all(line.as_bytes())
            .map_err(io_err("write journal", &self.inner.path))
    }

    /// Deletes the journal: what it names is referenced now, or was removed.
    pub fn finish(&self) -> Result<()> {
        remove_journal(&self.inner.path)
    }
}

/// Deletes the journal file `path` (missing is fine).
pub fn remove_journal(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_err("remove journal", path)(e)),
        _ => Ok(()),
    }
}

/// The entries of the journal at `path`, in the order written (unreadable lines skipped).
pub fn read_entries(path: &Path) -> Result<Vec<Entry>> {
    let text = match fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err("read journal", path)(e)),
    };
    let text = String::from_utf8_lossy(&text);
    // Only whole lines: a torn last line (no newline) is not trusted.
    let whole = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => "",
    };
    Ok(whole.lines().filter_map(Entry::parse).collect())
}

/// The journal files in `dir` with their names, sorted (none when `dir` is missing). One
/// `readdir`: cheap enough for every command that adds or removes content.
pub fn list(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err("list", dir)(e)),
    };
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(io_err("list", dir))?;
        if let Some(name) = e.file_name().to_str() {
            out.push((name.to_string(), e.path()));
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_torn_lines_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::create(dir.path(), "1-2-0").unwrap();
        assert!(Journal::create(dir.path(), "1-2-0").is_err());
        let blob = Digest::of_bytes(b"a");
        let layer = Digest::of_bytes(b"b");
        let entries = vec![
            Entry::Blob(blob),
            Entry::Layer(layer),
            Entry::other("dir", "/x/y z"),
        ];
        for e in &entries {
            j.record(e).unwrap();
        }
        assert_eq!(read_entries(j.path()).unwrap(), entries);
        fs::OpenOptions::new()
            .append(true)
            .open(j.path())
            .unwrap()
            .write_all(b"blob 12")
            .unwrap();
        assert_eq!(read_entries(j.path()).unwrap(), entries);
        assert_eq!(list(dir.path()).unwrap().len(), 1);
        j.finish().unwrap();
        assert!(list(dir.path()).unwrap().is_empty());
        assert!(read_entries(j.path()).unwrap().is_empty());
        assert!(list(&dir.path().join("missing")).unwrap().is_empty());
    }
}
