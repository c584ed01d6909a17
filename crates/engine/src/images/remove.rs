//! `rmi`, `image prune` and the garbage collection of blobs and unpacked layers that no image
//! references any more.

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::images::index;
use crate::lock::Lock;
use crate::reference::{familiar, Reference};

/// What `rmi` did, as Docker prints it.
#[derive(Debug, Default)]
pub struct Removed {
    /// `Untagged: <name>` lines.
    pub untagged: Vec<String>,
    /// `Deleted: sha256:<id>` lines.
    pub deleted: Vec<String>,
}

impl Engine {
    /// Removes the image `what` names (a tag: untag, deleting the image with its last tag; an
    /// ID: the image with all its tags). Images used by containers are refused unless `force`.
    pub fn remove_image(&mut self, what: &str, force: bool) -> Result<Removed> {
        let id = self.resolve_image_id(what)?;
        let tags = index::tags_of(&self.db, &id)?;
        let by_name = Reference::parse(what)
            .ok()
            .map(|r| r.to_string())
            .filter(|n| tags.contains(n));
        let mut out = Removed::default();
        if let Some(name) = &by_name {
            if tags.len() > 1 {
                index::untag(&self.db, name)?;
                out.untagged.push(familiar(name));
                self.removed_image_events(&out);
                return Ok(out);
            }
        } else if tags.len() > 1 && !force {
            return Err(Error::Conflict(format!(
                "conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories",
                &id[..12]
            )));
        }
        let users = index::containers_using(&self.db, &id)?;
        if let Some(c) = users.first() {
            if !force {
                return Err(Error::Conflict(format!(
                    "conflict: unable to delete {} (must be forced) - image is being used by container {}",
                    match &by_name { Some(n) => familiar(n), None => id[..12].to_string() },
                    &c[..12]
                )));
            }
            // Forced: the names go, the image stays for its containers.
            for t in &tags {
                index::untag(&self.db, t)?;
                out.untagged.push(familiar(t));
            }
            self.removed_image_events(&out);
            return Ok(out);
        }
        for t in &tags {
            out.untagged.push(familiar(t));
        }
        index::delete(&self.db, &id)?;
        out.deleted.push(format!("sha256:{id}"));
        self.removed_image_events(&out);
        self.collect_garbage()?;
        Ok(out)
    }

    /// Removes dangling images (no tag, no container); with `all`, every image no container
    /// uses. Returns the removal lines and the space reclaimed.
    pub fn prune_images(
        &mut self,
        all: bool,
        filter: &crate::system::prune_filter::PruneFilter,
    ) -> Result<(Removed, u64)> {
        let mut out = Removed::default();
        let mut reclaimed = 0;
        for img in index::list(&self.db)? {
            if (!all && !img.tags.is_empty())
                || !index::containers_using(&self.db, &img.id)?.is_empty()
            {
                continue;
            }
            if *filter != crate::system::prune_filter::PruneFilter::default() {
                let labels = self
                    .image_by_id(&img.id)
                    .ok()
                    .and_then(|i| i.config.config.labels)
                    .unwrap_or_default();
                if !filter.matches(img.created.as_deref().unwrap_or_default(), &labels) {
                    continue;
                }
            }
            for t in &img.tags {
                out.untagged.push(familiar(t));
            }
            index::delete(&self.db, &img.id)?;
            out.deleted.push(format!("sha256:{}", img.id));
            reclaimed += img.size;
        }
        self.removed_image_events(&out);
        self.collect_garbage()?;
        Ok((out, reclaimed))
    }

    /// Deletes blobs and unpacked layers no indexed image and no build cache entry references. Holds the store lock
    /// exclusively so concurrent imports and loads are not cut short.
    pub fn collect_garbage(&self) -> Result<()> {
        let _lock = Lock::exclusive(&self.paths.locks(), "store")?;
        self.clean_dead_owners_locked()?;
        let live = self.live_content(&mut |_, _| {})?;
        let (making_blobs, making_chains) = self.in_the_making(&[])?;
        for d in self.blobs.list()? {
            if !live.blobs.contains(&d) && !making_blobs.contains(&d) {
                self.blobs.delete(&d)?;
            }
        }
        let layers = self.layer_store()?;
        for c in layers.list()? {
            if !live.chains.contains(&c) && !making_chains.contains(&c) {
                layers.remove(&c)?;
            }
        }
        Ok(())
    }

    /// Points the name `target` at the image `source` names.
    pub fn tag_image(&self, source: &str, target: &str) -> Result<()> {
        let id = self.resolve_image_id(source)?;
        let r = Reference::parse(target)?;
        if r.digest.is_some() {
            return Err(Error::Invalid(format!(
                "refusing to create a tag with a digest reference: {target}"
            )));
        }
        self.image_event("tag", &id, Some(&r.to_string()));
        index::tag(&self.db, &r.to_string(), &id)
    }
}
