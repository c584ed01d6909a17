//! The store's errors.

use std::path::PathBuf;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error, with what was being done and where.
    #[error("{what} {path}: {source}")]
    Io {
        /// What the store was doing.
        what: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A string that is not a `sha256:<64 hex>` digest.
    #[error("invalid digest {0:?}: expected sha256:<64 lowercase hex digits>")]
    BadDigest(String),
    /// A blob that is not in the store.
    #[error("blob {0} not found in the store")]
    BlobNotFound(String),
    /// Content whose digest differs from the one it was announced with.
    #[error("content mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        /// The announced digest.
        expected: String,
        /// The digest of what was actually read.
        actual: String,
    },
    /// A JSON document (manifest, config, index) that could not be parsed.
    #[error("invalid {what}: {source}")]
    Json {
        /// Which document.
        what: &'static str,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// A tar archive (layer, image archive) that is corrupt or hostile.
    #[error("bad archive: {0}")]
    BadArchive(String),
    /// A compressed stream in a format berth does not read (xz, bzip2).
    #[error(
        "unsupported compression {0}: only uncompressed, gzip and zstd tar streams are supported"
    )]
    UnsupportedCompression(&'static str),
    /// Reading a stream (a layer, a tarball) failed: corrupt, truncated or an I/O error.
    #[error("{what}: {source}")]
    Stream {
        /// What was being read.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An image archive or layout whose structure is not what it should be.
    #[error("invalid image: {0}")]
    BadImage(String),
    /// A blob in an image archive whose content does not hash to the digest naming it.
    #[error("{what} {entry:?} in the archive does not match its digest: expected {expected}, got {actual}")]
    ArchiveDigestMismatch {
        /// What the blob is (config, layer, manifest).
        what: String,
        /// The archive entry.
        entry: String,
        /// The digest it is named by (a config's diff_id for a docker-archive layer).
        expected: String,
        /// The digest of its content.
        actual: String,
    },
    /// A file of a container's upper directory that cannot go into a layer (a device node,
    /// a name that would read as a whiteout).
    #[error("cannot put {path} into a layer: {reason}")]
    NotLayerable {
        /// The file, in the upper directory.
        path: PathBuf,
        /// Why it cannot.
        reason: String,
    },
}

/// The store's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Wraps an I/O error with what was being done to which path.
pub fn io_err(
    what: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { what, path, source }
}
