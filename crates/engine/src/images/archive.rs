//! `save` and `load`: images to and from docker-archive and OCI archive tarballs.

use std::io::{Read, Write};

use berth_store::archive::{self as store_archive, ArchiveFormat, SaveImage};

use crate::engine::Engine;
use crate::error::Result;
use crate::images::import::now_secs;
use crate::images::index::{self, ImageRow};
use crate::lock::Lock;
use crate::reference::{familiar, Reference};

impl Engine {
    /// Writes the images `names` (names or IDs) to `out` in `format`.
    pub fn save_images(
        &self,
        names: &[String],
        format: ArchiveFormat,
        out: impl Write,
    ) -> Result<()> {
        let mut images: Vec<SaveImage> = Vec::new();
        for n in names {
            let image = self.image(n)?;
            let tag = Reference::parse(n).ok().map(|r| r.to_string()).filter(|t| {
                index::by_tag(&self.db, t).ok().flatten().as_deref() == Some(image.id.as_str())
            });
            match images
                .iter_mut()
                .find(|i| i.manifest == image.manifest_digest)
            {
                Some(existing) => existing.names.extend(tag),
                None => images.push(SaveImage {
                    manifest: image.manifest_digest.clone(),
                    names: tag.into_iter().collect(),
                }),
            }
        }
        store_archive::save(&self.blobs, &images, format, out)?;
        Ok(())
    }

    /// Loads every image in the archive read from `input`; returns `Loaded image: <name>` /
    /// `Loaded image ID: sha256:<id>` lines as Docker prints them.
    /// A failed load leaves nothing behind (it is journaled).
    pub fn load_images(&mut self, input: impl Read) -> Result<Vec<String>> {
        self.journaled(|e| e, |e| e.load_journaled(input))
    }

    fn load_journaled(&mut self, input: impl Read) -> Result<Vec<String>> {
        let _lock = Lock::shared(&self.paths.locks(), "store")?;
        let loaded = store_archive::load(&self.blobs, input)?;
        let mut lines = Vec::new();
        for l in loaded {
            let id = l.config.hex().to_string();
            let image = self.image_from_manifest(&id, &l.manifest.digest)?;
            let (_, size) = self.ensure_layers(&image)?;
            let mut names = Vec::new();
            for n in &l.names {
                names.push(Reference::parse(n)?.to_string());
            }
            let row = ImageRow {
                id: id.clone(),
                manifest: l.manifest.digest.to_string(),
                created: image.config.created.clone(),
                size,
                added: now_secs(),
                tags: Vec::new(),
            };
            crate::testhook::pause_at("load:stored");
            index::insert(&mut self.db, &row, &names)?;
            self.image_event("load", &id, names.first().map(String::as_str));
            if names.is_empty() {
                lines.push(format!("Loaded image ID: sha256:{id}"));
            }
            for n in &names {
                lines.push(format!("Loaded image: {}", familiar(n)));
            }
        }
        Ok(lines)
    }
}
