//! Loading a docker-archive: `manifest.json` + configs + layer tars, in any of the shapes
//! Docker (legacy `<id>/layer.tar`, 25+ OCI-layout-plus-manifest.json) and podman write.

use std::path::Path;

use serde::Deserialize;

use super::extract::Extracted;
use super::ingest::{layer_as_tar_blob, mismatch};
use super::{refs, LoadedImage};
use crate::blobs::BlobStore;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::oci::{
    Descriptor, ImageConfig, Manifest, MEDIA_CONFIG, MEDIA_LAYER_TAR, MEDIA_MANIFEST,
};

/// One entry of `manifest.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Vec<String>,
}

/// Loads every image `manifest.json` lists.
pub(crate) fn load(blobs: &BlobStore, x: &Extracted) -> Result<Vec<LoadedImage>> {
    let bytes = x.read("manifest.json", "docker-archive manifest")?;
    let entries: Vec<Entry> = serde_json::from_slice(&bytes).map_err(|source| Error::Json {
        what: "manifest.json of the docker-archive",
        source,
    })?;
    if entries.is_empty() {
        return Err(Error::BadImage(
            "manifest.json of the docker-archive lists no image".into(),
        ));
    }
    let mut out: Vec<LoadedImage> = Vec::new();
    for e in &entries {
        let img = load_one(blobs, x, e)?;
        match out
            .iter_mut()
            .find(|o| o.manifest.digest == img.manifest.digest)
        {
            Some(o) => super::merge_names(&mut o.names, img.names),
            None => out.push(img),
        }
    }
    Ok(out)
}

fn load_one(blobs: &BlobStore, x: &Extracted, e: &Entry) -> Result<LoadedImage> {
    let config_bytes = x.read(&e.config, "image config")?;
    let config_digest = Digest::of_bytes(&config_bytes);
    if let Some(named) = digest_in_name(&e.config) {
        if named != config_digest {
            return Err(mismatch("image config", &e.config, &named, &config_digest));
        }
    }
    let config: ImageConfig =
        serde_json::from_slice(&config_bytes).map_err(|source| Error::Json {
            what: "image config in the docker-archive",
            source,
        })?;
    let diff_ids = &config.rootfs.diff_ids;
    if diff_ids.len() != e.layers.len() {
        return Err(Error::BadImage(format!(
            "image config {:?} lists {} layers (rootfs.diff_ids) but manifest.json lists {}",
            e.config,
            diff_ids.len(),
            e.layers.len()
        )));
    }
    let mut layers = Vec::with_capacity(diff_ids.len());
    for (name, diff_id) in e.layers.iter().zip(diff_ids) {
        let size = layer_as_tar_blob(blobs, x, name, diff_id)?;
        layers.push(descriptor(MEDIA_LAYER_TAR, diff_id.clone(), size));
    }
    blobs.put_bytes(&config_bytes)?;
    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(MEDIA_MANIFEST.into()),
        config: descriptor(
            MEDIA_CONFIG,
            config_digest.clone(),
            config_bytes.len() as u64,
        ),
        layers,
        annotations: None,
    };
    let manifest_bytes = serde_json::to_vec(&manifest).map_err(|source| Error::Json {
        what: "manifest built for a docker-archive image",
        source,
    })?;
    let manifest_digest = blobs.put_bytes(&manifest_bytes)?;
    let mut names = Vec::new();
    for tag in e.repo_tags.iter().flatten() {
        let full = refs::normalize(tag).ok_or_else(|| {
            Error::BadImage(format!(
                "manifest.json of the docker-archive has an invalid RepoTag {tag:?}"
            ))
        })?;
        if !names.contains(&full) {
            names.push(full);
        }
    }
    Ok(LoadedImage {
        manifest: descriptor(MEDIA_MANIFEST, manifest_digest, manifest_bytes.len() as u64),
        config: config_digest,
        names,
    })
}

/// The digest an entry name carries: `<hex>.json`, `<hex>.tar`, `blobs/sha256/<hex>`.
fn digest_in_name(name: &str) -> Option<Digest> {
    let base = Path::new(name).file_name()?.to_str()?;
    let hex = base.split_once('.').map_or(base, |(h, _)| h);
    Digest::from_hex(hex).ok()
}

fn descriptor(media_type: &str, digest: Digest, size: u64) -> Descriptor {
    Descriptor {
        media_type: media_type.into(),
        digest,
        size,
        annotations: None,
        platform: None,
    }
}
