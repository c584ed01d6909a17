//! Unpacking one image layer (a tar stream, plain, gzip or zstd) into a directory that
//! becomes an overlayfs lower layer.
//!
//! Path-safe: names are normalised lexically (`..` may not leave the root) and every parent
//! is opened component by component with `O_NOFOLLOW`, so no entry is written through a
//! symlink. OCI whiteouts become overlayfs whiteouts (0:0 character devices, and the
//! `trusted.overlay.opaque` xattr for opaque directories). Device nodes under /dev are skipped (kept in the blob, never created); elsewhere they are refused.

mod apply;
pub mod meta;
pub mod path;
mod pipeline;
mod tree;

use std::io::{self, Read};
use std::path::Path;

use crate::digest::Digest;
use crate::error::{Error, Result};

pub use meta::{read_meta, Kind, Meta};
pub use path::EntryPath;

/// What unpacking a layer found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpackStats {
    /// sha256 of the whole uncompressed tar stream (end padding included): the diff ID.
    pub diff_id: Digest,
    /// Bytes of regular file content written.
    pub size: u64,
    /// Number of entries applied.
    pub entries: u64,
    /// Bytes in the uncompressed tar stream.
    pub tar_size: u64,
}

/// Unpacks the layer `reader` yields into `dest`, an existing empty directory. On error,
/// `dest` may hold part of the layer (the caller removes it) but nothing outside `dest` has
/// been written.
pub fn unpack_layer(reader: impl Read + Send, dest: &Path) -> Result<UnpackStats> {
    std::thread::scope(|scope| {
        let (stream, hasher) = pipeline::start(scope, reader);
        let (size, entries) = apply_stream(stream, dest)?;
        let (diff_id, tar_size) = hasher.join().map_err(|_| pipeline::hasher_failed())?;
        Ok(UnpackStats {
            diff_id,
            size,
            entries,
            tar_size,
        })
    })
}

/// Applies the tar `stream` to `dest` and reads it to its end (so the diff ID covers the end
/// padding); returns the bytes of file content written and the entries applied.
fn apply_stream(stream: impl Read, dest: &Path) -> Result<(u64, u64)> {
    let mut archive = tar::Archive::new(stream);
    let mut unpacker = apply::Unpacker::new(dest)?;
    let mut entries = 0u64;
    let mut last: Option<String> = None;
    let entries_iter = archive
        .entries()
        .map_err(|e| read_error(last.as_deref(), e))?;
    for entry in entries_iter {
        let mut entry = entry.map_err(|e| read_error(last.as_deref(), e))?;
        let Some(meta) = read_meta(&mut entry)? else {
            continue;
        };
        unpacker.apply(&meta, &mut entry)?;
        entries += 1;
        last = Some(meta.shown);
    }
    let size = unpacker.finish()?;
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| read_error(last.as_deref(), e))?;
    Ok((size, entries))
}

/// A read error of the tar stream: corrupt, truncated, or the source failed.
fn read_error(after: Option<&str>, source: io::Error) -> Error {
    let what = match after {
        Some(entry) => format!("corrupt or truncated layer tar (after entry {entry})"),
        None => "corrupt or truncated layer tar (at its first entry)".to_string(),
    };
    Error::Stream { what, source }
}
