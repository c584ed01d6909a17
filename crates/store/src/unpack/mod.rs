//! Unpacking one image layer (a tar stream, plain, gzip or zstd) into a directory that
//! becomes an overlayfs lower layer.
//!
//! The writing is the path-safety core's ([`berth_pathsafe::extract`]) with the layer
//! policy: names are normalised lexically (`..` may not leave the root) and every parent is
//! opened component by component with `O_NOFOLLOW` (the last one kept open for the next
//! entry), so no entry is written through a symlink. OCI whiteouts become overlayfs
//! whiteouts (0:0 character devices, and the `trusted.overlay.opaque` xattr for opaque
//! directories). Device nodes under /dev are skipped (kept in the blob, never created);
//! elsewhere they are refused.

pub mod meta;
mod pipeline;

use std::io::{self, Read};
use std::path::Path;

use berth_pathsafe::dirs::NoSymlinkDirs;
use berth_pathsafe::entry::Words;
use berth_pathsafe::extract::{Extractor, Policy};
use berth_pathsafe::ExtractError;

use crate::digest::Digest;
use crate::error::{Error, Result};

pub use meta::{read_meta, EntryPath, Kind, Meta};

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
    let dirs = NoSymlinkDirs::open(dest, Words::LAYER)?;
    let mut extractor = Extractor::new(dirs, Policy::layer());
    extractor.apply_archive(&mut archive, "layer tar")?;
    let stats = extractor.finish()?;
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|source| Error::Stream {
        what: "corrupt or truncated layer tar (after its last entry)".into(),
        source,
    })?;
    Ok((stats.size, stats.entries))
}

impl From<ExtractError> for Error {
    /// A refused entry or conflict is a bad archive; I/O and stream errors keep their kind.
    fn from(e: ExtractError) -> Error {
        match e {
            ExtractError::Refused(m) | ExtractError::Conflict(m) => Error::BadArchive(m),
            ExtractError::Io { what, path, source } => Error::Io { what, path, source },
            ExtractError::Stream { what, source } => Error::Stream { what, source },
        }
    }
}
