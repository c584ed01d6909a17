//! Loading an OCI image layout archive (skopeo/podman `oci-archive:`, Docker 25+ without
//! `manifest.json`): `index.json` names, nested indexes resolved to the host platform, every
//! blob checked against its digest and kept as it is (compressed layers stay compressed).

use std::collections::BTreeMap;

use super::extract::Extracted;
use super::ingest::{file_as_blob, mismatch};
use super::{refs, LoadedImage};
use crate::blobs::BlobStore;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::oci::{self, Descriptor, ImageConfig, Index, Manifest};

/// Annotation containerd and Docker 25+ put the full image name in.
const ANNOTATION_CONTAINERD_NAME: &str = "io.containerd.image.name";

/// How deep nested indexes may go.
const MAX_DEPTH: usize = 4;

/// Loads every image `index.json` lists.
pub(crate) fn load(blobs: &BlobStore, x: &Extracted) -> Result<Vec<LoadedImage>> {
    if x.exists("oci-layout")? {
        let layout: serde_json::Value =
            serde_json::from_slice(&x.read("oci-layout", "oci-layout")?).map_err(|source| {
                Error::Json {
                    what: "oci-layout of the archive",
                    source,
                }
            })?;
        if layout["imageLayoutVersion"] != "1.0.0" {
            return Err(Error::BadImage(format!(
                "oci-layout has imageLayoutVersion {}: only 1.0.0 is supported",
                layout["imageLayoutVersion"]
            )));
        }
    }
    let index: Index =
        serde_json::from_slice(&x.read("index.json", "OCI index")?).map_err(|source| {
            Error::Json {
                what: "index.json of the OCI archive",
                source,
            }
        })?;
    if index.manifests.is_empty() {
        return Err(Error::BadImage(
            "index.json of the OCI archive lists no image".into(),
        ));
    }
    // Loaded images, with the digest of the manifest they came from.
    let mut out: Vec<(Digest, LoadedImage)> = Vec::new();
    for desc in &index.manifests {
        let names = names_of(desc)?;
        let manifest_desc = pick_manifest(x, desc, 0)?;
        if let Some((_, o)) = out.iter_mut().find(|(d, _)| *d == manifest_desc.digest) {
            super::merge_names(&mut o.names, names);
            continue;
        }
        let mut img = load_manifest(blobs, x, &manifest_desc)?;
        img.names = names;
        out.push((manifest_desc.digest, img));
    }
    Ok(out.into_iter().map(|(_, img)| img).collect())
}

/// The image names an index entry carries, as full references.
fn names_of(desc: &Descriptor) -> Result<Vec<String>> {
    let Some(ann) = &desc.annotations else {
        return Ok(Vec::new());
    };
    let name = match (
        ann.get(ANNOTATION_CONTAINERD_NAME),
        ann.get(oci::ANNOTATION_REF_NAME),
    ) {
        (Some(n), _) => n,
        (None, Some(n)) => n,
        (None, None) => return Ok(Vec::new()),
    };
    let full = refs::normalize(name).ok_or_else(|| {
        Error::BadImage(format!(
            "index.json names an image {name:?}, which is not a valid reference"
        ))
    })?;
    Ok(vec![full])
}

/// The blob entry name of a digest in the layout.
fn blob_entry(d: &Digest) -> String {
    format!("blobs/sha256/{}", d.hex())
}

/// Reads a small blob (index, manifest) from the layout, checking digest and size.
fn read_blob(x: &Extracted, desc: &Descriptor, what: &str) -> Result<Vec<u8>> {
    let entry = blob_entry(&desc.digest);
    let bytes = x.read(&entry, what)?;
    let actual = Digest::of_bytes(&bytes);
    if actual != desc.digest {
        return Err(mismatch(what, &entry, &desc.digest, &actual));
    }
    if bytes.len() as u64 != desc.size {
        return Err(Error::BadImage(format!(
            "{what} {entry:?} is {} bytes, its descriptor says {}",
            bytes.len(),
            desc.size
        )));
    }
    Ok(bytes)
}

fn is_index(media_type: &str) -> bool {
    media_type == oci::MEDIA_INDEX || media_type == oci::MEDIA_DOCKER_LIST
}

fn is_manifest(media_type: &str) -> bool {
    media_type == oci::MEDIA_MANIFEST || media_type == oci::MEDIA_DOCKER_MANIFEST
}

