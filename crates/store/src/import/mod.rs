//! `docker import`: a rootfs tarball (plain, gzip or zstd) becomes a one-layer image.
//!
//! The tarball is decompressed and stored as one uncompressed layer blob (so its digest is
//! its diff ID), every header checked while it streams; then the image config and an OCI
//! manifest are written as blobs. On any error the blob store's temporary file is removed
//! and nothing else has been written.

mod rfc3339;
mod tee;
mod validate;

use std::io::Read;
use std::sync::mpsc;

use crate::blobs::BlobStore;
use crate::compression::decompressed;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::oci::{
    host_architecture, ContainerConfig, Descriptor, History, ImageConfig, Manifest, RootFs,
    MEDIA_CONFIG, MEDIA_LAYER_TAR, MEDIA_MANIFEST,
};

pub use rfc3339::{format_rfc3339, now_rfc3339};

/// What `created_by` says in the history entry of an imported image.
pub const CREATED_BY: &str = "berth import";

/// Options of [`import_rootfs`].
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Creation time (RFC 3339); now, in UTC, when `None`.
    pub created: Option<String>,
    /// The commit message (`docker import -m`): the image's and the history entry's comment.
    pub comment: Option<String>,
    /// CPU architecture; the host's when `None`.
    pub architecture: Option<String>,
    /// Operating system; `linux` when `None`.
    pub os: Option<String>,
    /// Architecture variant (`v8`).
    pub variant: Option<String>,
}

/// What [`import_rootfs`] stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The OCI manifest blob.
    pub manifest: Descriptor,
    /// The image config blob (its digest is the image ID).
    pub config: Digest,
    /// The one uncompressed layer blob (its digest is also its diff ID).
    pub layer: Descriptor,
}

/// Imports the rootfs tarball `reader` yields as a one-layer image with runtime defaults
/// `config`.
pub fn import_rootfs(
    blobs: &BlobStore,
    reader: impl Read,
    config: ContainerConfig,
    opts: &ImportOptions,
) -> Result<Imported> {
    let (diff_id, size) = store_checked(blobs, decompressed(reader)?)?;
    let layer = Descriptor {
        media_type: MEDIA_LAYER_TAR.into(),
        digest: diff_id.clone(),
        size,
        annotations: None,
        platform: None,
    };
    let created = opts.created.clone().unwrap_or_else(now_rfc3339);
    let mut image = ImageConfig {
        created: Some(created.clone()),
        architecture: opts
            .architecture
            .clone()
            .unwrap_or_else(|| host_architecture().into()),
        os: opts.os.clone().unwrap_or_else(|| "linux".into()),
        variant: opts.variant.clone(),
        config,
        rootfs: RootFs {
            kind: "layers".into(),
            diff_ids: vec![diff_id],
        },
        history: vec![History {
            created: Some(created),
            created_by: Some(CREATED_BY.into()),
            comment: opts.comment.clone(),
            ..History::default()
        }],
        ..ImageConfig::default()
    };
    if let Some(c) = &opts.comment {
        image.extra.insert("comment".into(), c.clone().into());
    }
    let config_json = serde_json::to_vec(&image).map_err(|source| Error::Json {
        what: "image config",
        source,
    })?;
    let config_digest = blobs.put_bytes(&config_json)?;
    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(MEDIA_MANIFEST.into()),
        config: Descriptor {
            media_type: MEDIA_CONFIG.into(),
            digest: config_digest.clone(),
            size: config_json.len() as u64,
            annotations: None,
            platform: None,
        },
        layers: vec![layer.clone()],
        annotations: None,
    };
    let manifest_json = serde_json::to_vec(&manifest).map_err(|source| Error::Json {
        what: "image manifest",
        source,
    })?;
    let manifest_digest = blobs.put_bytes(&manifest_json)?;
    Ok(Imported {
        manifest: Descriptor {
            media_type: MEDIA_MANIFEST.into(),
            digest: manifest_digest,
            size: manifest_json.len() as u64,
            annotations: None,
            platform: None,
        },
        config: config_digest,
        layer,
    })
}

/// Stores the uncompressed tar `stream` as a blob while checking it; returns its digest
/// and size. A failed check aborts the blob write (its temporary file is removed).
fn store_checked(blobs: &BlobStore, stream: impl Read) -> Result<(Digest, u64)> {
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<tee::Chunk>(16);
        let writer = scope.spawn(move || blobs.put_reader(tee::ChannelReader::new(rx), None));
        let mut tee = tee::Tee::new(stream, tx);
        let checked = validate::validate_tar(&mut tee);
        match &checked {
            Ok(_) => tee.close(),
            Err(e) => tee.abort(&format!("import aborted: {e}")),
        }
        let written = writer.join().unwrap_or_else(|_| {
            Err(Error::BadImage(
                "the blob writer thread of the import panicked".into(),
            ))
        });
        match checked {
            Ok(_) => written,
            Err(_) if tee.writer_gone && written.is_err() => written,
            Err(e) => Err(e),
        }
    })
}
