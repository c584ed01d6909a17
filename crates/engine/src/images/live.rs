//! What the store must keep: the one walk garbage collection and `system check` share.

use std::collections::HashSet;

use berth_store::Digest;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::images::index;
use crate::images::resolve::Image;

/// What [`Engine::live_content`] shows its visitor for each image: the image and the blobs
/// it needs, or why it could not be read.
pub type Visited<'a> = std::result::Result<(&'a Image, &'a [Digest]), &'a Error>;

/// The blobs and unpacked layers something still needs.
#[derive(Debug, Default)]
pub struct Live {
    /// Blob digests.
    pub blobs: HashSet<Digest>,
    /// Unpacked layers' chain IDs.
    pub chains: HashSet<Digest>,
}

impl Engine {
    /// Everything indexed images (manifest, config, layers, and the blobs they keep: pulled
    /// indexes, pushed manifests, compressed layers), the build cache and transfers in
    /// progress reference. `visit` sees each image ID with its image, or why it could not
    /// be read (such an image's content cannot be known).
    pub fn live_content(&self, visit: &mut dyn FnMut(&str, Visited<'_>)) -> Result<Live> {
        let mut live = Live::default();
        for row in index::list(&self.db)? {
            let image = match self.image_by_id(&row.id) {
                Ok(i) => i,
                Err(e) => {
                    visit(&row.id, Err(&e));
                    continue;
                }
            };
            let mut wanted = vec![
                image.manifest_digest.clone(),
                image.manifest.config.digest.clone(),
            ];
            wanted.extend(image.manifest.layers.iter().map(|l| l.digest.clone()));
            wanted.extend(
                index::kept_blobs(&self.db, &row.id)?
                    .iter()
                    .filter_map(|d| d.parse::<Digest>().ok()),
            );
            visit(&row.id, Ok((&image, &wanted)));
            live.blobs.extend(wanted);
            live.chains.extend(Engine::chain_ids(&image));
        }
        let (cached_blobs, cached_chains) = crate::build::cache::referenced(&self.db)?;
        live.blobs.extend(cached_blobs);
        live.chains.extend(cached_chains);
        let (pending_blobs, pending_chains) = berth_store::pending::referenced(&self.blobs)?;
        live.blobs.extend(pending_blobs);
        live.chains.extend(pending_chains);
        Ok(live)
    }
}
