//! Downloading a Dockerfile `ADD <url>` source.
//!
//! The transport is berth's shared HTTP client, [`berth_registry::http`] (ureq over rustls with
//! the ring provider, the system's root certificates read at run time, proxies from
//! `HTTPS_PROXY`/`NO_PROXY`, 30 s connect and 60 s per-read timeouts); it follows the
//! redirects and frames the body. This module picks the file name, streams and hashes the
//! body into the destination directory, and checks the checksum and size limit.
//!
//! - [`fetch`]: download into a directory, with BuildKit's file naming, an optional
//!   `--checksum` and size limit.
//! - [`is_url`] / [`is_git_url`]: how `ADD` classifies a source.

mod checksum;
mod date;
mod download;
mod error;
mod name;
mod partial;
mod source;
mod url;

#[cfg(test)]
mod test_server;
#[cfg(test)]
mod tests;

pub use download::{fetch, Fetched, MAX_REDIRECTS};
pub use error::FetchError;
pub use source::{is_git_url, is_url};
