//! The error type of spec generation: flag values that do not parse, image files that do not
//! resolve, and options that do not fit together.

use std::path::PathBuf;

/// What went wrong while turning `run` options and an image configuration into a spec.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag value that does not parse, worded as the Docker CLI words it.
    #[error("invalid argument \"{value}\" for \"{flag}\" flag: {reason}")]
    Flag {
        /// The flag as Docker prints it, e.g. `-m, --memory`.
        flag: String,
        /// The value given.
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// A bad line in an `--env-file`.
    #[error("{path}:{line}: {reason}")]
    EnvFile {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        reason: String,
    },
    /// A file could not be read.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, e.g. "reading env file /a/b".
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// `--user` names a user the image's /etc/passwd does not have.
    #[error("unable to find user {0}: no matching entries in passwd file")]
    UnknownUser(String),
    /// `--user x:group` or `--group-add` names a group the image's /etc/group does not have.
    #[error("unable to find group {0}: no matching entries in group file")]
    UnknownGroup(String),
    /// A uid or gid outside 0..=2^31-1.
    #[error("{0}: uid or gid out of range (0 to 2147483647)")]
    IdRange(String),
    /// `--cap-add` / `--cap-drop` with a name that is not a capability.
    #[error("unknown capability: \"{0}\"")]
    UnknownCapability(String),
    /// Options that cannot be used together, or a value the daemon side refuses.
    #[error("{0}")]
    Conflict(String),
    /// The seccomp profile could not be resolved.
    #[error("seccomp profile: {0}")]
    Seccomp(#[source] berth_runtime::Error),
    /// The OCI types refused a value (a builder failed).
    #[error("building the OCI spec: {0}")]
    Oci(String),
}

impl Error {
    /// An [`Error::Flag`] for `flag` given `value`.
    pub fn flag(flag: &str, value: &str, reason: impl Into<String>) -> Self {
        Error::Flag {
            flag: flag.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
