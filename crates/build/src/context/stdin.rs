//! `build -`: what standard input holds, decided as the docker CLI does. A tar stream
//! (plain, gzip or zstd) is the build context, extracted as a plain tar: a context is not an
//! image layer, so `.wh.*` names are files like any other and nothing is a whiteout.
//! Anything else is the Dockerfile, with an empty context. Either way the context is a
//! private (0700) temporary directory, removed when the [`StdinContext`] is dropped.

use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use berth_store::compression::{decompressed, Compression, MAGIC_LEN};

use super::error::{io_err, ContextError};
use super::extract::{extract_stream, is_tar_header, Devices};

/// How the extracted context is named in errors.
const DISPLAY: &str = "the build context from stdin";

/// A build context read from standard input.
#[derive(Debug)]
pub struct StdinContext {
    dir: PathBuf,
    dockerfile: Option<Vec<u8>>,
    warnings: Vec<String>,
}

impl StdinContext {
    /// Reads `input` to its end: a tarball is extracted into a fresh temporary directory
    /// (see [`StdinContext::dir`]); anything else is kept as the Dockerfile and the context
    /// is an empty directory.
    ///
    /// The extraction is path-safe: names with `..` climbing out, absolute names (taken
    /// relative to the context), symlinks (never followed out of the context) and
    /// hardlinks (only to an earlier entry inside it) cannot write outside the directory.
    /// Device nodes are created as docker's archiver creates them when running as root;
    /// where that is not permitted they are skipped with a warning
    /// ([`StdinContext::warnings`]). xz and bzip2 tarballs are refused.
    pub fn read(mut input: impl Read) -> Result<StdinContext, ContextError> {
        let dir = std::env::temp_dir().join(format!(
            "berth-context-{}",
            berth_store::blobs::unique_suffix()
        ));
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(io_err(format!("creating {}", dir.display())))?;
        let mut ctx = StdinContext {
            dir,
            dockerfile: None,
            warnings: Vec::new(),
        };
        let reading = || format!("reading {DISPLAY}");
        let mut head = Vec::with_capacity(512);
        (&mut input)
            .take(512)
            .read_to_end(&mut head)
            .map_err(io_err(reading()))?;
        let compression =
            Compression::detect(&head[..head.len().min(MAGIC_LEN)]).map_err(store_error)?;
        if compression == Compression::None && !is_tar_header(&head) {
            input.read_to_end(&mut head).map_err(io_err(reading()))?;
            ctx.dockerfile = Some(head);
            return Ok(ctx);
        }
        let tar = decompressed(io::Cursor::new(head).chain(input)).map_err(store_error)?;
        ctx.warnings = extract_stream(tar, &ctx.dir, "", None, DISPLAY, Devices::CreateOrSkip)?;
        Ok(ctx)
    }

    /// The context directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The Dockerfile, when standard input held one rather than a tarball.
    pub fn take_dockerfile(&mut self) -> Option<Vec<u8>> {
        self.dockerfile.take()
    }

    /// What extracting the tarball skipped (device nodes berth may not create here).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

impl Drop for StdinContext {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn store_error(e: berth_store::Error) -> ContextError {
    match e {
        berth_store::Error::UnsupportedCompression(c) => ContextError::UnsupportedCompression(c),
        other => ContextError::io(format!("reading {DISPLAY}"), io::Error::other(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};

    fn header(name: &str, ty: tar::EntryType, size: u64, mode: u32) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        // set_path refuses ".." and absolute names: write the raw name.
        let bytes = name.as_bytes();
        h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
        h.set_entry_type(ty);
        h.set_size(size);
        h.set_mode(mode);
        h.set_mtime(1_000_000);
        h
    }

    fn add(b: &mut tar::Builder<Vec<u8>>, name: &str, ty: tar::EntryType, data: &[u8]) {
        let mut h = header(name, ty, data.len() as u64, 0o644);
        h.set_cksum();
        b.append(&h, data).unwrap();
    }

    fn link(b: &mut tar::Builder<Vec<u8>>, name: &str, ty: tar::EntryType, to: &str) {
        let mut h = header(name, ty, 0, 0o777);
        h.set_link_name(to).unwrap();
        h.set_cksum();
        b.append(&h, &b""[..]).unwrap();
    }

    fn is_root() -> bool {
        rustix::process::geteuid().is_root()
    }

    #[test]
    fn a_tarball_is_a_plain_context_whiteout_names_included() {
        let mut b = tar::Builder::new(Vec::new());
        add(&mut b, "./", tar::EntryType::Directory, b"");
        add(&mut b, "Dockerfile", tar::EntryType::Regular, b"FROM x\n");
        add(&mut b, ".wh.x", tar::EntryType::Regular, b"not a whiteout");
        add(&mut b, "d/.wh..wh..opq", tar::EntryType::Regular, b"opq");
        add(&mut b, "d/f", tar::EntryType::Regular, b"f");
        link(&mut b, "d/h", tar::EntryType::Link, "d/f");
        link(&mut b, "d/l", tar::EntryType::Symlink, "f");
        let mut ctx = StdinContext::read(&b.into_inner().unwrap()[..]).unwrap();
        assert!(ctx.take_dockerfile().is_none());
        assert!(ctx.warnings().is_empty());
        let d = ctx.dir().to_path_buf();
        assert_eq!(fs::metadata(&d).unwrap().mode() & 0o777, 0o700);
        let wh = fs::symlink_metadata(d.join(".wh.x")).unwrap();
        assert!(wh.is_file());
        assert_eq!(fs::read(d.join(".wh.x")).unwrap(), b"not a whiteout");
        assert_eq!(fs::read(d.join("d/.wh..wh..opq")).unwrap(), b"opq");
        assert_eq!(fs::read(d.join("d/h")).unwrap(), b"f");
        assert_eq!(fs::read_link(d.join("d/l")).unwrap(), Path::new("f"));
        assert_eq!(fs::read(d.join("Dockerfile")).unwrap(), b"FROM x\n");
        drop(ctx);
        assert!(!d.exists(), "removed on drop");
    }

    #[test]
    fn compressed_tarballs_are_contexts_and_text_is_a_dockerfile() {
        let mut b = tar::Builder::new(Vec::new());
        add(&mut b, "f", tar::EntryType::Regular, b"gz");
        let tar = b.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut gz, &tar).unwrap();
        let ctx = StdinContext::read(&gz.finish().unwrap()[..]).unwrap();
        assert_eq!(fs::read(ctx.dir().join("f")).unwrap(), b"gz");
        let text = "FROM busybox\nRUN echo hi\n".repeat(40);
        let mut ctx = StdinContext::read(text.as_bytes()).unwrap();
        assert_eq!(ctx.take_dockerfile().unwrap(), text.as_bytes());
        assert_eq!(fs::read_dir(ctx.dir()).unwrap().count(), 0);
        let mut ctx = StdinContext::read(&b""[..]).unwrap();
        assert_eq!(ctx.take_dockerfile().unwrap(), b"");
        assert!(matches!(
            StdinContext::read(&[0xfd, b'7', b'z', b'X', b'Z', 0, 1][..]),
            Err(ContextError::UnsupportedCompression("xz"))
        ));
    }

