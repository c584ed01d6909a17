//! Pulling an image: resolve the reference (a `HEAD` for tags), pick the platform's manifest
//! from an index, fetch the configuration, then download the missing layers in parallel
//! (digests checked while streaming) while a second stage unpacks each layer as soon as it
//! and its parent are ready, so network, CPU and disk overlap. Nothing is written under a
//! name: the caller tags the image once this returns.

mod blob;
mod follow;
mod layers;

use berth_store::layers::{chain_ids, LayerStore};
use berth_store::oci::{Descriptor, ImageConfig, Manifest};
use berth_store::pending::{Pending, PendingRecord};
use berth_store::{BlobStore, Digest};

use crate::client::Registry;
use crate::error::{Error, Result};
use crate::manifest::{self, Document, Fetched};
use crate::platform::{self, PlatformSpec};
use crate::progress::Progress;

/// Layers downloaded at once by default (Docker's `max-concurrent-downloads` is 3; podman
/// uses 6).
pub const DEFAULT_JOBS: usize = 6;

/// What to pull.
#[derive(Debug, Clone)]
pub struct PullRequest<'a> {
    /// The repository path on the registry (`library/busybox`).
    pub repository: &'a str,
    /// A tag or a `sha256:` digest.
    pub reference: &'a str,
    /// The reference as the user wrote it, for messages (`busybox:latest`).
    pub display: &'a str,
    /// The platform wanted from an index.
    pub platform: &'a PlatformSpec,
    /// Parallel downloads.
    pub jobs: usize,
}

/// What a pull stored.
#[derive(Debug)]
pub struct Pulled {
    /// The record that keeps the pulled blobs and layers referenced until the caller has
    /// named the image; [`PendingRecord::finish`] it then.
    pub pending: PendingRecord,
    /// The digest the reference resolved to (an index's when it was one): Docker's
    /// `Digest:` line and repo digest.
    pub digest: Digest,
    /// The image manifest's digest (in the store now).
    pub manifest: Digest,
    /// The configuration's digest (the image ID).
    pub config: Digest,
    /// The configuration.
    pub image_config: ImageConfig,
    /// The manifest.
    pub image_manifest: Manifest,
    /// Whether any blob had to be downloaded.
    pub downloaded: bool,
}

/// Pulls `req` from `reg` into `blobs` and `layers`.
pub fn pull(
    reg: &Registry,
    req: &PullRequest<'_>,
    blobs: &BlobStore,
    layers: &LayerStore,
    progress: &dyn Progress,
) -> Result<Pulled> {
    let top = resolve(reg, req, blobs)?;
    let (manifest_doc, manifest_bytes) = match top.parse(req.display)? {
        Document::Manifest(m) => (m, top.bytes.clone()),
        Document::Index(index) => {
            let chosen = platform::select(req.platform, &index.manifests).ok_or_else(|| {
                Error::NoMatchingPlatform {
                    platform: req.platform.to_string(),
                    available: platform::describe_available(&index.manifests),
                }
            })?;
            let child = fetch_by_digest(reg, req.repository, chosen, blobs)?;
            match child.parse(req.display)? {
                Document::Manifest(m) => (m, child.bytes),
                Document::Index(_) => {
                    return Err(Error::BadManifest(format!(
                        "the index of {} points at another index for {}; berth follows one level",
                        req.display, req.platform
                    )))
                }
            }
        }
    };
    let manifest_digest = Digest::of_bytes(&manifest_bytes);
    let config_bytes = if blobs.exists(&manifest_doc.config.digest) {
        blobs.read(&manifest_doc.config.digest)?
    } else {
        reg.get_small_blob(
            req.repository,
            &manifest_doc.config.digest,
            manifest_doc.config.size,
        )?
    };
    let config: ImageConfig = serde_json::from_slice(&config_bytes).map_err(|e| {
        Error::BadManifest(format!("the image configuration of {}: {e}", req.display))
    })?;
    if config.rootfs.diff_ids.len() != manifest_doc.layers.len() {
        return Err(Error::BadManifest(format!(
            "the manifest of {} lists {} layers but its configuration {} diff IDs",
            req.display,
            manifest_doc.layers.len(),
            config.rootfs.diff_ids.len()
        )));
    }
    let mut kept = Pending {
        blobs: manifest_doc
            .layers
            .iter()
            .map(|l| l.digest.clone())
            .collect(),
        chains: chain_ids(&config.rootfs.diff_ids),
    };
    kept.blobs.extend([
        manifest_doc.config.digest.clone(),
        manifest_digest.clone(),
        top.digest.clone(),
    ]);
    let pending = PendingRecord::write(blobs, &top.digest, &kept)?;
    let downloaded = layers::fetch_and_unpack(
        reg,
        req,
        &manifest_doc.layers,
        &config.rootfs.diff_ids,
        blobs,
        layers,
        progress,
    )?;
    blobs.put_bytes(&config_bytes)?;
    blobs.put_bytes(&manifest_bytes)?;
    if top.digest != manifest_digest {
        blobs.put_bytes(&top.bytes)?;
    }
    Ok(Pulled {
        pending,
        digest: top.digest,
        manifest: manifest_digest,
        config: manifest_doc.config.digest.clone(),
        image_config: config,
        image_manifest: manifest_doc,
        downloaded,
    })
}

/// The document the reference names: from the store when a `HEAD` says the store has it,
/// else fetched.
fn resolve(reg: &Registry, req: &PullRequest<'_>, blobs: &BlobStore) -> Result<Fetched> {
    if let Ok(d) = req.reference.parse::<Digest>() {
        if blobs.exists(&d) {
            return local(blobs, &d, "");
        }
        return reg.get_manifest(req.repository, req.reference);
    }
    if let Some(r) = reg.head_manifest(req.repository, req.reference)? {
        if blobs.exists(&r.digest) {
            return local(blobs, &r.digest, &r.media_type);
        }
        return reg.get_manifest(req.repository, &r.digest.to_string());
    }
    reg.get_manifest(req.repository, req.reference)
}

fn fetch_by_digest(
    reg: &Registry,
    repository: &str,
    desc: &Descriptor,
    blobs: &BlobStore,
) -> Result<Fetched> {
    if blobs.exists(&desc.digest) {
        return local(blobs, &desc.digest, &desc.media_type);
    }
    let f = reg.get_manifest(repository, &desc.digest.to_string())?;
    if f.bytes.len() as u64 != desc.size {
        return Err(Error::BadManifest(format!(
            "manifest {} is {} bytes, its index says {}",
            desc.digest,
            f.bytes.len(),
            desc.size
        )));
    }
    Ok(Fetched {
        media_type: if f.media_type.is_empty() {
            desc.media_type.clone()
        } else {
            f.media_type
        },
        ..f
    })
}

fn local(blobs: &BlobStore, digest: &Digest, media_type: &str) -> Result<Fetched> {
    Ok(Fetched {
        digest: digest.clone(),
        media_type: media_type.to_string(),
        bytes: blobs.read(digest)?,
    })
}

/// Whether a manifest's media type is one [`manifest`] handles (re-exported for callers).
pub fn is_pullable(media_type: &str) -> bool {
    manifest::is_index(media_type) || manifest::is_manifest(media_type)
}
