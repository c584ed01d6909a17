//! [`FetchError`]: everything that can go wrong downloading an `ADD <url>` source.

use std::io;
use std::path::PathBuf;

use ureq::http::Uri;

/// Why an `ADD <url>` download failed. Every variant names the URL or file involved.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL could not be parsed or is not an `http://` / `https://` URL.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given (or as found in a redirect).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The `--checksum` value is malformed.
    #[error("invalid checksum {checksum:?}: {reason}")]
    InvalidChecksum {
        /// The checksum as given.
        checksum: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The `--checksum` value names an algorithm other than sha256.
    #[error("unsupported checksum algorithm {algorithm:?} (only sha256 is supported)")]
    UnsupportedChecksum {
        /// The algorithm named before the `:`.
        algorithm: String,
    },
    /// The host name did not resolve.
    #[error("fetching {url}: resolving {host}: {reason}")]
    Resolve {
        /// The URL being fetched.
        url: String,
        /// The host (and port) looked up.
        host: String,
        /// What the resolver said.
        reason: String,
    },
    /// No connection could be opened to the host (or to the proxy in front of it).
    #[error("fetching {url}: connecting to {host}: {reason}")]
    Connect {
        /// The URL being fetched.
        url: String,
        /// The host and port connected to.
        host: String,
        /// Why the connection failed.
        reason: String,
    },
    /// TLS setup or handshake failed (no root certificates, untrusted certificate, ...).
    #[error("fetching {url}: TLS: {reason}")]
    Tls {
        /// The URL being fetched.
        url: String,
        /// What failed.
        reason: String,
    },
    /// Sending the request or reading the response failed, including the client's timeouts
    /// (an error of kind [`io::ErrorKind::TimedOut`]).
    #[error("fetching {url}: {context}: {source}")]
    Io {
        /// The URL being fetched.
        url: String,
        /// What was being done.
        context: &'static str,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The server's response is not valid HTTP/1.x.
    #[error("fetching {url}: malformed response: {reason}")]
    Protocol {
        /// The URL being fetched.
        url: String,
        /// What is wrong with the response.
        reason: String,
    },
    /// The server answered with a non-2xx status (after following redirects).
    #[error("fetching {url}: {status_line}")]
    Status {
        /// The URL that answered.
        url: String,
        /// The numeric status code.
        status: u16,
        /// The status line, e.g. `HTTP/1.1 404 Not Found` (with the standard reason phrase
        /// for the code, not the one the server sent).
        status_line: String,
    },
    /// More than the allowed number of redirects.
    #[error("fetching {url}: stopped after {limit} redirects")]
    TooManyRedirects {
        /// The original URL.
        url: String,
        /// The redirect limit.
        limit: usize,
    },
    /// The body is larger than the `max_bytes` limit.
    #[error("fetching {url}: body exceeds the {limit}-byte limit")]
    TooLarge {
        /// The URL being fetched.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// The connection ended before the announced body length (`Content-Length`) was received.
    #[error("fetching {url}: connection closed after {received} of {expected} bytes")]
    Truncated {
        /// The URL being fetched.
        url: String,
        /// Bytes received.
        received: u64,
        /// Bytes announced by Content-Length.
        expected: u64,
    },
    /// The content does not match the `--checksum` digest.
    #[error("fetching {url}: checksum mismatch: expected {expected}, got {actual}")]
    ChecksumMismatch {
        /// The URL fetched.
        url: String,
        /// The digest asked for.
        expected: String,
        /// The digest of what was downloaded.
        actual: String,
    },
    /// Writing the downloaded file into the destination directory failed.
    #[error("{context} {}: {source}", path.display())]
    File {
        /// The file or directory involved.
        path: PathBuf,
        /// What was being done.
        context: &'static str,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

impl FetchError {
    /// Maps an error of the HTTP client while fetching `uri` (`context`: what was being done,
    /// for errors of the connection itself) to the variant that says what went wrong.
    pub(crate) fn from_ureq(uri: &Uri, context: &'static str, e: ureq::Error) -> FetchError {
        let url = uri.to_string();
        let host = || {
            uri.authority()
                .map(|a| a.as_str().to_string())
                .unwrap_or_default()
        };
        let reason = berth_registry::http::describe(&e);
        match e {
            ureq::Error::HostNotFound => FetchError::Resolve {
                url,
                host: host(),
                reason,
            },
            ureq::Error::Io(source) if is_connect_error(source.kind()) => FetchError::Connect {
                url,
                host: host(),
                reason: source.to_string(),
            },
            ureq::Error::ConnectionFailed
            | ureq::Error::ConnectProxyFailed(_)
            | ureq::Error::InvalidProxyUrl => FetchError::Connect {
                url,
                host: host(),
                reason,
            },
            ureq::Error::Tls(_)
            | ureq::Error::Pem(_)
            | ureq::Error::Rustls(_)
            | ureq::Error::TlsRequired => FetchError::Tls {
                url,
                reason: if berth_registry::http::system_roots().is_empty() {
                    format!(
                        "{reason} (no root certificates found in the system store: install \
                         ca-certificates, or set SSL_CERT_FILE)"
                    )
                } else {
                    reason
                },
            },
            ureq::Error::TooManyRedirects => FetchError::TooManyRedirects {
                url,
                limit: super::MAX_REDIRECTS,
            },
            ureq::Error::BadUri(_) | ureq::Error::RequireHttpsOnly(_) => {
                FetchError::InvalidUrl { url, reason }
            }
            ureq::Error::Io(source) => FetchError::Io {
                url,
                context,
                source,
            },
            ureq::Error::Timeout(_) => FetchError::Io {
                url,
                context,
                source: io::Error::new(io::ErrorKind::TimedOut, reason),
            },
            _ => FetchError::Protocol { url, reason },
        }
    }
}

/// Whether an I/O error kind can only come from opening a connection.
fn is_connect_error(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::AddrNotAvailable
    )
}
