//! Docker's stream shapes for attach, exec and logs: without a TTY each chunk of output is
//! framed (an 8-byte header: the stream, 1 stdout or 2 stderr, three zero bytes, the length
//! as u32 big-endian), with one the bytes go raw; and the detach keys that end an attached
//! stdin.

use std::io::{self, Read, Write};

use crate::error::{ApiError, ApiResult};

/// One read, retried when a signal interrupts it (the relays' and pumps' read).
pub fn read_retrying(r: &mut (impl Read + ?Sized), buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// The content type of a raw stream (a TTY's output).
pub const RAW_STREAM: &str = "application/vnd.docker.raw-stream";
/// The content type of a multiplexed stream (stdout and stderr framed).
pub const MULTIPLEXED_STREAM: &str = "application/vnd.docker.multiplexed-stream";

/// The stream number of stdout in a frame header.
pub const STDOUT: u8 = 1;
/// The stream number of stderr in a frame header.
pub const STDERR: u8 = 2;

/// Docker's default detach sequence: ctrl-p, ctrl-q.
pub const DEFAULT_DETACH_KEYS: &[u8] = &[0x10, 0x11];

/// How output goes to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// The bytes as they are (a TTY: one stream).
    Raw,
    /// Each chunk framed with its stream.
    Multiplexed,
}

impl Framing {
    /// Raw with a TTY, multiplexed without.
    pub fn for_tty(tty: bool) -> Framing {
        if tty {
            Framing::Raw
        } else {
            Framing::Multiplexed
        }
    }

    /// The response's content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Framing::Raw => RAW_STREAM,
            Framing::Multiplexed => MULTIPLEXED_STREAM,
        }
    }

    /// Writes `data` of `stream` (one `write_all`, so frames from two writers of the same
    /// socket do not interleave when the writers share a lock).
    pub fn write(self, w: &mut dyn Write, stream: u8, data: &[u8]) -> io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        match self {
            Framing::Raw => w.write_all(data),
            Framing::Multiplexed => w.write_all(&frame(stream, data)),
        }
    }
}

/// One multiplexed frame: the header, then `data`.
pub fn frame(stream: u8, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + data.len());
    v.extend_from_slice(&[stream, 0, 0, 0]);
    v.extend_from_slice(&(data.len() as u32).to_be_bytes());
    v.extend_from_slice(data);
    v
}

/// A writer for one stream that sends whole lines (or what it holds at `flush`) as one
/// frame each: the log reader writes a line in pieces, the client gets it in one.
pub struct StreamWriter<W: Write> {
    inner: W,
    stream: u8,
    framing: Framing,
    buf: Vec<u8>,
}

/// What a [`StreamWriter`] holds at most before it sends without a newline.
const LINE_MAX: usize = 32 << 10;

impl<W: Write> StreamWriter<W> {
    /// Writes `stream`'s output to `inner`.
    pub fn new(inner: W, stream: u8, framing: Framing) -> Self {
        StreamWriter {
            inner,
            stream,
            framing,
            buf: Vec::new(),
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let r = self.framing.write(&mut self.inner, self.stream, &self.buf);
        self.buf.clear();
        r
    }
}

impl<W: Write> Write for StreamWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.ends_with(b"\n") || self.buf.len() >= LINE_MAX {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()?;
        self.inner.flush()
    }
}

/// Parses Docker's detach keys (`ctrl-p,ctrl-q`, `ctrl-@`, single characters); empty is
/// the default. Anything else is a 400, as dockerd answers.
pub fn parse_detach_keys(s: &str) -> ApiResult<Vec<u8>> {
    if s.is_empty() {
        return Ok(DEFAULT_DETACH_KEYS.to_vec());
    }
    let bad = || ApiError::bad_request(format!("Invalid detach keys ({s}) provided"));
    let mut out = Vec::new();
    for key in s.split(',') {
        if key.len() == 1 {
            out.push(key.as_bytes()[0]);
            continue;
        }
        let lower = key.to_ascii_lowercase();
        let c = lower.strip_prefix("ctrl-").ok_or_else(bad)?;
        out.push(match c.as_bytes() {
            [b @ b'a'..=b'z'] => b - b'a' + 1,
            [b'@'] => 0,
            [b'['] => 27,
            [b'\\'] => 28,
            [b']'] => 29,
            [b'^'] => 30,
            [b'_'] => 31,
            _ => return Err(bad()),
        });
    }
    Ok(out)
}

pub use berth_monitor::client::DetachFilter;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_line_writer() {
        assert_eq!(frame(STDERR, b"hi"), [2, 0, 0, 0, 0, 0, 0, 2, b'h', b'i']);
        let mut v = Vec::new();
        {
            let mut w = StreamWriter::new(&mut v, STDOUT, Framing::Multiplexed);
            w.write_all(b"2024-01-01T00:00:00Z ").unwrap();
            w.write_all(b"line").unwrap();
            w.write_all(b"\n").unwrap();
            w.write_all(b"rest").unwrap();
            w.flush().unwrap();
        }
        let mut want = frame(STDOUT, b"2024-01-01T00:00:00Z line\n");
        want.extend(frame(STDOUT, b"rest"));
        assert_eq!(v, want);
        let mut raw = Vec::new();
        Framing::Raw.write(&mut raw, STDERR, b"x").unwrap();
        assert_eq!(raw, b"x");
        assert_eq!(Framing::for_tty(false).content_type(), MULTIPLEXED_STREAM);
    }

    #[test]
    fn detach_keys() {
        assert_eq!(parse_detach_keys("").unwrap(), DEFAULT_DETACH_KEYS);
        assert_eq!(parse_detach_keys("ctrl-a,X").unwrap(), [1, b'X']);
        assert_eq!(parse_detach_keys("Ctrl-@,ctrl-_").unwrap(), [0, 31]);
        assert!(parse_detach_keys("ctrl-1").is_err());
        assert!(parse_detach_keys("shift-a").is_err());
    }
}
