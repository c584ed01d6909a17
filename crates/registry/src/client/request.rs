//! Sending one request: authorization, the 401 retry, and bounded retries with backoff for
//! 5xx, 429 and broken connections.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::thread::sleep;
use std::time::Duration;

use ureq::http::Response;
use ureq::SendBody;

use super::Registry;
use crate::auth::Scope;
use crate::error::{Error, Result};
use crate::http;

/// Attempts for a request that fails with 5xx, 429 or a broken connection.
const ATTEMPTS: u32 = 4;
/// The first backoff; it doubles after each attempt.
const FIRST_BACKOFF: Duration = Duration::from_millis(300);
/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// A request body that can be sent again on a retry.
#[derive(Debug, Clone)]
pub enum Body {
    /// No body.
    Empty,
    /// Bytes in memory (manifests).
    Bytes(Vec<u8>),
    /// `len` bytes of a file from `offset` (blob uploads).
    File {
        /// The file.
        path: PathBuf,
        /// Where the part starts.
        offset: u64,
        /// How long it is.
        len: u64,
    },
}

impl Registry {
    /// Sends `method path` (a path starting with `/v2/`, or an absolute URL from a
    /// `Location` header) with authorization for `scopes`, `headers` and `body`. Returns the
    /// final response, whatever its status (callers map statuses to errors).
    pub fn send(
        &self,
        method: &str,
        path: &str,
        scopes: &[Scope],
        headers: &[(&str, String)],
        body: Body,
    ) -> Result<Response<ureq::Body>> {
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            self.url(path)
        };
        let mut auth_retried = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let authorization = self.auth.header(scopes)?;
            match self.send_once(method, &url, authorization.as_deref(), headers, &body) {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    if status == 401 && !auth_retried {
                        auth_retried = true;
                        let h = resp
                            .headers()
                            .get("www-authenticate")
                            .and_then(|v| v.to_str().ok());
                        if self.auth.challenged(h, scopes) {
                            continue;
                        }
                        return Ok(resp);
                    }
                    if (status == 429 || status >= 500) && attempt < ATTEMPTS {
                        sleep(backoff(attempt, retry_after(&resp)));
                        continue;
                    }
                    return Ok(resp);
                }
                Err(e) if attempt < ATTEMPTS && retryable(&e, attempt) => {
                    sleep(backoff(attempt, None));
                }
                Err(e) => {
                    return Err(Error::Transport {
                        url: redact(&url),
                        reason: http::describe(&e),
                    })
                }
            }
        }
    }

    fn send_once(
        &self,
        method: &str,
        url: &str,
        authorization: Option<&str>,
        headers: &[(&str, String)],
        body: &Body,
    ) -> std::result::Result<Response<ureq::Body>, ureq::Error> {
        let mut req = ureq::http::Request::builder().method(method).uri(url);
        if let Some(a) = authorization {
            req = req.header("Authorization", a);
        }
        for (k, v) in headers {
            req = req.header(*k, v.as_str());
        }
        match body {
            Body::Empty => {
                let has_body = matches!(method, "PUT" | "POST" | "PATCH");
                if has_body {
                    req = req.header("Content-Length", "0");
                }
                let r = req.body(()).map_err(ureq::Error::Http)?;
                self.agent.run(r)
            }
            Body::Bytes(b) => {
                let r = req
                    .header("Content-Length", b.len().to_string())
                    .body(b.as_slice())
                    .map_err(ureq::Error::Http)?;
                self.agent.run(r)
            }
            Body::File { path, offset, len } => {
                let mut f = File::open(path)?;
                f.seek(SeekFrom::Start(*offset))?;
                let mut part = f.take(*len);
                let r = req
                    .header("Content-Length", len.to_string())
                    .header("Content-Type", "application/octet-stream")
                    .body(SendBody::from_reader(&mut part))
                    .map_err(ureq::Error::Http)?;
                self.agent.run(r)
            }
        }
    }
}

/// Runs `send` until it gives an answer that is not 5xx or 429, or (unless
/// `retry_transport`) any transport error, or one a retry cannot help; at most [`ATTEMPTS`]
/// times with backoff. For requests outside [`Registry::send`]: tokens, the first `/v2/`.
pub(crate) fn with_retries(
    retry_transport: bool,
    mut send: impl FnMut() -> std::result::Result<Response<ureq::Body>, ureq::Error>,
) -> std::result::Result<Response<ureq::Body>, ureq::Error> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match send() {
            Ok(resp) => {
                let status = resp.status().as_u16();
                if (status == 429 || status >= 500) && attempt < ATTEMPTS {
                    sleep(backoff(attempt, retry_after(&resp)));
                    continue;
                }
                return Ok(resp);
            }
            Err(e) if retry_transport && attempt < ATTEMPTS && retryable(&e, attempt) => {
                sleep(backoff(attempt, None));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Whether a transport error may go away on a retry: resets and refused connections, and a
/// timeout once (a registry that stalls twice is given up on).
fn retryable(e: &ureq::Error, attempt: u32) -> bool {
    match e {
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => attempt < 2,
        ureq::Error::Io(_) | ureq::Error::ConnectionFailed => true,
        ureq::Error::Timeout(_) => attempt < 2,
        _ => false,
    }
}

fn retry_after(resp: &Response<ureq::Body>) -> Option<Duration> {
    resp.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

fn backoff(attempt: u32, asked: Option<Duration>) -> Duration {
    asked
        .map(|d| d.min(MAX_RETRY_AFTER))
        .unwrap_or(FIRST_BACKOFF * 2u32.pow(attempt.saturating_sub(1)))
}

/// A URL without its query string (upload URLs carry state tokens; nothing secret, but long).
pub(crate) fn redact(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}
