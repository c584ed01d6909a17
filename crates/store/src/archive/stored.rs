//! Reading an image out of the blob store for saving, with every blob checked on the way.

use std::io::{self, Write};

use super::tar_out::TarOut;
use crate::blobs::BlobStore;
use crate::digest::{Digest, DigestReader, DigestWriter};
use crate::error::{Error, Result};
use crate::oci::{self, ImageConfig, Manifest};

/// An image's manifest and config, read from the store.
pub(crate) struct StoredImage {
    /// The manifest's digest.
    pub digest: Digest,
    /// The manifest blob as stored.
    pub manifest_bytes: Vec<u8>,
    /// The parsed manifest.
    pub manifest: Manifest,
    /// The config blob as stored.
    pub config_bytes: Vec<u8>,
    /// The parsed config.
    pub config: ImageConfig,
}

impl StoredImage {
    /// Reads the image whose manifest is `digest`.
    pub(crate) fn read(blobs: &BlobStore, digest: &Digest) -> Result<StoredImage> {
        let manifest_bytes = blobs.read(digest)?;
        let manifest: Manifest =
            serde_json::from_slice(&manifest_bytes).map_err(|source| Error::Json {
                what: "image manifest in the store",
                source,
            })?;
        if let Some(t) = manifest.media_type.as_deref() {
            if t != oci::MEDIA_MANIFEST && t != oci::MEDIA_DOCKER_MANIFEST {
                return Err(Error::BadImage(format!(
                    "{digest} has media type {t:?}: only image manifests can be saved"
                )));
            }
        }
        let config_bytes = blobs.read(&manifest.config.digest)?;
        let actual = Digest::of_bytes(&config_bytes);
        if actual != manifest.config.digest {
            return Err(Error::DigestMismatch {
                expected: manifest.config.digest.to_string(),
                actual: actual.to_string(),
            });
        }
        let config: ImageConfig =
            serde_json::from_slice(&config_bytes).map_err(|source| Error::Json {
                what: "image config in the store",
                source,
            })?;
        if config.rootfs.diff_ids.len() != manifest.layers.len() {
            return Err(Error::BadImage(format!(
                "image {digest}: the manifest has {} layers, the config {} diff_ids",
                manifest.layers.len(),
                config.rootfs.diff_ids.len()
            )));
        }
        Ok(StoredImage {
            digest: digest.clone(),
            manifest_bytes,
            manifest,
            config_bytes,
            config,
        })
    }

    /// The manifest's media type (OCI unless it says otherwise).
    pub(crate) fn media_type(&self) -> &str {
        self.manifest
            .media_type
            .as_deref()
            .unwrap_or(oci::MEDIA_MANIFEST)
    }
}

/// Writes the blob `digest` as the archive entry `path`, checking its content on the way.
pub(crate) fn copy_blob<W: Write>(
    blobs: &BlobStore,
    out: &mut TarOut<W>,
    path: &str,
    digest: &Digest,
) -> Result<()> {
    let size = blobs.size(digest)?;
    let mut r = DigestReader::new(io::BufReader::with_capacity(
        256 * 1024,
        blobs.open_blob(digest)?,
    ));
    out.file(path, size, &mut r)?;
    check(digest, r.finish().0)
}

/// Writes the layer blob `blob` uncompressed as `path`; its uncompressed content must hash
/// to `diff_id`. Compressed blobs are decompressed twice: once to learn the size the tar
/// header needs (and check the content), once to write.
pub(crate) fn copy_layer_uncompressed<W: Write>(
    blobs: &BlobStore,
    out: &mut TarOut<W>,
    path: &str,
    blob: &Digest,
    diff_id: &Digest,
) -> Result<()> {
    let (reader, kind) = crate::compression::decompressed_with(blobs.open_blob(blob)?)?;
    if kind == crate::compression::Compression::None {
        drop(reader);
        check(diff_id, blob.clone())?;
        return copy_blob(blobs, out, path, blob);
    }
    let mut w = DigestWriter::new(io::sink());
    let mut reader = reader;
    io::copy(&mut reader, &mut w).map_err(|source| Error::Stream {
        what: format!("decompressing layer {blob} from the store"),
        source,
    })?;
    let (actual, size, _) = w.finish();
    check(diff_id, actual)?;
    let (reader, _) = crate::compression::decompressed_with(blobs.open_blob(blob)?)?;
    out.file(path, size, reader)
}

fn check(expected: &Digest, actual: Digest) -> Result<()> {
    if *expected == actual {
        Ok(())
    } else {
        Err(Error::DigestMismatch {
            expected: expected.to_string(),
            actual: actual.to_string(),
        })
    }
}
