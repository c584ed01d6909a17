//! Errors of the DNS module.

use std::path::PathBuf;

use super::wire::WireError;

/// Everything that can go wrong in [`crate::dns`].
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    /// Reading, writing or renaming a records file failed.
    #[error("records file {path}: {source}")]
    File {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A records file is not valid JSON of the expected shape.
    #[error("records file {path}: {source}")]
    Json {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// The serving socket failed in a way that is not a timeout or a per-client error.
    #[error("dns socket: {0}")]
    Socket(#[source] std::io::Error),
    /// A DNS message could not be parsed or built.
    #[error("dns message: {0}")]
    Wire(#[from] WireError),
}
