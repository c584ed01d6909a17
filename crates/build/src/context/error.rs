//! The errors of the build context and of COPY/ADD, worded for a Docker user.

use std::io;
use std::path::PathBuf;

/// Why reading the build context or copying files for COPY/ADD failed.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// A source pattern or a symlink in the context leads outside the context.
    #[error("forbidden path outside the build context: {0}")]
    OutsideContext(String),
    /// A source pattern matched nothing (or only files excluded by `.dockerignore`).
    #[error("file not found in build context or excluded by .dockerignore: {0}")]
    NotFound(String),
    /// A source pattern has a syntax error (e.g. an unclosed `[`).
    #[error("invalid source pattern {pattern:?}: {reason}")]
    BadPattern {
        /// The pattern as written.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `--exclude` pattern has a syntax error.
    #[error("invalid --exclude pattern: {0}")]
    BadExclude(String),
    /// The build context is not a directory.
    #[error("unable to prepare context: path {0:?} is not a directory")]
    NotADirectory(PathBuf),
    /// An I/O operation failed; `context` says what was being done.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path involved.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Too many symlinks while resolving a path.
    #[error("too many levels of symbolic links resolving {0}")]
    SymlinkLoop(String),
    /// A device file was found in a source directory.
    #[error("cannot copy device file {0}: device files are not supported in COPY/ADD")]
    DeviceFile(String),
    /// The destination cannot be used (e.g. a file where a directory is needed).
    #[error("cannot copy to {dest}: {reason}")]
    Destination {
        /// The destination path in the image.
        dest: String,
        /// What is wrong.
        reason: String,
    },
    /// `--chown` names a user absent from the image's `/etc/passwd`.
    #[error("unable to find user {0}: no matching entries in passwd file")]
    UnknownUser(String),
    /// `--chown` names a group absent from the image's `/etc/group`.
    #[error("unable to find group {0}: no matching entries in group file")]
    UnknownGroup(String),
    /// A `--chown` value that is not `user[:group]`.
    #[error("invalid chown parameter '{0}'")]
    BadChown(String),
    /// A `--chmod` value that is not an octal mode up to 07777.
    #[error("invalid chmod parameter '{0}'")]
    BadChmod(String),
    /// ADD of a tar compressed with a format berth cannot read.
    #[error("compressed tar format not supported yet: {0}")]
    UnsupportedCompression(&'static str),
    /// ADD of a tar with an entry that would escape the destination or is not allowed.
    #[error("refusing to extract {archive}: {reason}")]
    UnsafeArchive {
        /// The archive's path in the context.
        archive: String,
        /// Why it is refused, naming the offending entry.
        reason: String,
    },
}

impl ContextError {
    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

/// `map_err` helper: `.map_err(io_err(format!("reading {p}")))`.
pub(crate) fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> ContextError {
    let context = context.into();
    move |source| ContextError::Io { context, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_like_docker() {
        assert_eq!(
            ContextError::OutsideContext("../x".into()).to_string(),
            "forbidden path outside the build context: ../x"
        );
        assert_eq!(
            ContextError::UnknownUser("bob".into()).to_string(),
            "unable to find user bob: no matching entries in passwd file"
        );
        assert_eq!(
            ContextError::BadChmod("abc".into()).to_string(),
            "invalid chmod parameter 'abc'"
        );
        let e = io_err("reading x")(io::Error::from(io::ErrorKind::NotFound));
        assert!(e.to_string().starts_with("reading x: "));
    }
}
