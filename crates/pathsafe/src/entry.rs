//! What one tar entry asks for, read and checked before anything is written: a lexically
//! normalised path, kind, owner, mode, times and xattrs.

use std::io::Read;

use tar::EntryType;

use crate::error::{ExtractError, Result};

/// Longest entry name accepted, in bytes (Linux's `PATH_MAX`).
pub const MAX_PATH: usize = 4096;
/// Longest path component accepted, in bytes (Linux's `NAME_MAX`).
pub const MAX_NAME: usize = 255;
/// Deepest entry accepted, in components: removing a tree holds one descriptor per level,
/// so depth must stay well under the usual 1024 open-file limit.
pub const MAX_DEPTH: usize = 512;

/// How messages name an entry and the root it is extracted into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    /// "layer entry", "archive entry".
    pub entry: &'static str,
    /// "layer root", "destination".
    pub root: &'static str,
}

impl Words {
    /// An image layer's words.
    pub const LAYER: Words = Words {
        entry: "layer entry",
        root: "layer root",
    };
    /// A plain archive's words.
    pub const ARCHIVE: Words = Words {
        entry: "archive entry",
        root: "destination",
    };
}

/// A normalised entry path: components relative to the extraction root, each a plain name
/// (never empty, `.` or `..`). An empty list is the root itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntryPath {
    components: Vec<Vec<u8>>,
}

impl EntryPath {
    /// Normalises a raw tar name: leading `/` and `./` are dropped, `.` components skipped,
    /// `..` pops the previous component; a `..` that would leave the root is an error, as
    /// are NUL bytes, names longer than `PATH_MAX`, components longer than `NAME_MAX` and
    /// more than [`MAX_DEPTH`] levels.
    pub fn parse(raw: &[u8], words: Words) -> Result<EntryPath> {
        let shown = || String::from_utf8_lossy(raw).into_owned();
        let refused = |why: String| ExtractError::Refused(format!("{} {why}", words.entry));
        if raw.contains(&0) {
            return Err(refused(format!("{:?} has a NUL byte in its name", shown())));
        }
        if raw.len() > MAX_PATH {
            return Err(refused(format!(
                "name is {} bytes long (at most {MAX_PATH} allowed)",
                raw.len()
            )));
        }
        let mut components: Vec<Vec<u8>> = Vec::new();
        for c in raw.split(|b| *b == b'/') {
            match c {
                b"" | b"." => {}
                b".." => {
                    if components.pop().is_none() {
                        return Err(refused(format!(
                            "{} escapes the {} with ..",
                            shown(),
                            words.root
                        )));
                    }
                }
                _ if c.len() > MAX_NAME => {
                    return Err(refused(format!(
                        "{} has a component of {} bytes (at most {MAX_NAME} allowed)",
                        shown(),
                        c.len()
                    )))
                }
                _ => components.push(c.to_vec()),
            }
        }
        if components.len() > MAX_DEPTH {
            return Err(refused(format!(
                "{} is {} directories deep (at most {MAX_DEPTH} allowed)",
                shown(),
                components.len()
            )));
        }
        Ok(EntryPath { components })
    }

    /// A path from already checked components.
    pub fn from_components(components: Vec<Vec<u8>>) -> EntryPath {
        EntryPath { components }
    }

