//! What a build can fail with. Every message names the Dockerfile location when there is one.

/// A build failure.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The Dockerfile did not parse.
    #[error("{file}:{line}:{column}: {message}")]
    Parse {
        /// The Dockerfile's name as the user gave it.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong, with the offending text.
        message: String,
    },
    /// An instruction is invalid or failed, at a known place.
    #[error("{file}:{line}: {message}\n  >>> {original}")]
    At {
        /// The Dockerfile's name.
        file: String,
        /// 1-based line.
        line: usize,
        /// The instruction as written.
        original: String,
        /// What went wrong.
        message: String,
    },
    /// The engine side failed while running an instruction at a known place.
    #[error("{file}:{line}: {source}\n  >>> {original}")]
    RunnerAt {
        /// The Dockerfile's name.
        file: String,
        /// 1-based line.
        line: usize,
        /// The instruction as written.
        original: String,
        /// The engine's error.
        #[source]
        source: crate::runner::RunnerError,
    },
    /// A RUN step's process exited non-zero.
    #[error("process \"{command}\" did not complete successfully: exit code: {code}")]
    RunFailed {
        /// The command as BuildKit shows it (`/bin/sh -c ...`).
        command: String,
        /// Its exit code.
        code: i32,
    },
    /// Something else about the build is wrong (target, context, options).
    #[error("{0}")]
    Invalid(String),
    /// The engine side (store, runtime, database) failed.
    #[error("{0}")]
    Runner(#[source] crate::runner::RunnerError),
    /// The image store failed.
    #[error(transparent)]
    Store(#[from] berth_store::Error),
    /// An I/O error with what was being done and where.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file involved.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// The build's result type.
pub type Result<T> = std::result::Result<T, BuildError>;

/// An `Io` error builder for `map_err`.
pub fn io_err(
    what: &'static str,
    path: impl Into<std::path::PathBuf>,
) -> impl FnOnce(std::io::Error) -> BuildError {
    let path = path.into();
    move |source| BuildError::Io { what, path, source }
}
