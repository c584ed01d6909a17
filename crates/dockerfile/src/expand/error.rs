//! The expansion error, worded as BuildKit words it.

use crate::parser::go_quote;

use std::fmt;

/// A failed expansion: `failed to process "<word>": <message>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandError {
    word: String,
    message: String,
}

impl ExpandError {
    pub(crate) fn new(word: &str, message: String) -> Self {
        Self {
            word: word.to_string(),
            message,
        }
    }

    /// The word that failed to expand.
    pub fn word(&self) -> &str {
        &self.word
    }

    /// BuildKit's inner message, e.g. `syntax error: bad substitution` or `FOO: is not allowed to be unset`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ExpandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "failed to process {}: {}",
            go_quote(&self.word),
            self.message
        )
    }
}

impl std::error::Error for ExpandError {}
