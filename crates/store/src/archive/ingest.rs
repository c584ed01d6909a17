//! Moving verified blobs from an extracted archive into the blob store.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

use super::extract::Extracted;
use crate::blobs::BlobStore;
use crate::compression::{decompressed_with, Compression};
use crate::digest::{Digest, DigestReader};
use crate::error::{io_err, Error, Result};

/// Puts the archive entry `entry` (a `what`) into the store as the blob `expected`, checking
/// its content first. The file is renamed into place (same filesystem: the temp dir is under
/// the store), so nothing is copied. A blob already in the store is not read again (the entry
/// may be gone: moved in for an earlier reference). Returns the blob's size.
pub(crate) fn file_as_blob(
    blobs: &BlobStore,
    x: &Extracted,
    entry: &str,
    expected: &Digest,
    what: &str,
) -> Result<u64> {
    if blobs.exists(expected) {
        return blobs.size(expected);
    }
    let path = x.file(entry, what)?;
    move_in(blobs, &path, entry, expected, what)
}

fn move_in(
    blobs: &BlobStore,
    path: &Path,
    entry: &str,
    expected: &Digest,
    what: &str,
) -> Result<u64> {
    let f = File::open(path).map_err(io_err("open", path))?;
    let mut r = DigestReader::new(io::BufReader::with_capacity(256 * 1024, &f));
    io::copy(&mut r, &mut io::sink()).map_err(io_err("read", path))?;
    let (actual, size) = r.finish();
    if actual != *expected {
        return Err(mismatch(what, entry, expected, &actual));
    }
    f.sync_all().map_err(io_err("fsync", path))?;
    let dest = blobs.path(expected);
    blobs.note_new(expected)?;
    fs::rename(path, &dest).map_err(io_err("rename into", &dest))?;
    Ok(size)
}

/// Stores the layer entry `entry` uncompressed, checking that its uncompressed content hashes
/// to `diff_id`. A plain tar is moved in place; gzip and zstd are decompressed.
pub(crate) fn layer_as_tar_blob(
    blobs: &BlobStore,
    x: &Extracted,
    entry: &str,
    diff_id: &Digest,
) -> Result<u64> {
    if blobs.exists(diff_id) {
        return blobs.size(diff_id);
    }
    let path = &x.file(entry, "layer")?;
    let mut f = File::open(path).map_err(io_err("open", path))?;
    let mut magic = [0u8; crate::compression::MAGIC_LEN];
    let n = read_up_to(&mut f, &mut magic).map_err(io_err("read", path))?;
    drop(f);
    if Compression::detect(&magic[..n])? == Compression::None {
        return move_in(blobs, path, entry, diff_id, "layer");
    }
    let f = File::open(path).map_err(io_err("open", path))?;
    let (reader, _) = decompressed_with(f)?;
    match blobs.put_reader(reader, Some(diff_id)) {
        Ok((_, size)) => Ok(size),
        Err(Error::DigestMismatch { actual, .. }) => Err(Error::ArchiveDigestMismatch {
            what: "uncompressed layer".into(),
            entry: entry.into(),
            expected: diff_id.to_string(),
            actual,
        }),
        Err(Error::Io { source, .. }) => Err(Error::Stream {
            what: format!("decompressing layer {entry:?} from the archive"),
            source,
        }),
        Err(e) => Err(e),
    }
}

/// The error for content that does not hash to its digest.
pub(crate) fn mismatch(what: &str, entry: &str, expected: &Digest, actual: &Digest) -> Error {
    Error::ArchiveDigestMismatch {
        what: what.into(),
        entry: entry.into(),
        expected: expected.to_string(),
        actual: actual.to_string(),
    }
}

/// Reads until `buf` is full or the end; returns how many bytes were read.
pub(crate) fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
