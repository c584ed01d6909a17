//! Writes container output as CRI log lines, rotating the file by size.
//!
//! One line per chunk: `<RFC3339Nano UTC> <stdout|stderr> <F|P> <content>\n`, where `P` marks
//! a chunk that did not end with a newline (a partial line continued by the next chunk).
//! When a line would take the file past `max_size`, `path.(n-1)` ... `path.1`, `path` shift up
//! one and a new `path` is started, keeping `max_files` files in all.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::config::LogConfig;
use crate::error::{IoContext, Result};

/// Which output stream a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// The container's stdout (or its pty).
    Stdout,
    /// The container's stderr.
    Stderr,
}

impl Stream {
    /// The name used in log lines.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// An open CRI log file.
pub struct LogWriter {
    path: PathBuf,
    max_size: u64,
    max_files: u32,
    file: File,
    size: u64,
    line: Vec<u8>,
}

/// The name of rotated file number `n` (`path.n`).
pub fn rotated(path: &Path, n: u32) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

impl LogWriter {
    /// Opens (appending to) the log file of `cfg`, creating its directory if needed.
    pub fn open(cfg: &LogConfig) -> Result<Self> {
        if let Some(dir) = cfg.path.parent() {
            std::fs::create_dir_all(dir).ctx(|| format!("create {}", dir.display()))?;
        }
        let file = open_append(&cfg.path)?;
        let size = file
            .metadata()
            .ctx(|| format!("stat {}", cfg.path.display()))?
            .len();
        Ok(LogWriter {
            path: cfg.path.clone(),
            max_size: cfg.max_size.max(1),
            max_files: cfg.max_files.max(1),
            file,
            size,
            line: Vec::new(),
        })
    }

    /// Logs one chunk of output read from `stream`, one line per newline-terminated piece
    /// and a `P` line for a trailing piece without newline.
    pub fn write_chunk(&mut self, stream: Stream, data: &[u8]) -> Result<()> {
        let ts = crate::time::format(SystemTime::now());
        let mut rest = data;
        while !rest.is_empty() {
            let (piece, full) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => (&rest[..i], true),
                None => (rest, false),
            };
            rest = &rest[(piece.len() + usize::from(full)).min(rest.len())..];
            self.line.clear();
            self.line.extend_from_slice(ts.as_bytes());
            self.line.push(b' ');
            self.line.extend_from_slice(stream.as_str().as_bytes());
            self.line
                .extend_from_slice(if full { b" F " } else { b" P " });
            self.line.extend_from_slice(piece);
            self.line.push(b'\n');
            self.append_line()?;
        }
        // Do not keep a big buffer around after a burst.
        if self.line.capacity() > 64 << 10 {
            self.line = Vec::new();
        }
        Ok(())
    }

    fn append_line(&mut self) -> Result<()> {
        let len = self.line.len() as u64;
        if self.size > 0 && self.size + len > self.max_size {
            self.rotate()?;
        }
        self.file
            .write_all(&self.line)
            .ctx(|| format!("write {}", self.path.display()))?;
        self.size += len;
        Ok(())
    }

    /// Shifts the files up one (dropping the oldest) and starts an empty current file.
    fn rotate(&mut self) -> Result<()> {
        if self.max_files <= 1 {
            self.file
                .set_len(0)
                .ctx(|| format!("truncate {}", self.path.display()))?;
            self.size = 0;
            return Ok(());
        }
        let last = self.max_files - 1;
        let _ = std::fs::remove_file(rotated(&self.path, last));
        for n in (1..last).rev() {
            let from = rotated(&self.path, n);
            if from.exists() {
                std::fs::rename(&from, rotated(&self.path, n + 1))
                    .ctx(|| format!("rotate {}", from.display()))?;
            }
        }
        std::fs::rename(&self.path, rotated(&self.path, 1))
            .ctx(|| format!("rotate {}", self.path.display()))?;
        self.file = open_append(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

fn open_append(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .ctx(|| format!("open log {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(dir: &Path, max_size: u64, max_files: u32) -> LogConfig {
        LogConfig {
            path: dir.join("ctr.log"),
            max_size,
            max_files,
        }
    }

    #[test]
    fn lines_and_partials() {
        let d = tempfile::tempdir().unwrap();
        let c = cfg(d.path(), 1 << 20, 3);
        let mut w = LogWriter::open(&c).unwrap();
        w.write_chunk(Stream::Stdout, b"a\nbc").unwrap();
        w.write_chunk(Stream::Stderr, b"err\n").unwrap();
        let text = std::fs::read_to_string(&c.path).unwrap();
        let tails: Vec<&str> = text.lines().map(|l| l.split_once(' ').unwrap().1).collect();
        assert_eq!(tails, ["stdout F a", "stdout P bc", "stderr F err"]);
        assert!(crate::time::parse(text.split(' ').next().unwrap()).is_some());
    }

    #[test]
    fn rotation_keeps_max_files() {
        let d = tempfile::tempdir().unwrap();
        let c = cfg(d.path(), 100, 3);
        let mut w = LogWriter::open(&c).unwrap();
        for i in 0..20 {
            w.write_chunk(Stream::Stdout, format!("line {i}\n").as_bytes())
                .unwrap();
        }
        assert!(c.path.exists());
        assert!(rotated(&c.path, 1).exists());
        assert!(rotated(&c.path, 2).exists());
        assert!(!rotated(&c.path, 3).exists());
        for p in [c.path.clone(), rotated(&c.path, 1), rotated(&c.path, 2)] {
            assert!(std::fs::metadata(&p).unwrap().len() <= 100);
        }
        let cur = std::fs::read_to_string(&c.path).unwrap();
        assert!(cur.ends_with("line 19\n"));
    }
}
