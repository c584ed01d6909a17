//! Errors of loading and modelling compose files.

use std::path::PathBuf;

use crate::loaded::Span;

/// What went wrong, and where.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Something in a file is wrong: where (`file:line:column` when known), the key path
    /// (`services.web.ports[0]`), and what.
    #[error("{}{path}: {message}", span.as_ref().map(|s| format!("{s}: ")).unwrap_or_default())]
    At {
        /// Where it was written, when known.
        span: Option<Span>,
        /// The key path.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A problem that belongs to no single key (no compose file found, a bad option).
    #[error("{0}")]
    Invalid(String),
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
