//! Reading a response body: `Content-Length`, chunked transfer-coding, or until the server
//! closes the connection.

use std::io::{self, BufReader, Read};

use super::conn::Conn;
use super::error::FetchError;
use super::http::read_line_str;

/// How a body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// Exactly this many bytes (`Content-Length`).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the connection closes.
    UntilClose,
}

/// A response body being read off the connection.
pub(crate) struct Body {
    reader: BufReader<Conn>,
    framing: Framing,
    url: String,
    /// Bytes left in the current chunk (chunked) or in the body (length).
    remaining: u64,
    done: bool,
}

impl Body {
    /// A body on `reader` delimited by `framing`.
    pub fn new(reader: BufReader<Conn>, framing: Framing, url: String) -> Body {
        let remaining = match framing {
            Framing::Length(n) => n,
            _ => 0,
        };
        Body {
            reader,
            framing,
            url,
            remaining,
            done: framing == Framing::Length(0),
        }
    }

    /// The announced length, when the server sent `Content-Length`.
    pub fn content_length(&self) -> Option<u64> {
        match self.framing {
            Framing::Length(n) => Some(n),
            _ => None,
        }
    }

    /// Reads up to `buf.len()` bytes of body; `Ok(0)` at its end.
    pub fn read_chunk(&mut self, buf: &mut [u8]) -> Result<usize, FetchError> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        match self.framing {
            Framing::UntilClose => self.read_raw(buf),
            Framing::Length(total) => {
                let want = buf
                    .len()
                    .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
                let n = self.read_raw(&mut buf[..want])?;
                if n == 0 {
                    return Err(FetchError::Truncated {
                        url: self.url.clone(),
                        received: total - self.remaining,
                        expected: total,
                    });
                }
                self.remaining -= n as u64;
                self.done = self.remaining == 0;
                Ok(n)
            }
            Framing::Chunked => {
                if self.remaining == 0 {
                    self.remaining = self.next_chunk_size()?;
                    if self.remaining == 0 {
                        self.read_trailers()?;
                        self.done = true;
                        return Ok(0);
                    }
                }
                let want = buf
                    .len()
                    .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
                let n = self.read_raw(&mut buf[..want])?;
                if n == 0 {
                    return Err(self.protocol("connection closed inside a chunk"));
                }
                self.remaining -= n as u64;
                if self.remaining == 0 {
                    // Each chunk's data is followed by CRLF.
                    match read_line_str(&mut self.reader, &self.url)? {
                        Some(l) if l.is_empty() => {}
                        _ => return Err(self.protocol("missing CRLF after chunk data")),
                    }
                }
                Ok(n)
            }
        }
    }

    fn read_raw(&mut self, buf: &mut [u8]) -> Result<usize, FetchError> {
        loop {
            match self.reader.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => {
                    return r.map_err(|source| FetchError::Io {
                        url: self.url.clone(),
                        context: "reading the body",
                        source,
                    })
                }
            }
        }
    }

    /// Reads a `size[;ext]` chunk header line.
    fn next_chunk_size(&mut self) -> Result<u64, FetchError> {
        let line = read_line_str(&mut self.reader, &self.url)?
            .ok_or_else(|| self.protocol("connection closed before the last chunk"))?;
        let size = line.split(';').next().unwrap_or_default().trim();
        u64::from_str_radix(size, 16)
            .map_err(|_| self.protocol(&format!("bad chunk size line {line:?}")))
    }

    /// Skips trailer fields after the last chunk, up to the blank line.
    fn read_trailers(&mut self) -> Result<(), FetchError> {
        loop {
            match read_line_str(&mut self.reader, &self.url)? {
                // A server that closes right after `0\r\n` has still sent the whole body.
                None => return Ok(()),
                Some(l) if l.is_empty() => return Ok(()),
                Some(_) => {}
            }
        }
    }

    fn protocol(&self, reason: &str) -> FetchError {
        FetchError::Protocol {
            url: self.url.clone(),
            reason: reason.to_string(),
        }
    }
}
