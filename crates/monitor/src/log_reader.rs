//! Reads CRI log files back for `berth logs`: rotated files oldest first, partial lines joined,
//! stdout and stderr to separate writers, optional tail / since / until / timestamps, and
//! follow mode (a short poll sleep) until the container is gone.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{IoContext, Result};
use crate::log_writer::rotated;

/// What `berth logs` asks for.
#[derive(Debug, Clone, Default)]
pub struct LogsOptions {
    /// Keep reading new output until `stop()` says the container is gone.
    pub follow: bool,
    /// Only the last N lines (of those within since/until).
    pub tail: Option<usize>,
    /// Only lines logged at or after this time.
    pub since: Option<SystemTime>,
    /// Only lines logged before this time.
    pub until: Option<SystemTime>,
    /// Prefix each line with its RFC 3339 nano timestamp and a space.
    pub timestamps: bool,
}

/// How long follow mode sleeps when there is nothing new.
const FOLLOW_POLL: Duration = Duration::from_millis(100);

/// One complete (joined) line.
struct Entry {
    ts: String,
    stderr: bool,
    content: Vec<u8>,
}

/// Writes the container's logged output at `path` (and its rotated files) to `out` (stdout
/// lines) and `err` (stderr lines). With `follow`, returns once `stop()` is true and
/// everything logged so far has been written. A missing log file is an empty log.
pub fn read_logs(
    path: &Path,
    opts: &LogsOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
    stop: impl Fn() -> bool,
) -> Result<()> {
    let mut r = Reader {
        opts,
        out,
        err,
        pending: [None, None],
        tail: opts.tail.map(|n| VecDeque::with_capacity(n.min(4096))),
        past_until: false,
    };
    let mut files = rotated_files(path);
    files.pop();
    for f in files {
        if let Ok(file) = File::open(&f) {
            let mut br = BufReader::new(file);
            r.read_lines(&mut br, &f, &mut Vec::new())?;
        }
    }
    // The current file stays open: follow mode continues from where this pass ends.
    let mut cur = open_current(path);
    let mut partial = Vec::new();
    if let Some((br, _)) = cur.as_mut() {
        r.read_lines(br, path, &mut partial)?;
    }
    if !opts.follow {
        return r.finish();
    }
    r.flush_tail()?;
    follow(path, &mut r, cur, partial, stop)
}

/// Opens the current log file with its inode number (to notice rotation).
fn open_current(path: &Path) -> Option<(BufReader<File>, u64)> {
    let f = File::open(path).ok()?;
    let ino = f.metadata().ok()?.ino();
    Some((BufReader::new(f), ino))
}

/// The existing log files, oldest first: `path.N`, ..., `path.1`, `path`.
fn rotated_files(path: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = (1..1000)
        .map(|n| rotated(path, n))
        .take_while(|p| p.exists())
        .collect();
    files.reverse();
    files.push(path.to_path_buf());
    files
}

/// Follow mode: reads `path` as it grows, reopening it when it is rotated away.
fn follow(
    path: &Path,
    r: &mut Reader<'_>,
    mut cur: Option<(BufReader<File>, u64)>,
    mut partial: Vec<u8>,
    stop: impl Fn() -> bool,
) -> Result<()> {
    loop {
        let stopping = stop();
        if let Some((br, _)) = cur.as_mut() {
            r.read_lines(br, path, &mut partial)?;
        }
        if r.past_until {
            return r.finish();
        }
        let now_ino = std::fs::metadata(path).ok().map(|m| m.ino());
        let rotated_away = match (&cur, now_ino) {
            (Some((_, ino)), Some(n)) => *ino != n,
            (None, Some(_)) => true,
            _ => false,
        };
        if rotated_away {
            // Drain what is left of the old file, then switch.
            if let Some((br, _)) = cur.as_mut() {
                r.read_lines(br, path, &mut partial)?;
            }
            partial.clear();
            cur = open_current(path);
            continue;
        }
        if stopping {
            return r.finish();
        }
        r.out.flush().ctx(|| "write logs".into())?;
        r.err.flush().ctx(|| "write logs".into())?;
        std::thread::sleep(FOLLOW_POLL);
    }
}

struct Reader<'a> {
    opts: &'a LogsOptions,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    /// Partial lines being joined, per stream (stdout, stderr): first timestamp, content.
    pending: [Option<(String, Vec<u8>)>; 2],
    tail: Option<VecDeque<Entry>>,
    past_until: bool,
}

