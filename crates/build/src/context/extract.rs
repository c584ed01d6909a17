//! Tar extraction confined to a root, as a plain tar (no whiteouts or other layer rules):
//! ADD's archives (plain and gzip-compressed tars, detected by content, extracted into the
//! image root) and a build context read from stdin (see `stdin`).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use berth_pathsafe::dirs::InRootDirs;
use berth_pathsafe::entry::Words;
use berth_pathsafe::extract::{Extractor, Owner, Policy};
use berth_pathsafe::{ExtractError, Root};
use flate2::read::GzDecoder;

use super::error::{io_err, ContextError};
use super::write::default_owner;

/// A recognised archive format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArchiveKind {
    Tar,
    Gzip,
}

const BLOCK: usize = 512;

/// Whether the file at `path` is a tar ADD should extract. Compressions berth cannot read
/// (bzip2, xz, zstd) are errors; anything that is not a tar is `None` (copied as is).
pub(crate) fn detect(path: &Path) -> Result<Option<ArchiveKind>, ContextError> {
    let ctx = || format!("reading {}", path.display());
    let mut head = Vec::with_capacity(BLOCK);
    File::open(path)
        .map_err(io_err(ctx()))?
        .take(BLOCK as u64)
        .read_to_end(&mut head)
        .map_err(io_err(ctx()))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let mut inner = Vec::with_capacity(BLOCK);
        let f = File::open(path).map_err(io_err(ctx()))?;
        // A corrupt gzip is just not an archive: copied as is.
        if GzDecoder::new(f)
            .take(BLOCK as u64)
            .read_to_end(&mut inner)
            .is_err()
        {
            return Ok(None);
        }
        return Ok(is_tar_header(&inner).then_some(ArchiveKind::Gzip));
    }
    if head.starts_with(b"BZh") {
        return Err(ContextError::UnsupportedCompression("bzip2"));
    }
    if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        return Err(ContextError::UnsupportedCompression("xz"));
    }
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Err(ContextError::UnsupportedCompression("zstd"));
    }
    Ok(is_tar_header(&head).then_some(ArchiveKind::Tar))
}

/// What extraction does with a block or character device entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Devices {
    /// Refuse the archive (ADD).
    Refuse,
    /// Create the node, as docker's archiver does for a build context; when that is not
    /// permitted (not root, or root of a user namespace) skip it with a warning, as docker
    /// does in a user namespace.
    CreateOrSkip,
}

/// Whether `b` starts with a valid tar header block (the checksum is checked, so v7 tars
/// without the `ustar` magic are recognised too).
pub(crate) fn is_tar_header(b: &[u8]) -> bool {
    if b.len() < BLOCK || b[..BLOCK].iter().all(|&x| x == 0) {
        return false;
    }
    let field = &b[148..156];
    let text: String = field
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as char)
        .collect();
    let Ok(want) = u32::from_str_radix(text.trim(), 8) else {
        return false;
    };
    let sum: u32 = b[..BLOCK]
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if (148..156).contains(&i) {
                32
            } else {
                c as u32
            }
        })
        .sum();
    sum == want
}

/// Extracts the archive at `path` into the directory `dest_real` (a real path relative to
/// `root`), ADD's way: see [`extract_stream`]; device nodes are refused.
pub(crate) fn extract(
    path: &Path,
    kind: ArchiveKind,
    root: &Path,
    dest_real: &str,
    chown: Option<(u32, u32)>,
    display: &str,
) -> Result<(), ContextError> {
    let file = File::open(path).map_err(io_err(format!("extracting {display}")))?;
    let reader: Box<dyn Read> = match kind {
        ArchiveKind::Tar => Box::new(file),
        ArchiveKind::Gzip => Box::new(GzDecoder::new(file)),
    };
    extract_stream(reader, root, dest_real, chown, display, Devices::Refuse).map(|_| ())
}

