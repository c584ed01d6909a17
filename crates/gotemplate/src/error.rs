//! The error type shared by the formatting helpers.

use std::fmt;

/// An error from parsing or executing a `--format` template.
///
/// `Display` prints the message the way the Docker CLI does, e.g.
/// `template parsing error: template: :1: unexpected "}" in operand`
/// (Docker uses the same prefix for execution errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    kind: ErrorKind,
    message: String,
}

/// Which phase of template processing failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The template text is malformed.
    Parse,
    /// The template is well formed but could not be applied to the data.
    Exec,
}

impl FormatError {
    /// A parse error; `message` is Go's text, e.g. `template: :1: unclosed action`.
    pub fn parse(message: impl Into<String>) -> Self {
        FormatError {
            kind: ErrorKind::Parse,
            message: message.into(),
        }
    }

    /// An execution error; `message` is Go's text, e.g.
    /// `template: :1:2: executing "" at <.A.B>: can't evaluate field B in type string`.
    pub fn exec(message: impl Into<String>) -> Self {
        FormatError {
            kind: ErrorKind::Exec,
            message: message.into(),
        }
    }

    /// Which phase failed.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message without Docker's `template parsing error: ` prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "template parsing error: {}", self.message)
    }
}

impl std::error::Error for FormatError {}
