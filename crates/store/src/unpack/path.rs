//! Lexical normalisation of layer entry names: relative to the layer root, no `.`, no `..`
//! that escapes, no NUL byte.

use crate::error::{Error, Result};

/// Longest entry name accepted, in bytes (Linux's `PATH_MAX`).
const MAX_PATH: usize = 4096;
/// Deepest entry accepted, in components: removing a tree holds one descriptor per level,
/// so depth must stay well under the usual 1024 open-file limit.
const MAX_DEPTH: usize = 512;

/// A normalised layer entry path: components relative to the layer root, each a plain name
/// (never empty, `.` or `..`). No component is the root itself; an empty list is the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPath {
    components: Vec<Vec<u8>>,
}

impl EntryPath {
    /// Normalises a raw tar name: leading `/` and `./` are dropped, `.` components skipped,
    /// `..` pops the previous component; a `..` that would leave the root is an error.
    pub fn parse(raw: &[u8]) -> Result<EntryPath> {
        let shown = || String::from_utf8_lossy(raw).into_owned();
        if raw.contains(&0) {
            return Err(Error::BadArchive(format!(
                "layer entry {:?} has a NUL byte in its name",
                shown()
            )));
        }
        if raw.len() > MAX_PATH {
            return Err(Error::BadArchive(format!(
                "layer entry name is {} bytes long (at most {MAX_PATH} allowed)",
                raw.len()
            )));
        }
        let mut components: Vec<Vec<u8>> = Vec::new();
        for c in raw.split(|b| *b == b'/') {
            match c {
                b"" | b"." => {}
                b".." => {
                    if components.pop().is_none() {
                        return Err(Error::BadArchive(format!(
                            "layer entry {} escapes the layer root with ..",
                            shown()
                        )));
                    }
                }
                _ => components.push(c.to_vec()),
            }
        }
        if components.len() > MAX_DEPTH {
            return Err(Error::BadArchive(format!(
                "layer entry {} is {} directories deep (at most {MAX_DEPTH} allowed)",
                shown(),
                components.len()
            )));
        }
        Ok(EntryPath { components })
    }

    /// True for the layer root itself (`./`, `/`).
    pub fn is_root(&self) -> bool {
        self.components.is_empty()
    }

    /// The components, top first.
    pub fn components(&self) -> &[Vec<u8>] {
        &self.components
    }

    /// The parent directory's components (empty for an entry directly in the root).
    pub fn parent(&self) -> &[Vec<u8>] {
        match self.components.split_last() {
            Some((_, parent)) => parent,
            None => &[],
        }
    }

    /// The last component (empty for the root).
    pub fn name(&self) -> &[u8] {
        self.components.last().map(Vec::as_slice).unwrap_or(b"")
    }

    /// The path with `/` separators, for messages and joining to a directory.
    pub fn display(&self) -> String {
        if self.components.is_empty() {
            return ".".into();
        }
        let joined = self.components.join(&b'/');
        String::from_utf8_lossy(&joined).into_owned()
    }

    /// The path as a relative `Path`.
    pub fn to_path(&self) -> std::path::PathBuf {
        use std::os::unix::ffi::OsStrExt;
        let joined = self.components.join(&b'/');
        std::path::PathBuf::from(std::ffi::OsStr::from_bytes(&joined))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<String> {
        EntryPath::parse(s.as_bytes()).map(|e| e.display())
    }

    #[test]
    fn normalises() {
        assert_eq!(p("./bin/sh").unwrap(), "bin/sh");
        assert_eq!(p("/etc//passwd").unwrap(), "etc/passwd");
        assert_eq!(p("usr/./lib/../bin/").unwrap(), "usr/bin");
        assert_eq!(p("./").unwrap(), ".");
        assert!(EntryPath::parse(b"./").unwrap().is_root());
        let e = EntryPath::parse(b"a/b/c").unwrap();
        assert_eq!(e.parent(), &[b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(e.name(), b"c");
    }

    #[test]
    fn refuses_escapes_and_nul() {
        assert!(p("../etc/passwd")
            .unwrap_err()
            .to_string()
            .contains("escapes"));
        assert!(p("a/../../x").is_err());
        assert!(p("/../x").is_err());
        assert!(p("a\0b").is_err());
        assert!(p(&"a/".repeat(3000)).is_err());
        assert!(p(&"a/".repeat(600))
            .unwrap_err()
            .to_string()
            .contains("deep"));
    }
}
