//! The runtime's error type: each variant says what failed and on what.

use std::path::PathBuf;

/// Everything that can go wrong in the runtime.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A system call or file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, e.g. "mount proc on /proc".
        what: String,
        /// The underlying OS error.
        #[source]
        source: std::io::Error,
    },
    /// The bundle's config.json is missing, malformed or violates the specification.
    #[error("invalid config.json: {0}")]
    Spec(String),
    /// The container id is already used under this root.
    #[error("container with id {0:?} already exists")]
    Exists(String),
    /// No container with this id under this root.
    #[error("container {0:?} does not exist")]
    NotFound(String),
    /// The operation is not allowed in the container's current state.
    #[error("container {id:?} is {status}: {what}")]
    BadState {
        /// Container id.
        id: String,
        /// Current status.
        status: String,
        /// Why this state forbids the operation.
        what: String,
    },
    /// Something about cgroups went wrong.
    #[error("cgroup {path}: {msg}")]
    Cgroup {
        /// The cgroup directory or file involved.
        path: PathBuf,
        /// What went wrong.
        msg: String,
    },
    /// Some of a container's cgroup directories could not be removed (all the others were):
    /// each directory that stayed, with why.
    #[error("{}", cgroups_left(.0))]
    CgroupsLeft(Vec<(PathBuf, String)>),
    /// Compiling or loading the seccomp filter failed.
    #[error("seccomp: {0}")]
    Seccomp(String),
    /// A hook failed or timed out.
    #[error("{kind} hook {path}: {msg}")]
    Hook {
        /// Which hook list (prestart, poststart, ...).
        kind: String,
        /// The hook's executable.
        path: String,
        /// What went wrong.
        msg: String,
    },
    /// The container process reported a failure during its setup.
    #[error("container init: {0}")]
    Init(String),
    /// Bad command-line input.
    #[error("{0}")]
    Usage(String),
    /// Checkpoint or restore failed (CRIU missing, or its dump or restore failed).
    #[error("checkpoint/restore: {0}")]
    Criu(String),
}

/// The text of [`Error::CgroupsLeft`].
fn cgroups_left(left: &[(PathBuf, String)]) -> String {
    let list: Vec<String> = left
        .iter()
        .map(|(p, why)| format!("{} ({why})", p.display()))
        .collect();
    format!(
        "could not remove {} cgroup director{}: {}",
        left.len(),
        if left.len() == 1 { "y" } else { "ies" },
        list.join(", ")
    )
}

/// The runtime's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds "what was being done" context to an `io::Result`.
pub trait IoContext<T> {
    /// Wraps an I/O error into [`Error::Io`] with a description produced lazily.
    fn ctx<F: FnOnce() -> String>(self, what: F) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn ctx<F: FnOnce() -> String>(self, what: F) -> Result<T> {
        self.map_err(|source| Error::Io {
            what: what(),
            source,
        })
    }
}

impl<T> IoContext<T> for nix::Result<T> {
    fn ctx<F: FnOnce() -> String>(self, what: F) -> Result<T> {
        self.map_err(|e| Error::Io {
            what: what(),
            source: std::io::Error::from(e),
        })
    }
}

impl<T> IoContext<T> for rustix::io::Result<T> {
    fn ctx<F: FnOnce() -> String>(self, what: F) -> Result<T> {
        self.map_err(|e| Error::Io {
            what: what(),
            source: std::io::Error::from(e),
        })
    }
}

impl Error {
    /// An error the container's init (or exec process) reported over the sync socket. Its
    /// text already went through `Display` in the child, so a leading "container init: " is
    /// not repeated.
    pub fn from_child(msg: String) -> Error {
        match msg.strip_prefix("container init: ") {
            Some(rest) => Error::Init(rest.to_string()),
            None => Error::Init(msg),
        }
    }
}