    /// True for the root itself (`./`, `/`).
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

/// The kind of an entry that may be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A regular file with this many bytes of content.
    File(u64),
    /// A directory.
    Dir,
    /// A symlink with its target, verbatim.
    Symlink(Vec<u8>),
    /// A hard link to an earlier entry.
    Hardlink(EntryPath),
    /// A named pipe.
    Fifo,
    /// A character or block device.
    Device {
        /// A block device (else a character device).
        block: bool,
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
}

/// A checked entry.
#[derive(Debug, Clone)]
pub struct Meta {
    /// The normalised path.
    pub path: EntryPath,
    /// The name as the archive spells it, for messages.
    pub shown: String,
    /// What to create.
    pub kind: Kind,
    /// Permission bits, with setuid/setgid/sticky.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Modification time: seconds and nanoseconds since the epoch.
    pub mtime: (i64, u32),
    /// Extended attributes from PAX `SCHILY.xattr.*` records.
    pub xattrs: Vec<(String, Vec<u8>)>,
    /// True for a GNU sparse file (its stored size differs from its content).
    pub sparse: bool,
}

/// Reads and checks an entry's header. `None` for headers that describe no file (PAX
/// global headers, stray extension headers).
pub fn read_meta<R: Read>(entry: &mut tar::Entry<'_, R>, words: Words) -> Result<Option<Meta>> {
    let raw = entry.path_bytes().into_owned();
    let shown = String::from_utf8_lossy(&raw).into_owned();
    let header = entry.header();
    let et = header.entry_type();
    let refused = |why: String| ExtractError::Refused(format!("{} {shown} {why}", words.entry));
    let bad = |what: &str, e: std::io::Error| refused(format!("has an invalid {what}: {e}"));
    let kind = match et {
        EntryType::XGlobalHeader
        | EntryType::XHeader
        | EntryType::GNULongName
        | EntryType::GNULongLink => return Ok(None),
        EntryType::Regular if raw.ends_with(b"/") => Kind::Dir,
        EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
            Kind::File(entry.size())
        }
        EntryType::Directory => Kind::Dir,
        EntryType::Symlink => {
            let target = entry
                .link_name_bytes()
                .map(|l| l.into_owned())
                .unwrap_or_default();
            if target.contains(&0) || target.len() > MAX_PATH {
                return Err(refused("has an invalid symlink target".into()));
            }
            Kind::Symlink(target)
        }
        EntryType::Link => {
            let target = entry.link_name_bytes().unwrap_or_default();
            let target = EntryPath::parse(&target, words).map_err(|_| {
                refused(format!(
                    "is a hard link to {}, outside the {}",
                    String::from_utf8_lossy(&target),
                    words.root
                ))
            })?;
            if target.is_root() {
                return Err(refused(format!("is a hard link to the {}", words.root)));
            }
            Kind::Hardlink(target)
        }
        EntryType::Fifo => Kind::Fifo,
        EntryType::Char | EntryType::Block => Kind::Device {
            block: et == EntryType::Block,
            major: header.device_major().ok().flatten().unwrap_or(0),
            minor: header.device_minor().ok().flatten().unwrap_or(0),
        },
        other => {
            return Err(refused(format!(
                "has unsupported tar entry type {:?}",
                other.as_byte() as char
            )))
        }
    };
    let path = EntryPath::parse(&raw, words)?;
    let old = header.as_old();
    let mode = lenient(&old.mode, header.mode().map(u64::from)).map_err(|e| bad("mode", e))?;
    let mode = (mode & 0o7777) as u32;
    let id = |what: &str, v: u64| {
        u32::try_from(v)
            .ok()
            .filter(|v| *v != u32::MAX)
            .ok_or_else(|| refused(format!("has {what} {v} out of range")))
    };
    let uid = id(
        "uid",
        lenient(&old.uid, header.uid()).map_err(|e| bad("uid", e))?,
    )?;
    let gid = id(
        "gid",
        lenient(&old.gid, header.gid()).map_err(|e| bad("gid", e))?,
    )?;
    let secs = lenient(&old.mtime, header.mtime()).map_err(|e| bad("mtime", e))?;
    let mut mtime = (i64::try_from(secs).unwrap_or(i64::MAX), 0);
    let sparse = et == EntryType::GNUSparse;
    let mut xattrs = Vec::new();
    if let Some(pax) = entry.pax_extensions().map_err(|e| bad("PAX header", e))? {
        for ext in pax {
            let ext = ext.map_err(|e| bad("PAX record", e))?;
            let Ok(key) = ext.key() else { continue };
            if let Some(name) = key.strip_prefix("SCHILY.xattr.") {
                xattrs.push((name.to_string(), ext.value_bytes().to_vec()));
            } else if key == "mtime" {
                if let Some(t) = ext.value().ok().and_then(parse_pax_time) {
                    mtime = t;
                }
            }
        }
    }
    Ok(Some(Meta {
        path,
        shown,
        kind,
        mode,
        uid,
        gid,
        mtime,
        xattrs,
        sparse,
    }))
}

/// A numeric header field, where an empty field (all NULs or spaces) reads as 0, as Go's
/// archive/tar (which wrote most layers) does.
fn lenient(raw: &[u8], parsed: std::io::Result<u64>) -> std::io::Result<u64> {
    match parsed {
        Err(_) if raw.iter().all(|b| *b == 0 || *b == b' ') => Ok(0),
        other => other,
    }
}

/// Parses a PAX time (`1700000000.123456789`, possibly negative) into seconds and nanos.
fn parse_pax_time(s: &str) -> Option<(i64, u32)> {
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s, ""),
    };
    let secs: i64 = whole.parse().ok()?;
    if frac.is_empty() {
        return Some((secs, 0));
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
    let nanos: u32 = digits.parse().ok()?;
    if whole.starts_with('-') && nanos > 0 {
        Some((secs - 1, 1_000_000_000 - nanos))
    } else {
        Some((secs, nanos))
    }
}

/// Whether a normalised path lies under `dev/` (`dev/null`, `dev/sda`).
pub fn in_dev(path: &EntryPath) -> bool {
    path.components().len() > 1 && path.components()[0] == b"dev"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<String> {
        EntryPath::parse(s.as_bytes(), Words::LAYER).map(|e| e.display())
    }

    #[test]
    fn normalises() {
        assert_eq!(p("./bin/sh").unwrap(), "bin/sh");
        assert_eq!(p("/etc//passwd").unwrap(), "etc/passwd");
        assert_eq!(p("usr/./lib/../bin/").unwrap(), "usr/bin");
        assert_eq!(p("./").unwrap(), ".");
        assert!(EntryPath::parse(b"./", Words::LAYER).unwrap().is_root());
        let e = EntryPath::parse(b"a/b/c", Words::LAYER).unwrap();
        assert_eq!(e.parent(), &[b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(e.name(), b"c");
    }

    #[test]
    fn refuses_escapes_nul_and_long_names() {
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
        assert!(p(&"n".repeat(256)).unwrap_err().to_string().contains("255"));
        assert!(p(&"n".repeat(255)).is_ok());
    }

    #[test]
    fn pax_times() {
        assert_eq!(parse_pax_time("12"), Some((12, 0)));
        assert_eq!(parse_pax_time("12.5"), Some((12, 500_000_000)));
        assert_eq!(parse_pax_time("12.1234567891"), Some((12, 123_456_789)));
        assert_eq!(parse_pax_time("-1.5"), Some((-2, 500_000_000)));
        assert_eq!(parse_pax_time("x"), None);
    }
}
