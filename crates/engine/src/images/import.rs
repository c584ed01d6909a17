//! `berth import`: a rootfs tarball (file or stdin) becomes a one-layer image.

use std::io::Read;
use std::time::{SystemTime, UNIX_EPOCH};

use berth_store::import::{import_rootfs, ImportOptions};
use berth_store::oci::ContainerConfig;

use crate::engine::Engine;
use crate::error::Result;
use crate::images::changes::apply_change;
use crate::images::index::{self, ImageRow};
use crate::lock::Lock;
use crate::reference::Reference;

impl Engine {
    /// Imports a rootfs tarball as an image named `name` (if given), with `--change` lines and a
    /// commit message. Returns the image ID. Nothing is listed until every blob is stored and
    /// the layer is unpacked; a failed import leaves nothing behind (it is journaled).
    pub fn import(
        &mut self,
        input: impl Read,
        name: Option<&str>,
        changes: &[String],
        message: Option<&str>,
    ) -> Result<String> {
        self.journaled(|e| e, |e| e.import_journaled(input, name, changes, message))
    }

    fn import_journaled(
        &mut self,
        input: impl Read,
        name: Option<&str>,
        changes: &[String],
        message: Option<&str>,
    ) -> Result<String> {
        let reference = name.map(Reference::parse).transpose()?;
        let _lock = Lock::shared(&self.paths.locks(), "store")?;
        let mut config = ContainerConfig::default();
        for c in changes {
            apply_change(&mut config, c)?;
        }
        let opts = ImportOptions {
            comment: message.map(String::from),
            ..Default::default()
        };
        let imported = import_rootfs(&self.blobs, input, config, &opts)?;
        let id = imported.config.hex().to_string();
        let image = self.image_from_manifest(&id, &imported.manifest.digest)?;
        let (_, size) = self.ensure_layers(&image)?;
        let row = ImageRow {
            id: id.clone(),
            manifest: imported.manifest.digest.to_string(),
            created: image.config.created.clone(),
            size,
            added: now_secs(),
            tags: Vec::new(),
        };
        let names: Vec<String> = reference.iter().map(|r| r.to_string()).collect();
        crate::testhook::pause_at("import:stored");
        index::insert(&mut self.db, &row, &names)?;
        self.image_event("import", &id, names.first().map(String::as_str));
        Ok(id)
    }

    /// An [`crate::images::resolve::Image`] read straight from blobs (not yet indexed).
    pub fn image_from_manifest(
        &self,
        id: &str,
        manifest: &berth_store::Digest,
    ) -> Result<crate::images::resolve::Image> {
        let m: berth_store::oci::Manifest = serde_json::from_slice(&self.blobs.read(manifest)?)
            .map_err(|e| berth_store::Error::Json {
                what: "image manifest",
                source: e,
            })?;
        let config = serde_json::from_slice(&self.blobs.read(&m.config.digest)?).map_err(|e| {
            berth_store::Error::Json {
                what: "image config",
                source: e,
            }
        })?;
        Ok(crate::images::resolve::Image {
            id: id.to_string(),
            manifest_digest: manifest.clone(),
            manifest: m,
            config,
        })
    }
}

/// Seconds since the epoch.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
