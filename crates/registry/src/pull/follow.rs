//! A blob as its download writes it, read by the unpacker close behind: the layer is unpacked
//! while it downloads, so network, decompression and disk overlap even for a one-layer image.
//! The unpacked content is checked against the configuration's diff ID, so it is right
//! whatever the download's own check later says.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::sync::{Condvar, Mutex};

/// The shared state of one blob's download.
#[derive(Debug, Default)]
pub struct Growth {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    file: Option<File>,
    written: u64,
    end: Option<bool>,
    restarted: bool,
}

impl Growth {
    /// The download writes `file`, which holds `written` bytes already.
    pub fn attach(&self, file: File, written: u64) {
        self.update(|s| {
            s.file = Some(file);
            s.written = written;
        });
    }

    /// The file now holds `written` bytes.
    pub fn grew(&self, written: u64) {
        self.update(|s| s.written = written);
    }

    /// The download starts over: what a follower read may be gone.
    pub fn restart(&self) {
        self.update(|s| s.restarted = true);
    }

    /// The download ended (`ok`: the blob is complete and checked).
    pub fn finish(&self, ok: bool) {
        self.update(|s| {
            if s.end.is_none() {
                s.end = Some(ok);
            }
        });
    }

    fn update(&self, f: impl FnOnce(&mut State)) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut s);
        self.changed.notify_all();
    }

    /// A reader of the blob from its start that waits for the bytes still to come.
    pub fn follow(&self) -> Follower<'_> {
        Follower {
            growth: self,
            pos: 0,
        }
    }
}

/// Reads a [`Growth`] from the start; an error if the download fails or restarts.
pub struct Follower<'a> {
    growth: &'a Growth,
    pos: u64,
}

impl Read for Follower<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut s = self.growth.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if s.restarted {
                return Err(io::Error::other("the download started over"));
            }
            if let (Some(file), true) = (&s.file, self.pos < s.written) {
                let want = buf.len().min((s.written - self.pos) as usize);
                let file = file.try_clone()?;
                drop(s);
                let n = file.read_at(&mut buf[..want], self.pos)?;
                self.pos += n as u64;
                return Ok(n);
            }
            match s.end {
                Some(true) => return Ok(0),
                Some(false) => return Err(io::Error::other("the download failed")),
                None => {}
            }
            s = self
                .growth
                .changed
                .wait(s)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Ends a [`Growth`] as failed unless it was finished: every exit of a download is seen.
pub struct FinishOnDrop<'a>(pub &'a Growth);

impl Drop for FinishOnDrop<'_> {
    fn drop(&mut self) {
        self.0.finish(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn follower_reads_what_is_written_then_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob");
        let mut w = File::create(&path).unwrap();
        let g = Growth::default();
        std::thread::scope(|s| {
            let reader = s.spawn(|| {
                let mut out = Vec::new();
                g.follow().read_to_end(&mut out).map(|_| out)
            });
            g.attach(File::open(&path).unwrap(), 0);
            for chunk in [&b"hello "[..], b"world"] {
                w.write_all(chunk).unwrap();
                let len = w.metadata().unwrap().len();
                g.grew(len);
            }
            g.finish(true);
            assert_eq!(reader.join().unwrap().unwrap(), b"hello world");
        });
        let g = Growth::default();
        g.attach(File::open(&path).unwrap(), 3);
        g.finish(false);
        let mut out = Vec::new();
        assert!(g.follow().read_to_end(&mut out).is_err());
        assert_eq!(out, b"hel");
    }
}