impl Reader<'_> {
    /// Reads every complete line available from `br`; an unterminated last line (a write in
    /// progress) stays in `partial` for the next call.
    fn read_lines(
        &mut self,
        br: &mut BufReader<File>,
        name: &Path,
        partial: &mut Vec<u8>,
    ) -> Result<()> {
        loop {
            let n = br
                .read_until(b'\n', partial)
                .ctx(|| format!("read {}", name.display()))?;
            if n == 0 || partial.last() != Some(&b'\n') {
                return Ok(());
            }
            partial.pop();
            let line = std::mem::take(partial);
            self.line(&line)?;
        }
    }

    /// Handles one raw CRI line; malformed lines are skipped.
    fn line(&mut self, raw: &[u8]) -> Result<()> {
        let mut parts = raw.splitn(4, |&b| b == b' ');
        let (Some(ts), Some(stream), Some(tag)) = (parts.next(), parts.next(), parts.next()) else {
            return Ok(());
        };
        let content = parts.next().unwrap_or_default();
        let idx = match stream {
            b"stdout" => 0,
            b"stderr" => 1,
            _ => return Ok(()),
        };
        let ts = String::from_utf8_lossy(ts).into_owned();
        let slot = &mut self.pending[idx];
        let (ts, mut buf) = slot.take().unwrap_or((ts, Vec::new()));
        buf.extend_from_slice(content);
        if tag == b"P" {
            *slot = Some((ts, buf));
            return Ok(());
        }
        self.entry(Entry {
            ts,
            stderr: idx == 1,
            content: buf,
        })
    }

    fn entry(&mut self, e: Entry) -> Result<()> {
        if self.opts.since.is_some() || self.opts.until.is_some() {
            let Some(t) = crate::time::parse(&e.ts) else {
                return Ok(());
            };
            if self.opts.since.is_some_and(|s| t < s) {
                return Ok(());
            }
            if self.opts.until.is_some_and(|u| t >= u) {
                self.past_until = true;
                return Ok(());
            }
        }
        match &mut self.tail {
            Some(q) => {
                if q.len() == self.opts.tail.unwrap_or(0) {
                    q.pop_front();
                }
                if self.opts.tail != Some(0) {
                    q.push_back(e);
                }
                Ok(())
            }
            None => self.emit(&e),
        }
    }

    fn emit(&mut self, e: &Entry) -> Result<()> {
        let w: &mut dyn Write = if e.stderr { self.err } else { self.out };
        let mut go = || -> std::io::Result<()> {
            if self.opts.timestamps {
                w.write_all(e.ts.as_bytes())?;
                w.write_all(b" ")?;
            }
            w.write_all(&e.content)?;
            w.write_all(b"\n")
        };
        go().ctx(|| "write logs".into())
    }

    /// Writes the tail collected so far; later lines go straight out.
    fn flush_tail(&mut self) -> Result<()> {
        if let Some(q) = self.tail.take() {
            for e in &q {
                self.emit(e)?;
            }
        }
        Ok(())
    }

    /// Writes the tail and any still-partial lines (as Docker does when a container ends
    /// without a final newline), then flushes.
    fn finish(&mut self) -> Result<()> {
        for idx in 0..2 {
            if let Some((ts, content)) = self.pending[idx].take() {
                self.entry(Entry {
                    ts,
                    stderr: idx == 1,
                    content,
                })?;
            }
        }
        self.flush_tail()?;
        self.out.flush().ctx(|| "write logs".into())?;
        self.err.flush().ctx(|| "write logs".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LogConfig;
    use crate::log_writer::{LogWriter, Stream};

    fn write(dir: &Path, max_size: u64) -> PathBuf {
        let c = LogConfig {
            path: dir.join("c.log"),
            max_size,
            max_files: 10,
        };
        let mut w = LogWriter::open(&c).unwrap();
        w.write_chunk(Stream::Stdout, b"one\ntw").unwrap();
        w.write_chunk(Stream::Stderr, b"oops\n").unwrap();
        w.write_chunk(Stream::Stdout, b"o\nthree\n").unwrap();
        w.write_chunk(Stream::Stdout, b"four").unwrap();
        c.path
    }

    fn read(path: &Path, opts: &LogsOptions) -> (String, String) {
        let (mut o, mut e) = (Vec::new(), Vec::new());
        read_logs(path, opts, &mut o, &mut e, || true).unwrap();
        (String::from_utf8(o).unwrap(), String::from_utf8(e).unwrap())
    }

    #[test]
    fn joins_partials_and_splits_streams() {
        let d = tempfile::tempdir().unwrap();
        for size in [1 << 20, 60] {
            let p = write(d.path(), size);
            let (o, e) = read(&p, &LogsOptions::default());
            assert_eq!(o, "one\ntwo\nthree\nfour\n", "max_size {size}");
            assert_eq!(e, "oops\n");
            for f in rotated_files(&p) {
                let _ = std::fs::remove_file(f);
            }
        }
    }

    #[test]
    fn tail_and_timestamps() {
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), 1 << 20);
        let opts = LogsOptions {
            tail: Some(2),
            ..Default::default()
        };
        assert_eq!(read(&p, &opts).0, "three\nfour\n");
        let opts = LogsOptions {
            timestamps: true,
            ..Default::default()
        };
        let (_, e) = read(&p, &opts);
        let (ts, rest) = e.split_once(' ').unwrap();
        assert!(crate::time::parse(ts).is_some());
        assert_eq!(rest, "oops\n");
        let opts = LogsOptions {
            since: Some(SystemTime::now() + Duration::from_secs(5)),
            ..Default::default()
        };
        assert_eq!(read(&p, &opts), (String::new(), String::new()));
    }

    #[test]
    fn missing_file_is_empty() {
        let d = tempfile::tempdir().unwrap();
        let (o, e) = read(&d.path().join("none.log"), &LogsOptions::default());
        assert!(o.is_empty() && e.is_empty());
    }
}
