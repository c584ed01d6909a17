//! The inverse of [`crate::unpack`]: an overlayfs upper directory written as an
//! uncompressed OCI layer tar, for `berth build` steps and `commit`.
//!
//! Overlayfs whiteouts (0:0 character devices) become empty `.wh.<name>` files, opaque
//! directories (`trusted.overlay.opaque=y`) get a `.wh..wh..opq` entry right after their
//! own. Output is reproducible: entries sorted by path bytes, numeric owners only, whole
//! second mtimes (optionally clamped, as `SOURCE_DATE_EPOCH` asks), PAX records only for
//! xattrs (`security.capability` and `user.*`). Device nodes are refused.

mod emit;
mod stream;
mod walk;
mod xattr;

use std::io::Write;
use std::path::Path;

use crate::blobs::BlobStore;
use crate::digest::{Digest, DigestWriter};
use crate::error::{Error, Result};
use crate::oci::{Descriptor, MEDIA_LAYER_TAR};

/// How to write a layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// `SOURCE_DATE_EPOCH`: when set, every mtime later than it is set to it.
    pub mtime: Option<i64>,
    /// With `mtime` set: every entry gets exactly that mtime, older ones too (files copied
    /// from a build context, whose own mtimes depend on where the context was checked out).
    pub exact_mtime: bool,
}

/// What writing a layer produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerStats {
    /// sha256 of the tar bytes: the layer's diff ID (and, uncompressed, its digest).
    pub diff_id: Digest,
    /// Bytes written.
    pub size: u64,
}

/// Writes the overlayfs upper directory `upper` as an uncompressed OCI layer tar to `out`.
/// The root directory itself is not an entry. On error `out` holds a partial stream.
pub fn write_layer(upper: &Path, out: impl Write, opts: &DiffOptions) -> Result<LayerStats> {
    let (root, nodes) = walk::walk(upper)?;
    let mut builder = tar::Builder::new(DigestWriter::new(out));
    emit::emit(
        upper,
        &root,
        &nodes,
        opts.mtime,
        opts.exact_mtime,
        &mut builder,
    )?;
    let finish_err = |source| Error::Stream {
        what: format!("finishing the layer of {}", upper.display()),
        source,
    };
    let writer = builder.into_inner().map_err(finish_err)?;
    let (diff_id, size, mut out) = writer.finish();
    out.flush().map_err(finish_err)?;
    Ok(LayerStats { diff_id, size })
}

/// Writes the layer of `upper` straight into `blobs` (crash-safe: a temporary file renamed
/// into place only when the whole layer was written) and returns its descriptor
/// ([`MEDIA_LAYER_TAR`], digest = diff ID) and stats.
pub fn write_layer_to_blobs(
    blobs: &BlobStore,
    upper: &Path,
    opts: &DiffOptions,
) -> Result<(Descriptor, LayerStats)> {
    let (stats, (digest, size)) = stream::through_reader(
        |w| write_layer(upper, w, opts),
        |r| blobs.put_reader(r, None),
    )?;
    if digest != stats.diff_id || size != stats.size {
        return Err(Error::DigestMismatch {
            expected: stats.diff_id.to_string(),
            actual: digest.to_string(),
        });
    }
    let desc = Descriptor {
        media_type: MEDIA_LAYER_TAR.to_string(),
        digest,
        size,
        annotations: None,
        platform: None,
    };
    Ok((desc, stats))
}
