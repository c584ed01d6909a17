//! The parser's error type.

use std::fmt;

/// A Dockerfile parse error with the location BuildKit would report.
///
/// Displayed as `Dockerfile:LINE:COL: message: <offending text>` (the `: <offending text>` part
/// is left out when there is no snippet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based physical line where the offending instruction (or line) starts.
    pub line: usize,
    /// 1-based physical line where the offending instruction ends (same as `line` for one-liners).
    pub end_line: usize,
    /// 1-based column (in characters) of the offending text on `line`.
    pub column: usize,
    /// What went wrong, in BuildKit's words where BuildKit has words for it.
    pub message: String,
    /// The offending text (the instruction line, directive or word), possibly empty.
    pub snippet: String,
}

impl ParseError {
    /// Builds an error spanning `line..=end_line`.
    pub(crate) fn new(
        line: usize,
        end_line: usize,
        column: usize,
        message: impl Into<String>,
        snippet: impl Into<String>,
    ) -> Self {
        ParseError {
            line,
            end_line: end_line.max(line),
            column: column.max(1),
            message: message.into(),
            snippet: snippet.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Dockerfile:{}:{}: {}",
            self.line, self.column, self.message
        )?;
        if !self.snippet.is_empty() {
            write!(f, ": {}", self.snippet)?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// An error from the per-instruction argument parsers, before a location is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArgError(pub String);
