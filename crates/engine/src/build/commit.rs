//! Writing a built image: config and manifest blobs, the index row, the tags.

use berth_store::oci::{Descriptor, ImageConfig, Manifest, MEDIA_CONFIG, MEDIA_MANIFEST};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::images::import::now_secs;
use crate::images::index::{self, ImageRow};
use crate::reference::Reference;

impl Engine {
    /// Stores a built image and points `tags` at it. Returns its ID and the tags' full
    /// names.
    pub fn commit_built_image(
        &mut self,
        config: &ImageConfig,
        layers: &[Descriptor],
        tags: &[String],
    ) -> Result<(String, Vec<String>)> {
        let names: Vec<String> = tags
            .iter()
            .map(|t| Reference::parse(t).map(|r| r.to_string()))
            .collect::<Result<_>>()?;
        let config_bytes = to_json(config)?;
        let config_digest = self.blobs.put_bytes(&config_bytes)?;
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(MEDIA_MANIFEST.to_string()),
            config: Descriptor {
                media_type: MEDIA_CONFIG.to_string(),
                digest: config_digest.clone(),
                size: config_bytes.len() as u64,
                annotations: None,
                platform: None,
            },
            layers: layers.to_vec(),
            annotations: None,
        };
        let manifest_bytes = to_json(&manifest)?;
        let manifest_digest = self.blobs.put_bytes(&manifest_bytes)?;
        let id = config_digest.hex().to_string();
        let image = self.image_from_manifest(&id, &manifest_digest)?;
        let (_, size) = self.ensure_layers(&image)?;
        let row = ImageRow {
            id: id.clone(),
            manifest: manifest_digest.to_string(),
            created: config.created.clone(),
            size,
            added: now_secs(),
            tags: Vec::new(),
        };
        index::insert(&mut self.db, &row, &names)?;
        self.image_event("build", &id, names.first().map(String::as_str));
        for n in &names {
            self.image_event("tag", &id, Some(n));
        }
        Ok((id, names))
    }
}

/// The compact JSON bytes of an image document.
fn to_json(v: &impl serde::Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| Error::Invalid(format!("serialise image document: {e}")))
}
