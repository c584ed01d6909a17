//! `image inspect`, `history` and the rows of `images`, in Docker's shapes.

use serde_json::{json, Value};

use crate::engine::Engine;
use crate::error::Result;
use crate::images::index::{self, ImageRow};
use crate::images::resolve::Image;
use crate::reference::{familiar, Reference};

impl Engine {
    /// Docker's `image inspect` object for the image `what` names.
    pub fn inspect_image(&self, what: &str) -> Result<Value> {
        let image = self.image(what)?;
        let row = index::get(&self.db, &image.id)?;
        let (tags, size) = row.map(|r| (r.tags, r.size)).unwrap_or_default();
        let digests = index::repo_digests_of(&self.db, &image.id)?;
        Ok(inspect_json(&image, &tags, &digests, size))
    }

    /// Docker's `history` rows (newest first) for the image `what` names.
    pub fn image_history(&self, what: &str) -> Result<Vec<Value>> {
        let image = self.image(what)?;
        let mut layers = image.manifest.layers.iter();
        let mut rows = Vec::new();
        let n = image.config.history.len();
        for (i, h) in image.config.history.iter().enumerate() {
            let size = if h.empty_layer {
                0
            } else {
                layers.next().map(|l| l.size).unwrap_or(0)
            };
            let id = if i + 1 == n {
                format!("sha256:{}", image.id)
            } else {
                "<missing>".to_string()
            };
            rows.push(json!({
                "ID": id,
                "CreatedAt": h.created.clone().unwrap_or_default(),
                "CreatedBy": h.created_by.clone().unwrap_or_default(),
                "Size": size,
                "Comment": h.comment.clone().unwrap_or_default(),
            }));
        }
        rows.reverse();
        Ok(rows)
    }

    /// One row per (image, tag) as `images` lists them; untagged images get `<none>`. The
    /// rows of one image share its index row (a copy per tag would copy every tag: quadratic
    /// in an image's tags).
    pub fn image_rows(&self) -> Result<Vec<(std::rc::Rc<ImageRow>, Option<Reference>)>> {
        let mut out = Vec::new();
        for img in index::list(&self.db)? {
            let img = std::rc::Rc::new(img);
            if img.tags.is_empty() {
                out.push((img, None));
                continue;
            }
            for t in &img.tags {
                out.push((img.clone(), Reference::parse(t).ok()));
            }
        }
        Ok(out)
    }
}

/// Builds Docker's inspect object.
pub fn inspect_json(image: &Image, tags: &[String], repo_digests: &[String], size: u64) -> Value {
    let c = &image.config;
    json!({
        "Id": format!("sha256:{}", image.id),
        "RepoTags": tags.iter().map(|t| familiar(t)).collect::<Vec<_>>(),
        "RepoDigests": repo_digests.iter().map(|t| familiar(t)).collect::<Vec<_>>(),
        "Parent": "",
        "Comment": c.history.last().and_then(|h| h.comment.clone()).unwrap_or_default(),
        "Created": c.created.clone().unwrap_or_default(),
        "Author": c.author.clone().unwrap_or_default(),
        "Config": container_config_json(&c.config),
        "Architecture": c.architecture,
        "Variant": c.variant,
        "Os": c.os,
        "Size": size,
        "RootFS": {
            "Type": "layers",
            "Layers": c.rootfs.diff_ids.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        },
        "Metadata": { "LastTagTime": "0001-01-01T00:00:00Z" },
        "Descriptor": {
            "mediaType": berth_store::oci::MEDIA_MANIFEST,
            "digest": image.manifest_digest.to_string(),
        },
    })
}

/// The image's `config` in Docker's inspect shape (every key present).
pub fn container_config_json(c: &berth_store::oci::ContainerConfig) -> Value {
    json!({
        "Hostname": "",
        "Domainname": "",
        "User": c.user.clone().unwrap_or_default(),
        "AttachStdin": false,
        "AttachStdout": false,
        "AttachStderr": false,
        "ExposedPorts": c.exposed_ports,
        "Tty": false,
        "OpenStdin": false,
        "StdinOnce": false,
        "Env": c.env,
        "Cmd": c.cmd,
        "Healthcheck": c.healthcheck,
        "Image": "",
        "Volumes": c.volumes,
        "WorkingDir": c.working_dir.clone().unwrap_or_default(),
        "Entrypoint": c.entrypoint,
        "OnBuild": c.on_build,
        "Labels": c.labels,
        "StopSignal": c.stop_signal,
        "Shell": c.shell,
    })
}