/// Extracts the (uncompressed) tar stream `reader` into the directory `dest_real` (a real
/// path relative to `root`) as a plain tar, with the path-safety core
/// ([`berth_pathsafe::extract`], ADD's or the build context's policy): every name is a file
/// of that name (`.wh.*` included). Entries keep their mode, times and (unless `chown`)
/// owner. Absolute entry names are taken relative to the destination; names climbing out
/// of it and hardlinks pointing out of it are refused; symlinks already extracted (or in
/// the image) are followed confined to `root`, never out of it. Device nodes go as
/// `devices` says; fifos are skipped. Returns warnings about skipped entries.
pub(crate) fn extract_stream(
    reader: impl Read,
    root: &Path,
    dest_real: &str,
    chown: Option<(u32, u32)>,
    display: &str,
    devices: Devices,
) -> Result<Vec<String>, ContextError> {
    let dir_owner = default_owner(chown);
    let owner = match (chown, dir_owner) {
        (Some((uid, gid)), _) => Owner::Fixed(uid, gid),
        (None, Some(_)) => Owner::Archive,
        (None, None) => Owner::Caller,
    };
    let policy = match devices {
        Devices::Refuse => Policy::add(owner),
        Devices::CreateOrSkip => Policy::context(owner),
    };
    let root = Root::open(root).map_err(io_err(format!("extracting {display}")))?;
    let base = dest_real
        .split('/')
        .filter(|c| !c.is_empty())
        .map(|c| c.as_bytes().to_vec())
        .collect();
    let dirs = InRootDirs::new(root, base, dir_owner, Words::ARCHIVE);
    let mut extractor = Extractor::new(dirs, policy);
    let fail = |e| extract_error(display, e);
    extractor
        .apply_archive(&mut tar::Archive::new(reader), "archive")
        .map_err(fail)?;
    Ok(extractor.finish().map_err(fail)?.warnings)
}