/// Follows nested indexes down to the image manifest for the host platform.
fn pick_manifest(x: &Extracted, desc: &Descriptor, depth: usize) -> Result<Descriptor> {
    if is_manifest(&desc.media_type) {
        return Ok(desc.clone());
    }
    if !is_index(&desc.media_type) {
        return Err(Error::BadImage(format!(
            "index entry {} has media type {:?}: not an image manifest or index",
            desc.digest, desc.media_type
        )));
    }
    if depth >= MAX_DEPTH {
        return Err(Error::BadImage(format!(
            "image index {} nests more than {MAX_DEPTH} levels deep",
            desc.digest
        )));
    }
    let bytes = read_blob(x, desc, "image index")?;
    let index: Index = serde_json::from_slice(&bytes).map_err(|source| Error::Json {
        what: "nested image index in the OCI archive",
        source,
    })?;
    let arch = oci::host_architecture();
    let candidates: Vec<&Descriptor> = index
        .manifests
        .iter()
        .filter(|d| match &d.platform {
            Some(p) => p.os == "linux" && p.architecture == arch,
            None => false,
        })
        .collect();
    let want_variant = if arch == "arm64" { Some("v8") } else { None };
    let chosen = candidates
        .iter()
        .find(|d| d.platform.as_ref().and_then(|p| p.variant.as_deref()) == want_variant)
        .or_else(|| candidates.first())
        .copied()
        .or_else(|| match index.manifests.as_slice() {
            [only] if only.platform.is_none() => Some(only),
            _ => None,
        });
    match chosen {
        Some(d) => pick_manifest(x, d, depth + 1),
        None => {
            let platforms: Vec<String> = index
                .manifests
                .iter()
                .filter_map(|d| d.platform.as_ref())
                .map(|p| format!("{}/{}", p.os, p.architecture))
                .collect();
            Err(Error::BadImage(format!(
                "image index {} has no image for linux/{arch} (it has: {})",
                desc.digest,
                platforms.join(", ")
            )))
        }
    }
}

/// Stores the manifest's config and layers (verified) and the manifest itself, converted to
/// OCI media types when it is a Docker schema 2 manifest.
fn load_manifest(blobs: &BlobStore, x: &Extracted, desc: &Descriptor) -> Result<LoadedImage> {
    let bytes = read_blob(x, desc, "image manifest")?;
    let mut manifest: Manifest = serde_json::from_slice(&bytes).map_err(|source| Error::Json {
        what: "image manifest in the OCI archive",
        source,
    })?;
    let config_entry = blob_entry(&manifest.config.digest);
    let config_bytes = x.read(&config_entry, "image config")?;
    let actual = Digest::of_bytes(&config_bytes);
    if actual != manifest.config.digest {
        return Err(mismatch(
            "image config",
            &config_entry,
            &manifest.config.digest,
            &actual,
        ));
    }
    let config: ImageConfig =
        serde_json::from_slice(&config_bytes).map_err(|source| Error::Json {
            what: "image config in the OCI archive",
            source,
        })?;
    if config.rootfs.diff_ids.len() != manifest.layers.len() {
        return Err(Error::BadImage(format!(
            "manifest {} lists {} layers but its config has {} diff_ids",
            desc.digest,
            manifest.layers.len(),
            config.rootfs.diff_ids.len()
        )));
    }
    for layer in &manifest.layers {
        let entry = blob_entry(&layer.digest);
        let size = file_as_blob(blobs, x, &entry, &layer.digest, "layer")?;
        if size != layer.size {
            return Err(Error::BadImage(format!(
                "layer {entry:?} is {size} bytes, the manifest says {}",
                layer.size
            )));
        }
    }
    blobs.put_bytes(&config_bytes)?;
    let docker = manifest.media_type.as_deref() == Some(oci::MEDIA_DOCKER_MANIFEST)
        || desc.media_type == oci::MEDIA_DOCKER_MANIFEST;
    let stored = if docker {
        to_oci(&mut manifest)?;
        serde_json::to_vec(&manifest).map_err(|source| Error::Json {
            what: "manifest converted to OCI",
            source,
        })?
    } else {
        bytes
    };
    let digest = blobs.put_bytes(&stored)?;
    Ok(LoadedImage {
        manifest: Descriptor {
            media_type: oci::MEDIA_MANIFEST.into(),
            digest,
            size: stored.len() as u64,
            annotations: None,
            platform: None,
        },
        config: manifest.config.digest.clone(),
        names: Vec::new(),
    })
}

/// Rewrites a Docker schema 2 manifest's media types to their OCI equivalents.
fn to_oci(m: &mut Manifest) -> Result<()> {
    let layer_types: BTreeMap<&str, &str> = [
        (oci::MEDIA_DOCKER_LAYER_GZIP, oci::MEDIA_LAYER_GZIP),
        (
            "application/vnd.docker.image.rootfs.diff.tar",
            oci::MEDIA_LAYER_TAR,
        ),
        (oci::MEDIA_LAYER_GZIP, oci::MEDIA_LAYER_GZIP),
        (oci::MEDIA_LAYER_ZSTD, oci::MEDIA_LAYER_ZSTD),
        (oci::MEDIA_LAYER_TAR, oci::MEDIA_LAYER_TAR),
    ]
    .into_iter()
    .collect();
    m.media_type = Some(oci::MEDIA_MANIFEST.into());
    m.config.media_type = oci::MEDIA_CONFIG.into();
    for l in &mut m.layers {
        match layer_types.get(l.media_type.as_str()) {
            Some(t) => l.media_type = (*t).into(),
            None => {
                return Err(Error::BadImage(format!(
                    "layer {} has media type {:?}, which berth cannot store",
                    l.digest, l.media_type
                )))
            }
        }
    }
    Ok(())
}
