//! Tar extraction confined to a root, as a plain tar (no whiteouts or other layer rules):
//! ADD's archives (plain and gzip-compressed tars, detected by content, extracted into the
//! image root) and a build context read from stdin (see `stdin`).

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use flate2::read::GzDecoder;

use super::error::{io_err, ContextError};
use super::resolve::{clean_components, resolve, Confine};
use super::write::{
    clear, default_owner, ensure_dir, join, set_dir_meta, set_mtime, set_owner, write_file,
    write_symlink, Meta,
};

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
/// path relative to `root`) as a plain tar: every name is a file of that name (`.wh.*`
/// included). Entries keep their mode, times and (unless `chown`) owner. Absolute entry
/// names are taken relative to the destination; names climbing out of it and hardlinks
/// pointing out of it are refused; symlinks already extracted (or in the image) are
/// followed confined to `root`, never out of it. Device nodes go as `devices` says; fifos
/// and other special entries are skipped. Returns warnings about skipped entries.
pub(crate) fn extract_stream(
    reader: impl Read,
    root: &Path,
    dest_real: &str,
    chown: Option<(u32, u32)>,
    display: &str,
    devices: Devices,
) -> Result<Vec<String>, ContextError> {
    let ctx = || format!("extracting {display}");
    let mut warnings = Vec::new();
    let dir_owner = default_owner(chown);
    let unsafe_entry = |entry: &str, reason: &str| ContextError::UnsafeArchive {
        archive: display.to_string(),
        entry: entry.to_string(),
        reason: reason.to_string(),
    };
    let mut archive = tar::Archive::new(reader);
    let mut dirs: Vec<(String, Meta)> = Vec::new();
    for entry in archive.entries().map_err(io_err(ctx()))? {
        let mut entry = entry.map_err(io_err(ctx()))?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let comps = clean_components(&name)
            .ok_or_else(|| unsafe_entry(&name, "leads outside the destination"))?;
        let header = entry.header();
        let ty = header.entry_type();
        let owner = chown.or_else(|| {
            dir_owner.map(|_| {
                (
                    header.uid().unwrap_or(0) as u32,
                    header.gid().unwrap_or(0) as u32,
                )
            })
        });
        let meta = Meta {
            mode: header.mode().unwrap_or(0o644) & 0o7777,
            owner,
            mtime: Some((header.mtime().unwrap_or(0) as i64, 0)),
        };
        let Some((last, parents)) = comps.split_last() else {
            continue; // "./": the destination itself.
        };
        let parent = join(dest_real, &parents.join("/"));
        if ty.is_dir() {
            // A directory entry replaces a file (but merges into a directory or a symlink
            // to one, resolved confined to the root).
            let (parent_real, _) = ensure_dir(root, &parent, dir_owner, display)?;
            let here = root.join(&parent_real).join(last);
            if std::fs::symlink_metadata(&here).is_ok_and(|m| !m.is_dir() && !m.is_symlink()) {
                clear(&here)?;
            }
            let (real, _) = ensure_dir(root, &join(&parent_real, last), dir_owner, display)?;
            set_dir_meta(&root.join(&real), &meta)?;
            dirs.push((real, meta));
            continue;
        }
        let device = ty.is_block_special() || ty.is_character_special();
        if device && devices == Devices::Refuse {
            return Err(unsafe_entry(&name, "is a device node"));
        }
        if !(device
            || ty.is_file()
            || ty.is_symlink()
            || ty.is_hard_link()
            || ty.is_contiguous()
            || ty.is_gnu_sparse())
        {
            continue;
        }
        let (parent_real, _) = ensure_dir(root, &parent, dir_owner, display)?;
        let target = root.join(&parent_real).join(last);
        if device {
            let dev = (
                header.device_major().ok().flatten().unwrap_or(0),
                header.device_minor().ok().flatten().unwrap_or(0),
            );
            if let Err(e) = make_device(&target, ty.is_block_special(), dev, &meta) {
                warnings.push(format!("skipped device node {name:?}: {e}"));
            }
        } else if ty.is_symlink() {
            let link = entry
                .link_name()
                .map_err(io_err(ctx()))?
                .ok_or_else(|| unsafe_entry(&name, "is a symlink without a target"))?;
            write_symlink(&target, &link, &meta)?;
        } else if ty.is_hard_link() {
            let link = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .ok_or_else(|| unsafe_entry(&name, "is a hardlink without a target"))?;
            let link_comps = clean_components(&link).ok_or_else(|| {
                unsafe_entry(&name, "is a hardlink leading outside the destination")
            })?;
            let confine = Confine {
                strict: false,
                ignore: None,
                display,
            };
            let r = resolve(
                root,
                &join(dest_real, &link_comps.join("/")),
                false,
                confine,
            )?;
            let src = root.join(r.real_rel());
            if !r.exists() || std::fs::symlink_metadata(&src).is_ok_and(|m| m.is_dir()) {
                return Err(unsafe_entry(
                    &name,
                    "is a hardlink to a missing file or a directory",
                ));
            }
            clear(&target)?;
            std::fs::hard_link(&src, &target)
                .map_err(io_err(format!("extracting {display}: linking {name}")))?;
        } else {
            write_file(&target, &mut entry, &meta)?;
        }
    }
    for (real, meta) in dirs.iter().rev() {
        set_mtime(&root.join(real), meta.mtime)?;
    }
    Ok(warnings)
}

/// Creates the device node `path` (whose parent is a real directory; whatever is there is
/// replaced, never followed). Fails with the OS error when creating nodes is not permitted.
fn make_device(
    path: &Path,
    block: bool,
    (major, minor): (u32, u32),
    meta: &Meta,
) -> Result<(), ContextError> {
    clear(path)?;
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| {
        ContextError::io(
            path.display().to_string(),
            std::io::ErrorKind::InvalidInput.into(),
        )
    })?;
    let kind = if block { libc::S_IFBLK } else { libc::S_IFCHR };
    // Created owner-only; the entry's mode is set once its owner is.
    // SAFETY: `c` is a valid NUL-terminated path; mknod does not follow a final symlink.
    let rc = unsafe { libc::mknod(c.as_ptr(), kind | 0o600, libc::makedev(major, minor)) };
    if rc != 0 {
        return Err(ContextError::io(
            format!("creating {}", path.display()),
            std::io::Error::last_os_error(),
        ));
    }
    set_owner(path, meta.owner)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(meta.mode & 0o7777))
        .map_err(io_err(format!("setting mode of {}", path.display())))?;
    set_mtime(path, meta.mtime)
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
        // SAFETY: geteuid cannot fail.
        if unsafe { libc::geteuid() } == 0 {
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
}
