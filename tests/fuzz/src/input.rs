//! The value a target receives, printed readably when bolero reports a failure.

use std::fmt;

/// One fuzz input: bytes, shown as an escaped byte string (not a list of numbers).
#[derive(Clone, PartialEq, Eq)]
pub struct Input(pub Vec<u8>);

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\" ({} bytes)", escape(&self.0), self.0.len())
    }
}

/// `bytes` as ASCII with Rust-style escapes for everything else.
pub fn escape(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|b| std::ascii::escape_default(*b))
        .map(char::from)
        .collect()
}
