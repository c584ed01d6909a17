//! Printing inputs readably.

/// `bytes` as ASCII with Rust-style escapes for everything else (paste it into `b"..."`).
pub fn escape(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|b| std::ascii::escape_default(*b))
        .map(char::from)
        .collect()
}
