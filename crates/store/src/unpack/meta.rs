//! What one tar entry asks for, read and checked before anything is written: kind, path,
//! owner, mode, times, xattrs. Shared by layer unpacking and rootfs import validation.

use std::io::Read;

use tar::EntryType;

use super::path::EntryPath;
use crate::error::{Error, Result};

/// The kind of a layer entry that may be written.
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
    /// A character or block device (rootfs tarballs made from a real system have /dev
    /// nodes): kept in the layer blob, never created on the host.
    Device,
}

/// A checked layer entry.
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
pub fn read_meta<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<Option<Meta>> {
    let raw = entry.path_bytes().into_owned();
    let shown = String::from_utf8_lossy(&raw).into_owned();
    let header = entry.header();
    let et = header.entry_type();
    let bad = |what: &str, e: std::io::Error| {
        Error::BadArchive(format!("layer entry {shown}: invalid {what}: {e}"))
    };
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
        EntryType::Symlink => Kind::Symlink(
            entry
                .link_name_bytes()
                .map(|l| l.into_owned())
                .unwrap_or_default(),
        ),
        EntryType::Link => {
            let target = entry.link_name_bytes().unwrap_or_default();
            let target = EntryPath::parse(&target).map_err(|_| {
                Error::BadArchive(format!(
                    "layer entry {shown} is a hard link to {}, outside the layer",
                    String::from_utf8_lossy(&target)
                ))
            })?;
            if target.is_root() {
                return Err(Error::BadArchive(format!(
                    "layer entry {shown} is a hard link to the layer root"
                )));
            }
            Kind::Hardlink(target)
        }
        EntryType::Fifo => Kind::Fifo,
        // A rootfs made from a real system (debootstrap) has device nodes in /dev, which
        // containers replace with a tmpfs: those are skipped. Anywhere else one is refused.
        EntryType::Char | EntryType::Block if in_dev(&raw) => Kind::Device,
        EntryType::Char | EntryType::Block => {
            return Err(Error::BadArchive(format!(
                "device node {shown} not allowed in an image layer (only under /dev, where it is skipped)"
            )))
        }
        other => {
            return Err(Error::BadArchive(format!(
                "layer entry {shown} has unsupported tar entry type {:?}",
                other.as_byte() as char
            )))
        }
    };
    let path = EntryPath::parse(&raw)?;
    let old = header.as_old();
    let mode = lenient(&old.mode, header.mode().map(u64::from)).map_err(|e| bad("mode", e))?;
    let mode = (mode & 0o7777) as u32;
    let id = |what: &str, v: u64| {
        u32::try_from(v)
            .ok()
            .filter(|v| *v != u32::MAX)
            .ok_or_else(|| {
                Error::BadArchive(format!("layer entry {shown}: {what} {v} out of range"))
            })
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

/// Whether a raw entry path lies under `dev/` (`dev/null`, `./dev/sda`, `/dev/x`).
fn in_dev(raw: &[u8]) -> bool {
    let mut p = raw;
    loop {
        if let Some(rest) = p.strip_prefix(b"./") {
            p = rest;
        } else if let Some(rest) = p.strip_prefix(b"/") {
            p = rest;
        } else {
            break;
        }
    }
    p.starts_with(b"dev/") && !p[4..].split(|b| *b == b'/').any(|c| c == b"..")
}

#[cfg(test)]
mod tests {
    use super::parse_pax_time;

    #[test]
    fn pax_times() {
        assert_eq!(parse_pax_time("12"), Some((12, 0)));
        assert_eq!(parse_pax_time("12.5"), Some((12, 500_000_000)));
        assert_eq!(parse_pax_time("12.1234567891"), Some((12, 123_456_789)));
        assert_eq!(parse_pax_time("-1.5"), Some((-2, 500_000_000)));
        assert_eq!(parse_pax_time("x"), None);
    }
}
