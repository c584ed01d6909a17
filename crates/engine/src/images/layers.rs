//! Unpacking an image's layers (once, shared by every container) and listing them for
//! overlayfs.

use std::path::PathBuf;

use berth_store::layers::{chain_id, LayerStore};
use berth_store::Digest;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::images::resolve::Image;

impl Engine {
    /// The layer store.
    pub fn layer_store(&self) -> Result<LayerStore> {
        Ok(LayerStore::open(&self.paths.layers())?.journaled(self.journal.as_ref()))
    }

    /// Makes sure every layer of `image` is unpacked; returns their directories bottom first
    /// and the total unpacked size.
    pub fn ensure_layers(&self, image: &Image) -> Result<(Vec<PathBuf>, u64)> {
        let store = self.layer_store()?;
        let diff_ids = &image.config.rootfs.diff_ids;
        if diff_ids.len() != image.manifest.layers.len() {
            return Err(Error::Invalid(format!(
                "image {} is inconsistent: {} layers in the manifest but {} diff IDs in the config",
                image.id,
                image.manifest.layers.len(),
                diff_ids.len()
            )));
        }
        let mut parent: Option<Digest> = None;
        let mut dirs = Vec::with_capacity(diff_ids.len());
        let mut size = 0;
        for (layer, diff_id) in image.manifest.layers.iter().zip(diff_ids) {
            let chain = chain_id(parent.as_ref(), diff_id);
            let dir = store.ensure(&chain, diff_id, || self.blobs.open_blob(&layer.digest))?;
            size += store.size(&chain).unwrap_or(0);
            dirs.push(dir);
            parent = Some(chain);
        }
        Ok((dirs, size))
    }

    /// The chain IDs of an image's layers, bottom first.
    pub fn chain_ids(image: &Image) -> Vec<Digest> {
        let mut parent: Option<Digest> = None;
        image
            .config
            .rootfs
            .diff_ids
            .iter()
            .map(|d| {
                let c = chain_id(parent.as_ref(), d);
                parent = Some(c.clone());
                c
            })
            .collect()
    }
}
