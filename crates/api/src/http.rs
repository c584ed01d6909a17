//! The synchronous face of HTTP that handlers see: a [`Request`] with a blocking body
//! reader, and a [`Reply`] that is a document, a stream written from a blocking thread, or
//! a hijacked connection handed over as a unix socket.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;

use bytes::Bytes;
use hyper::header::HeaderMap;
use hyper::{Method, StatusCode};
use tokio::sync::mpsc;

use crate::error::{ApiError, ApiResult};
use crate::query::Query;
use crate::version::ApiVersion;

/// One API request, as a handler sees it.
pub struct Request {
    /// GET, POST, ...
    pub method: Method,
    /// The path without its `/vX.Y` prefix (`/containers/json`).
    pub path: String,
    /// The API version the client asked for (the newest when it gave none).
    pub version: ApiVersion,
    /// Query parameters.
    pub query: Query,
    /// Request headers.
    pub headers: HeaderMap,
    /// The request body, read as it arrives.
    pub body: BodyReader,
}

impl Request {
    /// The path split on `/`, without empty segments (`["containers", "abc", "json"]`).
    pub fn segments(&self) -> Vec<&str> {
        self.path.split('/').filter(|s| !s.is_empty()).collect()
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The whole body (at most `limit` bytes; more is a 400).
    pub fn bytes(&mut self, limit: usize) -> ApiResult<Vec<u8>> {
        let mut buf = Vec::new();
        (&mut self.body)
            .take(limit as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| ApiError::bad_request(format!("reading the request body: {e}")))?;
        if buf.len() > limit {
            return Err(ApiError::bad_request(format!(
                "request body larger than {limit} bytes"
            )));
        }
        Ok(buf)
    }

    /// The body as JSON of type `T` (an empty body is `null`); malformed JSON or unknown
    /// shapes are a 400 with serde's message.
    pub fn json<T: serde::de::DeserializeOwned>(&mut self) -> ApiResult<T> {
        let buf = self.bytes(JSON_LIMIT)?;
        let text: &[u8] = if buf.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &buf
        };
        serde_json::from_slice(text)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON: {e}")))
    }
}

/// The most a JSON request body may hold.
pub const JSON_LIMIT: usize = 16 << 20;

/// A producer of a streamed response body, run on a blocking thread.
pub type Producer = Box<dyn FnOnce(BodyWriter) + Send>;

/// A handler for a hijacked connection: the client's raw byte stream, both ways.
pub type Hijacker = Box<dyn FnOnce(UnixStream) + Send>;

/// What a handler answers.
pub enum Reply {
    /// A JSON document.
    Json(StatusCode, serde_json::Value),
    /// No body (204, 304, a bare 200).
    Empty(StatusCode),
    /// Bytes with a content type.
    Bytes(StatusCode, &'static str, Vec<u8>),
    /// A body streamed by `producer` (logs, events, stats, progress), with a content type.
    Stream {
        /// The status sent before the body.
        status: StatusCode,
        /// The body's content type.
        content_type: &'static str,
        /// Extra headers.
        headers: Vec<(&'static str, String)>,
        /// Writes the body; the response ends when it returns.
        producer: Producer,
    },
    /// The connection is taken over (attach, exec start): `101 Switching Protocols` when the
    /// client asked to upgrade, else a 200 whose body is what the handler writes.
    Hijack {
        /// `application/vnd.docker.raw-stream` or `application/vnd.docker.multiplexed-stream`.
        content_type: &'static str,
        /// Runs with the connection.
        handler: Hijacker,
    },
}

impl Reply {
    /// 200 with a JSON document.
    pub fn ok(v: serde_json::Value) -> ApiResult<Reply> {
        Ok(Reply::Json(StatusCode::OK, v))
    }

    /// 201 with a JSON document.
    pub fn created(v: serde_json::Value) -> ApiResult<Reply> {
        Ok(Reply::Json(StatusCode::CREATED, v))
    }

    /// 204 No Content.
    pub fn no_content() -> ApiResult<Reply> {
        Ok(Reply::Empty(StatusCode::NO_CONTENT))
    }

    /// A streamed body.
    pub fn stream(
        content_type: &'static str,
        producer: impl FnOnce(BodyWriter) + Send + 'static,
    ) -> ApiResult<Reply> {
        Ok(Reply::Stream {
            status: StatusCode::OK,
            content_type,
            headers: Vec::new(),
            producer: Box::new(producer),
        })
    }
}

/// Reads a request body as it arrives (a blocking [`Read`]).
pub struct BodyReader {
    rx: Option<mpsc::Receiver<io::Result<Bytes>>>,
    chunk: Bytes,
}

impl BodyReader {
    /// A reader fed by `rx`.
    pub fn new(rx: mpsc::Receiver<io::Result<Bytes>>) -> BodyReader {
        BodyReader {
            rx: Some(rx),
            chunk: Bytes::new(),
        }
    }

    /// A body that is empty.
    pub fn empty() -> BodyReader {
        BodyReader {
            rx: None,
            chunk: Bytes::new(),
        }
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            let Some(rx) = self.rx.as_mut() else {
                return Ok(0);
            };
            match rx.blocking_recv() {
                Some(Ok(b)) => self.chunk = b,
                Some(Err(e)) => return Err(e),
                None => {
                    self.rx = None;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        let _ = self.chunk.split_to(n);
        Ok(n)
    }
}

/// Writes a streamed response body from a blocking thread; each `write` is sent as it is
/// (so a JSON line or a log frame reaches the client at once). Fails with `BrokenPipe`
/// once the client has gone, so producers stop.
pub struct BodyWriter {
    tx: mpsc::Sender<Bytes>,
}

impl BodyWriter {
    /// A writer feeding `tx`.
    pub fn new(tx: mpsc::Sender<Bytes>) -> BodyWriter {
        BodyWriter { tx }
    }

    /// Writes one JSON value followed by a newline (a progress or event line).
    pub fn json_line(&mut self, v: &serde_json::Value) -> io::Result<()> {
        let mut line = serde_json::to_vec(v).map_err(io::Error::other)?;
        line.push(b'\n');
        self.write_all(&line)
    }

    /// True once the client has gone away.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl Write for BodyWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.tx
            .blocking_send(Bytes::copy_from_slice(buf))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
