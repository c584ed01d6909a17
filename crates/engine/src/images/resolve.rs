//! Finding an image from what the user typed: a name, a full or short ID, `sha256:` forms.

use berth_store::oci::{ImageConfig, Manifest};
use berth_store::Digest;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::images::index;
use crate::reference::Reference;

/// An image loaded from the store: its ID, manifest and configuration.
#[derive(Debug, Clone)]
pub struct Image {
    /// The image ID (config digest hex).
    pub id: String,
    /// The manifest digest.
    pub manifest_digest: Digest,
    /// The manifest.
    pub manifest: Manifest,
    /// The configuration.
    pub config: ImageConfig,
}

impl Engine {
    /// The full image ID `what` names, or `NoSuchImage`.
    pub fn resolve_image_id(&self, what: &str) -> Result<String> {
        if let Ok(r) = Reference::parse(what) {
            if let Some(id) = index::by_tag(&self.db, &r.to_string())? {
                return Ok(id);
            }
            if let Some(d) = &r.digest {
                let name = format!("{}@{d}", r.name());
                if let Some(id) = index::by_repo_digest(&self.db, &name)? {
                    return Ok(id);
                }
            }
        }
        let hex = what.strip_prefix("sha256:").unwrap_or(what);
        if !hex.is_empty()
            && hex.len() <= 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            let found = index::by_prefix(&self.db, hex)?;
            match found.len() {
                1 => return Ok(found[0].clone()),
                0 => {}
                _ => {
                    return Err(Error::Ambiguous {
                        kind: "image",
                        prefix: what.to_string(),
                    })
                }
            }
        }
        Err(Error::NoSuchImage(what.to_string()))
    }

    /// Loads the image `what` names.
    pub fn image(&self, what: &str) -> Result<Image> {
        let id = self.resolve_image_id(what)?;
        self.image_by_id(&id)
    }

    /// Loads an image by full ID.
    pub fn image_by_id(&self, id: &str) -> Result<Image> {
        let row = index::get(&self.db, id)?.ok_or_else(|| Error::NoSuchImage(id.to_string()))?;
        let manifest_digest: Digest = row.manifest.parse()?;
        let manifest: Manifest = serde_json::from_slice(&self.blobs.read(&manifest_digest)?)
            .map_err(|e| berth_store::Error::Json {
                what: "image manifest",
                source: e,
            })?;
        let config: ImageConfig =
            serde_json::from_slice(&self.blobs.read(&manifest.config.digest)?).map_err(|e| {
                berth_store::Error::Json {
                    what: "image config",
                    source: e,
                }
            })?;
        Ok(Image {
            id: id.to_string(),
            manifest_digest,
            manifest,
            config,
        })
    }
}
