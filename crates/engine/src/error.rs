//! The engine's errors, each mapped to the exit code Docker would use.

use std::path::PathBuf;

/// Everything the engine can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error with what was being done and where.
    #[error("{what} {path}: {source}")]
    Io {
        /// What the engine was doing.
        what: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The state database failed.
    #[error("state database: {0}")]
    Db(#[from] rusqlite::Error),
    /// The image store failed.
    #[error(transparent)]
    Store(#[from] berth_store::Error),
    /// The runtime failed.
    #[error(transparent)]
    Runtime(#[from] berth_runtime::Error),
    /// The monitor failed.
    #[error(transparent)]
    Monitor(#[from] berth_monitor::Error),
    /// Spec generation or option parsing failed.
    #[error(transparent)]
    Spec(#[from] crate::spec::Error),
    /// Talking to a registry failed.
    #[error(transparent)]
    Registry(#[from] berth_registry::Error),
    /// Networking failed (netlink, nftables, addresses, ports), while doing `what`.
    #[error("{what}: {source}")]
    Network {
        /// What the engine was doing (`bridge br-1a2b3c4d5e6f`, `firewall`).
        what: String,
        /// The networking error.
        #[source]
        source: berth_net::NetError,
    },
    /// A networking input (a `-p` specification, a subnet) is invalid.
    #[error(transparent)]
    NetworkInput(berth_net::NetError),
    /// A stored document (a network record) could not be read or written as JSON.
    #[error("{what}: {source}")]
    Json {
        /// What the document is (`network record br-...`).
        what: String,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// The builder failed.
    #[error(transparent)]
    Build(#[from] berth_build::BuildError),
    /// No image by that name or ID.
    #[error("No such image: {0}")]
    NoSuchImage(String),
    /// No container by that name or ID.
    #[error("No such container: {0}")]
    NoSuchContainer(String),
    /// No volume by that name.
    #[error("no such volume: {0}")]
    NoSuchVolume(String),
    /// A short ID that matches more than one object.
    #[error("multiple {kind}s found with provided prefix: {prefix}")]
    Ambiguous {
        /// "image" or "container".
        kind: &'static str,
        /// The prefix given.
        prefix: String,
    },
    /// A name already taken.
    #[error("Conflict. The container name \"/{0}\" is already in use. You have to remove (or rename) that container to be able to reuse that name.")]
    NameInUse(String),
    /// An operation refused because of what state something is in.
    #[error("{0}")]
    Conflict(String),
    /// Bad input from the user.
    #[error("{0}")]
    Invalid(String),
    /// The container's command could not be executed (exit code 126).
    #[error("{0}")]
    CannotExecute(String),
    /// The container's command was not found (exit code 127).
    #[error("{0}")]
    CommandNotFound(String),
}

impl Error {
    /// The exit code the CLI exits with for this error, as Docker does.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::CannotExecute(_) => 126,
            Error::CommandNotFound(_) => 127,
            _ => 125,
        }
    }
}

/// The engine's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Wraps a networking error with what was being done.
pub fn net_err<E: Into<berth_net::NetError>>(what: impl Into<String>) -> impl FnOnce(E) -> Error {
    let what = what.into();
    move |e| Error::Network {
        what,
        source: e.into(),
    }
}

/// The engine error a build [`berth_build::runner::Runner`] call failed with (they are the
/// engine's own, boxed), or else the builder's error as it is.
pub fn from_runner(e: berth_build::runner::RunnerError) -> Error {
    match e.downcast::<Error>() {
        Ok(e) => *e,
        Err(e) => Error::Build(berth_build::BuildError::Runner(e)),
    }
}

/// Wraps a JSON error with the document it was about.
pub fn json_err(what: impl Into<String>) -> impl FnOnce(serde_json::Error) -> Error {
    let what = what.into();
    move |source| Error::Json { what, source }
}

/// Wraps an I/O error with what was being done to which path.
pub fn io_err(
    what: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { what, path, source }
}
