//! Errors of the registry client.

/// What went wrong talking to a registry, or with what it sent.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A registry could not be reached, or the connection failed mid-way.
    #[error("{url}: {reason}")]
    Transport {
        /// What was asked for (no credentials in it).
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// The registry answered with an error status; `message` is its error text, formatted
    /// as Docker prints it (`manifest unknown: manifest unknown`).
    #[error("{message}")]
    Registry {
        /// The HTTP status.
        status: u16,
        /// The registry's first error code (`MANIFEST_UNKNOWN`), when it sent one.
        code: Option<String>,
        /// What to show.
        message: String,
    },
    /// Docker's words for a pull the registry refused or could not find.
    #[error("pull access denied for {name}, repository does not exist or may require 'docker login': {detail}")]
    PullDenied {
        /// The repository as the user named it.
        name: String,
        /// The registry's own words.
        detail: String,
    },
    /// A tag or digest the repository does not have.
    #[error("manifest for {reference} not found: manifest unknown: {detail}")]
    ManifestUnknown {
        /// The reference as the user wrote it.
        reference: String,
        /// The registry's own words.
        detail: String,
    },
    /// The registry wants credentials berth does not have, or refused the ones it has.
    #[error("{0}")]
    Unauthorized(String),
    /// Content that does not hash to the digest it was asked for.
    #[error("{what}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        /// What it was (`layer sha256:...`, `manifest`).
        what: String,
        /// The digest it should have.
        expected: String,
        /// The digest it has.
        actual: String,
    },
    /// A manifest, index or config that is malformed, too large, or of an unknown kind.
    #[error("{0}")]
    BadManifest(String),
    /// No manifest in an index is for the platform asked for.
    #[error(
        "no matching manifest for {platform} in the manifest list entries (available: {available})"
    )]
    NoMatchingPlatform {
        /// The platform asked for.
        platform: String,
        /// What the index has.
        available: String,
    },
    /// Writing to the image store failed.
    #[error(transparent)]
    Store(#[from] berth_store::Error),
    /// Local I/O around a transfer (a partial download, a temp file).
    #[error("{what}: {source}")]
    LocalIo {
        /// What was being done.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A configuration or credentials file could not be read or written.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A configuration or credentials file is malformed.
    #[error("{path}: {reason}")]
    BadConfig {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A credential helper failed.
    #[error("credential helper docker-credential-{helper}: {reason}")]
    CredentialHelper {
        /// The helper's name (`pass`, `secretservice`, ...).
        helper: String,
        /// What it said or why it could not run.
        reason: String,
    },
    /// Bad input from the user (a platform string, a reference).
    #[error("{0}")]
    Invalid(String),
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
