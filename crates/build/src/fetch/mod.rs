//! Downloading a Dockerfile `ADD <url>` source.
//!
//! A small HTTP/1.1 client on [`std::net::TcpStream`] (no async runtime): one request per
//! connection (`Connection: close`), `Content-Length`, chunked and read-to-close bodies,
//! redirects, 30 s connect/read/write timeouts. `https://` goes through rustls (ring provider)
//! with the system's root certificates, read at run time.
//!
//! - [`fetch`]: download into a directory, with BuildKit's file naming, an optional
//!   `--checksum` and size limit.
//! - [`is_url`] / [`is_git_url`]: how `ADD` classifies a source.

mod body;
mod checksum;
mod conn;
mod date;
mod download;
mod error;
mod http;
mod name;
mod partial;
mod source;
mod tls;
mod url;

#[cfg(test)]
mod test_server;
#[cfg(test)]
mod tests;

pub use download::{fetch, Fetched, MAX_REDIRECTS};
pub use error::FetchError;
pub use source::{is_git_url, is_url};
