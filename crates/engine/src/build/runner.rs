//! [`EngineRunner`]: the engine as the build crate sees it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, UNIX_EPOCH};

use berth_build::runner::{BaseImage, Layer, RunStep, Runner, RunnerResult};
use berth_store::journal::{Entry, Journal};
use berth_store::layers::LayerStore;
use berth_store::oci::{Descriptor, ImageConfig};
use berth_store::BlobStore;
use nix::mount::{mount, MsFlags};

use crate::containers::rootfs::{mount_rootfs, unmount_rootfs};
use crate::engine::Engine;
use crate::error::{io_err, Result};
use crate::txn::kind;

/// The engine, shared by the stages a build runs in parallel.
pub struct EngineRunner<'a> {
    engine: Mutex<&'a mut Engine>,
    blobs: BlobStore,
    layers: LayerStore,
    /// This build's scratch directory (snapshots, bundles), removed by [`Self::finish`].
    scratch: PathBuf,
    cache_mounts: PathBuf,
    runtime_root: PathBuf,
    skeletons: PathBuf,
    /// `build --pull`: base images are pulled again even when stored.
    pull_always: bool,
    /// The build's owner journal: its scratch directory, RUN containers and network places
    /// are recorded here before they are made, so a killed build's are undone (`txn`).
    journal: Option<Journal>,
}

impl<'a> EngineRunner<'a> {
    /// A runner over `engine`, with a fresh scratch directory.
    pub fn new(engine: &'a mut Engine, pull_always: bool) -> Result<Self> {
        let blobs = engine.blobs.clone();
        let layers = engine.layer_store()?;
        let scratch = engine
            .paths
            .root
            .join("build")
            .join(berth_store::blobs::unique_suffix());
        let journal = engine.journal.clone();
        if let Some(j) = &journal {
            j.record(&Entry::other(kind::DIR, scratch.display().to_string()))?;
        }
        fs::create_dir_all(&scratch).map_err(crate::error::io_err("create", &scratch))?;
        let cache_mounts = engine.paths.root.join("build-cache");
        let runtime_root = engine.paths.runtime();
        let skeletons = engine.paths.skeletons();
        Ok(EngineRunner {
            engine: Mutex::new(engine),
            blobs,
            layers,
            scratch,
            cache_mounts,
            runtime_root,
            skeletons,
            pull_always,
            journal,
        })
    }

    /// Removes the scratch directory (unmounting anything a failed step left mounted).
    pub fn finish(self) {
        if let Ok(entries) = fs::read_dir(&self.scratch) {
            for e in entries.flatten() {
                let _ = unmount_rootfs(&e.path());
            }
        }
        let _ = fs::remove_dir_all(&self.scratch);
    }

    fn with_engine<T>(&self, f: impl FnOnce(&mut Engine) -> Result<T>) -> RunnerResult<T> {
        let mut guard = self.engine.lock().map_err(|_| "engine lock poisoned")?;
        Ok(f(&mut guard)?)
    }
}

impl Runner for EngineRunner<'_> {
    fn image(&self, reference: &str) -> RunnerResult<BaseImage> {
        let pull_always = self.pull_always;
        self.with_engine(|e| {
            let image = e.image_or_pull(reference, pull_always)?;
            let (dirs, _) = e.ensure_layers(&image)?;
            let layers = image
                .manifest
                .layers
                .iter()
                .zip(&image.config.rootfs.diff_ids)
                .zip(dirs)
                .map(|((d, id), dir)| Layer {
                    descriptor: d.clone(),
                    diff_id: id.clone(),
                    dir,
                })
                .collect();
            let created_secs = image
                .config
                .created
                .as_deref()
                .and_then(berth_runtime::time::parse)
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            Ok(BaseImage {
                id: image.id.clone(),
                config: image.config,
                created_secs,
                layers,
            })
        })
    }

    fn mount(&self, dir: &Path, lowers: &[PathBuf], readonly: bool) -> RunnerResult<PathBuf> {
        if !readonly {
            return Ok(mount_rootfs(dir, lowers, &self.skeletons)?);
        }
        match lowers {
            [] => {
                let empty = dir.join("empty");
                fs::create_dir_all(&empty).map_err(io_err("create", &empty))?;
                Ok(empty)
            }
            // One layer needs no overlay: its directory is the tree (only ever read).
            [only] => Ok(only.clone()),
            _ => {
                let merged = dir.join("rootfs");
                fs::create_dir_all(&merged).map_err(io_err("create", &merged))?;
                let lower: Vec<String> = lowers
                    .iter()
                    .rev()
                    .map(|p| p.display().to_string())
                    .collect();
                let opts = format!("lowerdir={}", lower.join(":"));
                mount(
                    Some("overlay"),
                    &merged,
                    Some("overlay"),
                    MsFlags::MS_RDONLY,
                    Some(opts.as_str()),
                )
                .map_err(|e| io_err("mount overlay on", &merged)(e.into()))?;
                Ok(merged)
            }
        }
    }

    fn unmount(&self, dir: &Path) -> RunnerResult<()> {
        Ok(unmount_rootfs(dir)?)
    }

    fn run(&self, step: &RunStep, output: &mut dyn FnMut(&[u8])) -> RunnerResult<i32> {
        let journal = self.journal.as_ref();
        if step.network != "bridge" {
            return Ok(super::run_step::run(
                &self.runtime_root,
                step,
                None,
                journal,
                output,
            )?);
        }
        let key = berth_store::Digest::of_bytes(step.work.display().to_string().as_bytes());
        let key = &key.hex()[..12];
        if let Some(j) = journal {
            j.record(&Entry::other(kind::STEP_NET, key))?;
        }
        let net = self.with_engine(|e| e.attach_build_step(key))?;
        let code = super::run_step::run(&self.runtime_root, step, Some(&net), journal, output);
        let _ = self.with_engine(|e| {
            e.detach_build_step(net);
            Ok(())
        });
        Ok(code?)
    }

    fn cache_get(&self, key: &str) -> Option<String> {
        self.with_engine(|e| super::cache::get(&e.db, key))
            .ok()
            .flatten()
    }

    fn cache_put(&self, key: &str, value: &str) -> RunnerResult<()> {
        self.with_engine(|e| super::cache::put(&e.db, key, value))
    }

    fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    fn layers(&self) -> &LayerStore {
        &self.layers
    }

    fn scratch_dir(&self) -> RunnerResult<PathBuf> {
        let dir = self.scratch.join(berth_store::blobs::unique_suffix());
        fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
        Ok(dir)
    }

    fn cache_mount_dir(&self, id: &str) -> RunnerResult<PathBuf> {
        let name = berth_store::Digest::of_bytes(id.as_bytes());
        let dir = self.cache_mounts.join(name.hex());
        fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
        Ok(dir)
    }

    fn rfc3339(&self, secs: i64) -> String {
        let t = UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64);
        berth_runtime::time::format(t).replace(".000000000Z", "Z")
    }

    fn commit(
        &self,
        config: &ImageConfig,
        layers: &[Descriptor],
        tags: &[String],
    ) -> RunnerResult<(String, Vec<String>)> {
        self.with_engine(|e| e.commit_built_image(config, layers, tags))
    }
}