    #[test]
    fn nothing_escapes_the_context() {
        let outside = tempfile::tempdir().unwrap();
        let out = outside.path().to_str().unwrap();
        // `..` climbing out is refused.
        let mut b = tar::Builder::new(Vec::new());
        add(&mut b, "a/../../evil", tar::EntryType::Regular, b"x");
        assert!(matches!(
            StdinContext::read(&b.into_inner().unwrap()[..]),
            Err(ContextError::UnsafeArchive { .. })
        ));
        // Absolute names land inside; writes through symlinks stay inside.
        let mut b = tar::Builder::new(Vec::new());
        add(&mut b, "/abs", tar::EntryType::Regular, b"abs");
        link(&mut b, "esc", tar::EntryType::Symlink, out);
        add(&mut b, "esc/pwned", tar::EntryType::Regular, b"x");
        link(&mut b, "up", tar::EntryType::Symlink, "../../../../..");
        add(&mut b, "up/pwned2", tar::EntryType::Regular, b"y");
        let ctx = StdinContext::read(&b.into_inner().unwrap()[..]).unwrap();
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
        let d = ctx.dir();
        assert_eq!(fs::read(d.join("abs")).unwrap(), b"abs");
        assert!(d.join(out.trim_start_matches('/')).join("pwned").is_file());
        assert!(d.join("pwned2").is_file());
        // A hardlink to a file outside is refused.
        fs::write(outside.path().join("victim"), "v").unwrap();
        let mut b = tar::Builder::new(Vec::new());
        link(
            &mut b,
            "h",
            tar::EntryType::Link,
            "../../../../../../etc/passwd",
        );
        assert!(StdinContext::read(&b.into_inner().unwrap()[..]).is_err());
        let mut b = tar::Builder::new(Vec::new());
        link(&mut b, "esc", tar::EntryType::Symlink, out);
        link(&mut b, "h", tar::EntryType::Link, "esc/victim");
        assert!(StdinContext::read(&b.into_inner().unwrap()[..]).is_err());
        assert_eq!(
            fs::read_to_string(outside.path().join("victim")).unwrap(),
            "v"
        );
    }

    #[test]
    fn device_nodes_are_created_as_root_or_skipped_with_a_warning() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = header("null", tar::EntryType::Char, 0, 0o600);
        h.set_device_major(1).unwrap();
        h.set_device_minor(3).unwrap();
        h.set_cksum();
        b.append(&h, &b""[..]).unwrap();
        add(&mut b, "f", tar::EntryType::Regular, b"f");
        let ctx = StdinContext::read(&b.into_inner().unwrap()[..]).unwrap();
        assert!(ctx.dir().join("f").is_file());
        match fs::symlink_metadata(ctx.dir().join("null")) {
            Ok(md) => {
                assert!(md.file_type().is_char_device());
                assert_eq!(md.rdev(), libc::makedev(1, 3));
                assert_eq!(md.permissions().mode() & 0o7777, 0o600);
                assert!(ctx.warnings().is_empty());
            }
            Err(_) => {
                // Not permitted here (not root, or a user namespace).
                assert!(!is_root() || !ctx.warnings().is_empty());
                assert!(ctx.warnings()[0].contains("null"), "{:?}", ctx.warnings());
            }
        }
    }
}
