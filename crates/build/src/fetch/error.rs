//! [`FetchError`]: everything that can go wrong downloading an `ADD <url>` source.

use std::io;
use std::path::PathBuf;

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
    #[error("fetching {url}: resolving {host}: {source}")]
    Resolve {
        /// The URL being fetched.
        url: String,
        /// The host and port looked up.
        host: String,
        /// The resolver's error.
        #[source]
        source: io::Error,
    },
    /// No address of the host accepted a connection.
    #[error("fetching {url}: connecting to {addr}: {source}")]
    Connect {
        /// The URL being fetched.
        url: String,
        /// The last address tried.
        addr: String,
        /// The last connect error.
        #[source]
        source: io::Error,
    },
    /// TLS setup or handshake failed (no root certificates, bad server name, ...).
    #[error("fetching {url}: TLS: {reason}")]
    Tls {
        /// The URL being fetched.
        url: String,
        /// What failed.
        reason: String,
    },
    /// Reading from or writing to the connection failed (including the 30 s timeouts).
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
        /// The status line as sent, e.g. `HTTP/1.1 404 Not Found`.
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
    /// The connection ended before the announced body length was received.
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
