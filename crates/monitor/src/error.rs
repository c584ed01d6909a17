//! The monitor's error type: each variant says what failed and on what.

use std::path::PathBuf;

/// Everything that can go wrong in the monitor, its spawner, the attach client and the log
/// reader.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A system call or file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, e.g. "bind control socket /run/x.sock".
        what: String,
        /// The underlying OS error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON file (monitor.json, status.json) could not be parsed or written.
    #[error("{path}: {msg}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        msg: String,
    },
    /// The OCI runtime failed (create, start, delete).
    #[error("{0}")]
    Runtime(#[from] berth_runtime::Error),
    /// The monitor process reported a failure while starting, or died without a word.
    #[error("{0}")]
    Spawn(String),
    /// The peer broke the control-socket protocol.
    #[error("control socket protocol: {0}")]
    Protocol(String),
    /// The monitor sent an error frame.
    #[error("{0}")]
    Remote(String),
    /// Bad arguments or configuration.
    #[error("{0}")]
    Usage(String),
}

/// The monitor's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Adds "what was being done" to an I/O-ish error.
pub trait IoContext<T> {
    /// Wraps the error with the description `what()` returns.
    fn ctx(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::result::Result<T, std::io::Error> {
    fn ctx(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Io {
            what: what(),
            source,
        })
    }
}

impl<T> IoContext<T> for std::result::Result<T, nix::errno::Errno> {
    fn ctx(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::Io {
            what: what(),
            source: e.into(),
        })
    }
}

impl<T> IoContext<T> for std::result::Result<T, rustix::io::Errno> {
    fn ctx(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::Io {
            what: what(),
            source: e.into(),
        })
    }
}
