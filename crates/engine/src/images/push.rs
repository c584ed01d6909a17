//! `berth push`: an image's blobs and manifest to a registry. Layers stored uncompressed
//! (imported and built ones) are pushed gzip-compressed, as Docker pushes them: compressed
//! once on every core ([`berth_store::gzip`]), then kept with the image so the next push
//! of it costs one round trip per blob.

use berth_registry::progress::Progress;
use berth_registry::push::{self as rpush, PushRequest};
use berth_store::compression::Compression;
use berth_store::oci::{self, Descriptor, Manifest};
use berth_store::Digest;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::images::connect::{self, RegistryOptions};
use crate::images::index;
use crate::images::resolve::Image;
use crate::lock::Lock;
use crate::reference::Reference;

/// Parallel blob uploads.
const JOBS: usize = 4;

/// What a push did.
#[derive(Debug, Clone)]
pub struct PushOutcome {
    /// The tag pushed (Docker's `TAG: digest: ... size: ...` line).
    pub tag: String,
    /// The pushed manifest's digest.
    pub digest: String,
    /// Its size.
    pub size: u64,
}

impl Engine {
    /// Pushes the image the local name `name` points at to the registry the name names.
    /// Journaled: gzip blobs made for the push and not yet kept with the image go if it is
    /// cut short.
    pub fn push(
        &mut self,
        name: &str,
        opts: &RegistryOptions,
        progress: &dyn Progress,
    ) -> Result<PushOutcome> {
        self.journaled(|e| e, |e| e.push_journaled(name, opts, progress))
    }

    fn push_journaled(
        &mut self,
        name: &str,
        opts: &RegistryOptions,
        progress: &dyn Progress,
    ) -> Result<PushOutcome> {
        let reference = Reference::parse(name)?;
        let full = reference.to_string();
        let id = index::by_tag(&self.db, &full)?.ok_or_else(|| {
            Error::Invalid(format!(
                "An image does not exist locally with the tag: {}",
                reference.familiar_name()
            ))
        })?;
        let image = self.image_by_id(&id)?;
        let _lock = Lock::shared(&self.paths.locks(), "store")?;
        let (manifest, config, layers) = self.distributable_manifest(&image)?;
        let manifest_digest = self.blobs.put_bytes(&manifest)?;
        let mut kept: Vec<String> = layers.iter().map(|d| d.digest.to_string()).collect();
        kept.push(manifest_digest.to_string());
        index::keep_blobs(&self.db, &id, &kept)?;
        let mount_from = self.sibling_repositories(&id, &reference)?;
        let (conf, endpoints) = connect::endpoints(&reference.registry, &reference.repository)?;
        let ep = endpoints
            .iter()
            .find(|e| !e.mirror)
            .ok_or_else(|| Error::Invalid("no registry endpoint to push to".into()))?;
        let reg = connect::connect(&reference.registry, ep, &conf, opts)?;
        let media_type = manifest_media_type(&manifest);
        let tag = reference
            .tag
            .clone()
            .or_else(|| reference.digest.clone())
            .unwrap_or_else(|| "latest".into());
        let req = PushRequest {
            repository: &ep.repository,
            reference: &tag,
            manifest: &manifest,
            media_type: &media_type,
            config,
            layers,
            mount_from,
            jobs: JOBS,
        };
        let pushed = rpush::push(&reg, &req, &self.blobs, progress)?;
        index::set_repo_digest(
            &self.db,
            &format!("{}@{}", reference.name(), pushed.digest),
            &id,
        )?;
        self.image_event("push", &id, Some(&full));
        Ok(PushOutcome {
            tag,
            digest: pushed.digest.to_string(),
            size: pushed.size,
        })
    }

    /// The manifest to push (every layer compressed), its configuration and layers. An image
    /// whose layers are all compressed keeps its manifest, so its digest survives.
    fn distributable_manifest(
        &self,
        image: &Image,
    ) -> Result<(Vec<u8>, Descriptor, Vec<Descriptor>)> {
        let all_compressed = image
            .manifest
            .layers
            .iter()
            .all(|l| Compression::from_media_type(&l.media_type) != Compression::None);
        let mut manifest: Manifest = image.manifest.clone();
        if !all_compressed {
            let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
            for l in &mut manifest.layers {
                if Compression::from_media_type(&l.media_type) != Compression::None {
                    continue;
                }
                let gz = self.gzip_of(&l.digest, threads)?;
                l.digest = gz;
                l.size = self.blobs.size(&l.digest)?;
                l.media_type = oci::MEDIA_LAYER_GZIP.into();
            }
            manifest.media_type = Some(oci::MEDIA_MANIFEST.into());
            manifest.config.media_type = oci::MEDIA_CONFIG.into();
        }
        let bytes = if all_compressed {
            self.blobs.read(&image.manifest_digest)?
        } else {
            serde_json::to_vec(&manifest).map_err(|e| berth_store::Error::Json {
                what: "pushed manifest",
                source: e,
            })?
        };
        Ok((bytes, manifest.config, manifest.layers))
    }

    /// The gzip blob of an uncompressed layer blob: the one made before, else a new one.
    fn gzip_of(&self, digest: &Digest, threads: usize) -> Result<Digest> {
        if let Some(gz) = index::compressed_of(&self.db, &digest.to_string())? {
            if let Ok(d) = gz.parse::<Digest>() {
                if self.blobs.exists(&d) {
                    return Ok(d);
                }
            }
        }
        let (gz, _) = berth_store::gzip::gzip_blob(&self.blobs, digest, threads)?;
        index::set_compressed(&self.db, &digest.to_string(), &gz.to_string())?;
        Ok(gz)
    }

    /// Other repositories on `reference`'s registry that name the same image: blobs can be
    /// mounted from them instead of uploaded.
    fn sibling_repositories(&self, id: &str, reference: &Reference) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for t in index::tags_of(&self.db, id)? {
            if let Ok(r) = Reference::parse(&t) {
                if r.registry == reference.registry
                    && r.repository != reference.repository
                    && !out.contains(&r.repository)
                {
                    out.push(r.repository);
                }
            }
        }
        Ok(out)
    }

    /// The local tags of `name`'s repository (for `push -a`), full references.
    pub fn local_tags_of_repository(&self, name: &str) -> Result<Vec<String>> {
        let reference = Reference::parse(name)?;
        let prefix = format!("{}:", reference.name());
        let mut out = Vec::new();
        for row in index::list(&self.db)? {
            for t in row.tags {
                if t.starts_with(&prefix) {
                    out.push(t);
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// The media type a manifest declares (Docker's schema 2 or OCI); OCI when it says none.
fn manifest_media_type(bytes: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| {
            v.get("mediaType")
                .and_then(|m| m.as_str())
                .map(String::from)
        })
        .unwrap_or_else(|| oci::MEDIA_MANIFEST.to_string())
}
