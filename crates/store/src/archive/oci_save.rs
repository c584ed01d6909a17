//! Writing an OCI image layout as a tar, as `podman save --format oci-archive` and
//! `skopeo copy ... oci-archive:` do: `oci-layout`, `blobs/sha256/*` (layers as stored,
//! compressed or not), and `index.json` with one manifest descriptor per name, annotated with
//! `org.opencontainers.image.ref.name` set to the full name (what podman writes).

use std::collections::{BTreeMap, HashSet};
use std::io::Write;

use super::stored::{copy_blob, StoredImage};
use super::tar_out::TarOut;
use super::SaveImage;
use crate::blobs::BlobStore;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::oci::{self, Descriptor, Index};

/// Writes `images` as an OCI archive to `out`.
pub(crate) fn save<W: Write>(blobs: &BlobStore, images: &[SaveImage], out: W) -> Result<()> {
    let mut tar = TarOut::new(out);
    tar.bytes("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    tar.dir("blobs")?;
    tar.dir("blobs/sha256")?;
    let mut written: HashSet<Digest> = HashSet::new();
    let mut manifests: Vec<Descriptor> = Vec::new();
    for want in images {
        let img = StoredImage::read(blobs, &want.manifest)?;
        let mut blob = |d: &Digest| -> Result<()> {
            if written.insert(d.clone()) {
                copy_blob(blobs, &mut tar, &format!("blobs/sha256/{}", d.hex()), d)?;
            }
            Ok(())
        };
        for layer in &img.manifest.layers {
            blob(&layer.digest)?;
        }
        blob(&img.manifest.config.digest)?;
        blob(&img.digest)?;
        let descriptor = |annotations| Descriptor {
            media_type: img.media_type().to_string(),
            digest: img.digest.clone(),
            size: img.manifest_bytes.len() as u64,
            annotations,
            platform: None,
        };
        if want.names.is_empty() {
            manifests.push(descriptor(None));
        }
        for name in &want.names {
            let full = super::refs::normalize(name).ok_or_else(|| {
                Error::BadImage(format!("cannot save {name:?}: not a valid image reference"))
            })?;
            let ann = BTreeMap::from([(oci::ANNOTATION_REF_NAME.to_string(), full)]);
            let d = descriptor(Some(ann));
            if !manifests.contains(&d) {
                manifests.push(d);
            }
        }
    }
    let index = Index {
        schema_version: 2,
        media_type: Some(oci::MEDIA_INDEX.into()),
        manifests,
        annotations: None,
    };
    let bytes = serde_json::to_vec(&index).map_err(|source| Error::Json {
        what: "index.json",
        source,
    })?;
    tar.bytes("index.json", &bytes)?;
    tar.finish()
}
