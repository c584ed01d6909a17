//! The control-socket protocol between the monitor and its clients (`berth run`, `attach`,
//! `start`).
//!
//! A stream of frames `[kind u8][len u32 big-endian][payload]` in both directions. The client
//! speaks first with a [`Hello`] frame. Then:
//!
//! | kind | direction | payload |
//! | --- | --- | --- |
//! | `HELLO` (16) | client -> monitor | version (1), flags: stdin 1, stdout 2, stderr 4, start 8 |
//! | `STDIN` (17) | client -> monitor | bytes for the container's stdin (or pty) |
//! | `STDIN_CLOSE` (18) | client -> monitor | empty: close the container's stdin |
//! | `RESIZE` (19) | client -> monitor | rows u16 BE, cols u16 BE (pty only) |
//! | `START` (20) | client -> monitor | empty: start the created container |
//! | `STDOUT` (1) | monitor -> client | container output (the pty's, with a tty) |
//! | `STDERR` (2) | monitor -> client | container stderr |
//! | `EXIT` (3) | monitor -> client | exit code as decimal text; the monitor then closes |
//! | `ERROR` (4) | monitor -> client | error text (e.g. start failed); the monitor then closes |
//!
//! Output produced while no client wants it goes only to the log.

use std::io::{self, Read, Write};

/// Container stdout data (monitor -> client).
pub const STDOUT: u8 = 1;
/// Container stderr data (monitor -> client).
pub const STDERR: u8 = 2;
/// The container exited; payload is the code in decimal (monitor -> client).
pub const EXIT: u8 = 3;
/// Something failed; payload is the message (monitor -> client).
pub const ERROR: u8 = 4;
/// The client's first frame (client -> monitor).
pub const HELLO: u8 = 16;
/// Data for the container's stdin (client -> monitor).
pub const STDIN: u8 = 17;
/// Close the container's stdin (client -> monitor).
pub const STDIN_CLOSE: u8 = 18;
/// Resize the pty: rows u16 BE, cols u16 BE (client -> monitor).
pub const RESIZE: u8 = 19;
/// Start the created container (client -> monitor).
pub const START: u8 = 20;

/// The protocol version carried in the hello.
pub const VERSION: u8 = 1;
/// The largest payload either side accepts.
pub const MAX_PAYLOAD: usize = 1 << 20;
/// Frame header size.
pub const HEADER: usize = 5;

/// What a client wants from the monitor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hello {
    /// The client will send stdin data.
    pub stdin: bool,
    /// Send the container's stdout.
    pub stdout: bool,
    /// Send the container's stderr.
    pub stderr: bool,
    /// Start the container now (after the attach is in place, so no output is lost).
    pub start: bool,
}

impl Hello {
    /// The hello's payload.
    pub fn encode(&self) -> [u8; 2] {
        let flags = u8::from(self.stdin)
            | u8::from(self.stdout) << 1
            | u8::from(self.stderr) << 2
            | u8::from(self.start) << 3;
        [VERSION, flags]
    }

    /// Parses a hello payload.
    pub fn decode(p: &[u8]) -> Option<Hello> {
        match p {
            [VERSION, flags, ..] => Some(Hello {
                stdin: flags & 1 != 0,
                stdout: flags & 2 != 0,
                stderr: flags & 4 != 0,
                start: flags & 8 != 0,
            }),
            _ => None,
        }
    }
}

/// Writes one frame with a single `write` when it fits, so frames written from two handles
/// of the same socket do not interleave.
pub fn write_frame(w: &mut dyn Write, kind: u8, payload: &[u8]) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    let len = (payload.len() as u32).to_be_bytes();
    buf[0] = kind;
    buf[1..HEADER].copy_from_slice(&len);
    if payload.len() <= buf.len() - HEADER {
        buf[HEADER..HEADER + payload.len()].copy_from_slice(payload);
        w.write_all(&buf[..HEADER + payload.len()])
    } else {
        w.write_all(&buf[..HEADER])?;
        w.write_all(payload)
    }
}

/// Reads one frame, blocking; None at a clean end of stream before a header.
pub fn read_frame(r: &mut dyn Read) -> io::Result<Option<(u8, Vec<u8>)>> {
    let mut h = [0u8; HEADER];
    let mut got = 0;
    while got < HEADER {
        match r.read(&mut h[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let len = u32::from_be_bytes([h[1], h[2], h[3], h[4]]) as usize;
    if len > MAX_PAYLOAD {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes is too large"),
        ));
    }
    let mut p = vec![0u8; len];
    r.read_exact(&mut p)?;
    Ok(Some((h[0], p)))
}

/// Reassembles frames from bytes read without blocking.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    /// Appends bytes read from the peer.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Whether a lot of input is waiting (the reader should pause).
    pub fn backlog(&self) -> usize {
        self.buf.len()
    }

    /// Takes the next complete frame, if any; an error when the peer announced an
    /// oversized frame.
    pub fn next_frame(&mut self) -> Result<Option<(u8, Vec<u8>)>, String> {
        if self.buf.len() < HEADER {
            return Ok(None);
        }
        let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]) as usize;
        if len > MAX_PAYLOAD {
            return Err(format!("frame of {len} bytes is too large"));
        }
        if self.buf.len() < HEADER + len {
            return Ok(None);
        }
        let kind = self.buf[0];
        let payload = self.buf[HEADER..HEADER + len].to_vec();
        self.buf.drain(..HEADER + len);
        if self.buf.is_empty() && self.buf.capacity() > 64 << 10 {
            self.buf = Vec::new();
        }
        Ok(Some((kind, payload)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_round_trip() {
        let h = Hello {
            stdin: true,
            stdout: false,
            stderr: true,
            start: true,
        };
        assert_eq!(Hello::decode(&h.encode()), Some(h));
        assert_eq!(Hello::decode(&[9, 0]), None);
    }

    #[test]
    fn frames() {
        let mut v = Vec::new();
        write_frame(&mut v, STDOUT, b"hi").unwrap();
        write_frame(&mut v, EXIT, &vec![b'7'; 5000]).unwrap();
        let mut d = Decoder::default();
        d.push(&v[..3]);
        assert_eq!(d.next_frame().unwrap(), None);
        d.push(&v[3..]);
        assert_eq!(d.next_frame().unwrap(), Some((STDOUT, b"hi".to_vec())));
        assert_eq!(d.next_frame().unwrap().unwrap().1.len(), 5000);
        let mut r = &v[..];
        assert_eq!(read_frame(&mut r).unwrap().unwrap().0, STDOUT);
        assert_eq!(read_frame(&mut r).unwrap().unwrap().0, EXIT);
        assert!(read_frame(&mut r).unwrap().is_none());
    }
}
