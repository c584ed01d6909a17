//! `berth pull`: an image from a registry into the store, then its name in the index.

use berth_registry::platform::PlatformSpec;
use berth_registry::progress::Progress;
use berth_registry::pull::{self, PullRequest, DEFAULT_JOBS};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::images::connect::{self, RegistryOptions};
use crate::images::import::now_secs;
use crate::images::index::{self, ImageRow};
use crate::lock::Lock;
use crate::reference::Reference;

/// How to pull.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// `--platform`: the platform to take from an index (default: the host's).
    pub platform: Option<String>,
    /// Parallel layer downloads (0: the default).
    pub jobs: usize,
    /// How to reach the registry.
    pub registry: RegistryOptions,
}

/// What a pull did.
#[derive(Debug, Clone)]
pub struct PullOutcome {
    /// The full reference pulled (`docker.io/library/busybox:latest`).
    pub reference: Reference,
    /// The digest the reference resolved to (Docker's `Digest:` line).
    pub digest: String,
    /// The image ID.
    pub id: String,
    /// Whether the name already pointed at this image with every blob present.
    pub up_to_date: bool,
}

impl Engine {
    /// Pulls `name` (a reference) into the store and points the name at it.
    pub fn pull(
        &mut self,
        name: &str,
        opts: &PullOptions,
        progress: &dyn Progress,
    ) -> Result<PullOutcome> {
        let reference = Reference::parse(name)?;
        let platform = match &opts.platform {
            Some(p) => PlatformSpec::parse(p)?,
            None => PlatformSpec::host(),
        };
        let target = reference
            .digest
            .clone()
            .or_else(|| reference.tag.clone())
            .unwrap_or_else(|| "latest".into());
        let display = reference.familiar();
        let (conf, endpoints) = connect::endpoints(&reference.registry, &reference.repository)?;
        self.clean_dead_owners()?;
        let _lock = Lock::shared(&self.paths.locks(), "store")?;
        let layers = self.layer_store()?;
        // Work dirs of killed unpacks (their process is gone) would otherwise stay behind.
        layers.remove_stale()?;
        let before = self.resolve_image_id(&reference.to_string()).ok();
        let mut last_err = None;
        let mut pulled = None;
        for ep in &endpoints {
            let attempt = connect::connect(&reference.registry, ep, &conf, &opts.registry)
                .and_then(|reg| {
                    let req = PullRequest {
                        repository: &ep.repository,
                        reference: &target,
                        display: &display,
                        platform: &platform,
                        jobs: if opts.jobs == 0 {
                            DEFAULT_JOBS
                        } else {
                            opts.jobs
                        },
                    };
                    Ok(pull::pull(&reg, &req, &self.blobs, &layers, progress)?)
                });
            match attempt {
                Ok(p) => {
                    pulled = Some(p);
                    break;
                }
                Err(e) => last_err = Some(e),
            }
        }
        let Some(p) = pulled else {
            return Err(pull_error(
                last_err.unwrap_or_else(|| Error::Invalid("no registry endpoint".into())),
                &reference,
            ));
        };
        let id = p.config.hex().to_string();
        let image = self.image_from_manifest(&id, &p.manifest)?;
        let (_, size) = self.ensure_layers(&image)?;
        let row = ImageRow {
            id: id.clone(),
            manifest: p.manifest.to_string(),
            created: p.image_config.created.clone(),
            size,
            added: now_secs(),
            tags: Vec::new(),
        };
        // A pull by digest names no tag; its repo digest names the image.
        let tags: Vec<String> = if reference.digest.is_some() {
            Vec::new()
        } else {
            vec![reference.to_string()]
        };
        crate::testhook::pause_at("pull:stored");
        index::insert(&mut self.db, &row, &tags)?;
        index::set_repo_digest(&self.db, &format!("{}@{}", reference.name(), p.digest), &id)?;
        if p.digest != p.manifest {
            index::keep_blobs(&self.db, &id, &[p.digest.to_string()])?;
        }
        p.pending.finish()?;
        self.image_event("pull", &id, Some(&reference.to_string()));
        Ok(PullOutcome {
            up_to_date: !p.downloaded && before.as_deref() == Some(id.as_str()),
            reference,
            digest: p.digest.to_string(),
            id,
        })
    }

    /// Every tag of `name`'s repository (for `pull -a`).
    pub fn remote_tags(&self, name: &str, opts: &RegistryOptions) -> Result<Vec<String>> {
        let reference = Reference::parse(name)?;
        let (conf, endpoints) = connect::endpoints(&reference.registry, &reference.repository)?;
        let ep = endpoints
            .last()
            .ok_or_else(|| Error::Invalid("no registry endpoint".into()))?;
        let reg = connect::connect(&reference.registry, ep, &conf, opts)?;
        let tags = berth_registry::tags::list_tags(&reg, &ep.repository)
            .map_err(|e| pull_error(e.into(), &reference))?;
        Ok(tags)
    }
}

/// Docker's words for a failed pull.
fn pull_error(e: Error, reference: &Reference) -> Error {
    use berth_registry::Error as R;
    match e {
        Error::Registry(R::Registry {
            status,
            code,
            message,
            ..
        }) => {
            let code = code.unwrap_or_default();
            if code == "MANIFEST_UNKNOWN" || (status == 404 && code.is_empty()) {
                Error::Registry(R::ManifestUnknown {
                    reference: reference.familiar(),
                    detail: if code.is_empty() {
                        "manifest unknown".to_string()
                    } else {
                        message
                            .split_once(": ")
                            .map(|(_, m)| m.to_string())
                            .unwrap_or(message)
                    },
                })
            } else if matches!(status, 401 | 403) || code == "NAME_UNKNOWN" {
                Error::Registry(R::PullDenied {
                    name: reference.familiar_name(),
                    detail: message,
                })
            } else {
                Error::Registry(R::Registry {
                    status,
                    code: Some(code),
                    message,
                })
            }
        }
        Error::Registry(R::Unauthorized(m)) => Error::Registry(R::PullDenied {
            name: reference.familiar_name(),
            detail: m,
        }),
        other => other,
    }
}