/// The core's error, worded for ADD and `build -`.
fn extract_error(display: &str, e: ExtractError) -> ContextError {
    match e {
        ExtractError::Refused(reason) | ExtractError::Conflict(reason) => {
            ContextError::UnsafeArchive {
                archive: display.to_string(),
                reason,
            }
        }
        ExtractError::Io { what, path, source } => ContextError::io(
            format!("extracting {display}: {what} {}", path.display()),
            source,
        ),
        ExtractError::Stream { what, source } => {
            ContextError::io(format!("extracting {display}: {what}"), source)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::io::Write;

    fn header(name: &str, ty: tar::EntryType, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        // set_path refuses "..": write the raw name.
        let bytes = name.as_bytes();
        h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
        h.set_entry_type(ty);
        h.set_size(size);
        h.set_mode(0o644);
        h.set_mtime(1_000_000);
        h.set_uid(7);
        h.set_gid(8);
        h
    }

    fn add(
        b: &mut tar::Builder<Vec<u8>>,
        name: &str,
        ty: tar::EntryType,
        data: &[u8],
        link: Option<&str>,
    ) {
        let mut h = header(name, ty, data.len() as u64);
        if let Some(l) = link {
            h.set_link_name(l).unwrap();
        }
        h.set_cksum();
        b.append(&h, data).unwrap();
    }

    use super::super::write::ensure_dir;

    fn extract_into(data: &[u8], root: &Path) -> Result<(), ContextError> {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("a.tar");
        fs::write(&p, data).unwrap();
        let kind = detect(&p)?.expect("a tar");
        let (real, _) = ensure_dir(root, "/dest", None, "/dest").unwrap();
        extract(&p, kind, root, &real, None, "a.tar")
    }

    #[test]
    fn detects_formats() {
        let t = tempfile::tempdir().unwrap();
        let mut b = tar::Builder::new(Vec::new());
        add(&mut b, "f", tar::EntryType::Regular, b"hi", None);
        let tar = b.into_inner().unwrap();
        let p = t.path().join("x");
        fs::write(&p, &tar).unwrap();
        assert_eq!(detect(&p).unwrap(), Some(ArchiveKind::Tar));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        fs::write(&p, gz.finish().unwrap()).unwrap();
        assert_eq!(detect(&p).unwrap(), Some(ArchiveKind::Gzip));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"just text").unwrap();
        fs::write(&p, gz.finish().unwrap()).unwrap();
        assert_eq!(detect(&p).unwrap(), None);
        fs::write(&p, b"plain text file").unwrap();
        assert_eq!(detect(&p).unwrap(), None);
        fs::write(&p, [0xfd, b'7', b'z', b'X', b'Z', 0, 1, 2]).unwrap();
        assert_eq!(
            detect(&p).unwrap_err().to_string(),
            "compressed tar format not supported yet: xz"
        );
        fs::write(&p, b"BZh91AY").unwrap();
        assert!(matches!(
            detect(&p),
            Err(ContextError::UnsupportedCompression("bzip2"))
        ));
    }

    #[test]
    fn extracts_files_dirs_links() {
        let mut b = tar::Builder::new(Vec::new());
        add(&mut b, "d/", tar::EntryType::Directory, b"", None);
        add(&mut b, "d/f", tar::EntryType::Regular, b"data", None);
        add(&mut b, "/abs", tar::EntryType::Regular, b"abs", None);
        add(&mut b, "d/l", tar::EntryType::Symlink, b"", Some("f"));
        add(&mut b, "d/h", tar::EntryType::Link, b"", Some("d/f"));
        let data = b.into_inner().unwrap();
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("dest")).unwrap();
        fs::write(root.path().join("dest/d"), "a file in the way").unwrap();
        extract_into(&data, root.path()).unwrap();
        let p = root.path();
        assert_eq!(fs::read_to_string(p.join("dest/d/f")).unwrap(), "data");
        assert_eq!(fs::read_to_string(p.join("dest/abs")).unwrap(), "abs");
        assert_eq!(fs::read_link(p.join("dest/d/l")).unwrap(), Path::new("f"));
        assert_eq!(fs::read_to_string(p.join("dest/d/h")).unwrap(), "data");
        use std::os::unix::fs::MetadataExt;
        let md = fs::metadata(p.join("dest/d/f")).unwrap();
        assert_eq!(md.mtime(), 1_000_000);
        if rustix::process::geteuid().is_root() {
            assert_eq!((md.uid(), md.gid()), (7, 8));
        }
    }

    #[test]
    fn hostile_tars_are_refused_or_confined() {
        let outside = tempfile::tempdir().unwrap();
        // "../" entry.
        let mut b = tar::Builder::new(Vec::new());
        add(&mut b, "../../evil", tar::EntryType::Regular, b"x", None);
        let root = tempfile::tempdir().unwrap();
        assert!(matches!(
            extract_into(&b.into_inner().unwrap(), root.path()),
            Err(ContextError::UnsafeArchive { .. })
        ));
        // Symlink to the host outside, then a write through it.
        let mut b = tar::Builder::new(Vec::new());
        let out = outside.path().to_str().unwrap();
        add(&mut b, "esc", tar::EntryType::Symlink, b"", Some(out));
        add(&mut b, "esc/pwned", tar::EntryType::Regular, b"x", None);
        add(
            &mut b,
            "up",
            tar::EntryType::Symlink,
            b"",
            Some("../../../../../.."),
        );
        add(&mut b, "up/pwned2", tar::EntryType::Regular, b"y", None);
        let root = tempfile::tempdir().unwrap();
        extract_into(&b.into_inner().unwrap(), root.path()).unwrap();
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
        let inner = root.path().join(out.trim_start_matches('/')).join("pwned");
        assert!(inner.is_file());
        assert!(root.path().join("pwned2").is_file());
        // Hardlink out of the destination, device node.
        let mut b = tar::Builder::new(Vec::new());
        add(
            &mut b,
            "h",
            tar::EntryType::Link,
            b"",
            Some("../../etc/passwd"),
        );
        let root = tempfile::tempdir().unwrap();
        assert!(extract_into(&b.into_inner().unwrap(), root.path()).is_err());
        let mut b = tar::Builder::new(Vec::new());
        add(&mut b, "dev", tar::EntryType::Char, b"", None);
        let root = tempfile::tempdir().unwrap();
        assert!(matches!(
            extract_into(&b.into_inner().unwrap(), root.path()),
            Err(ContextError::UnsafeArchive { .. })
        ));
    }

    /// The path-safety core's hostile corpus against ADD's and `build -`'s extraction: Ok
    /// (confined) or a clean error, never a write outside the root.
    #[test]
    fn hostile_corpus_stays_inside() {
        use berth_pathsafe::hostile::{corpus, Sentinel};
        let scratch = tempfile::tempdir().unwrap();
        let sentinel = Sentinel::create(&scratch.path().join("outside")).unwrap();
        for devices in [Devices::Refuse, Devices::CreateOrSkip] {
            for (i, case) in corpus(sentinel.path()).into_iter().enumerate() {
                let root = scratch.path().join(format!("root-{devices:?}-{i}"));
                fs::create_dir_all(root.join("dest")).unwrap();
                let res =
                    extract_stream(&case.tar[..], &root, "dest", None, "hostile.tar", devices);
                if let Err(e) = &res {
                    assert!(!e.to_string().is_empty(), "{}", case.name);
                }
                sentinel.assert_untouched(case.name);
                sentinel.assert_not_linked_from(&root, case.name);
            }
        }
    }
}
