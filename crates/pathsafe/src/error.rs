//! What extracting a tar entry can run into.

use std::path::PathBuf;

/// An extraction error: a hostile or unsupported entry, a conflict with what is there, an
/// I/O error, or a stream that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The entry is refused: it would leave the destination, it goes through a symlink, its
    /// kind is not allowed here, or its header is invalid. The message names the entry.
    #[error("{0}")]
    Refused(String),
    /// The entry conflicts with what is there and the policy says not to replace it
    /// (`cp`'s "cannot overwrite directory with non-directory").
    #[error("{0}")]
    Conflict(String),
    /// A system call failed, with what was being done and where (relative to the root of
    /// the extraction, or a host path).
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Reading the tar stream failed: corrupt, truncated or an I/O error of the source.
    #[error("{what}: {source}")]
    Stream {
        /// What was being read.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Results of this crate.
pub type Result<T, E = ExtractError> = std::result::Result<T, E>;
