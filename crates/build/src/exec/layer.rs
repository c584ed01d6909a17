//! Snapshots (an overlay of the stage's layers with a fresh upper dir), turning an upper
//! dir into a stored layer, and the cache entries that remember which layer a step made.

use std::fs;
use std::path::{Path, PathBuf};

use berth_store::diff::{write_layer_to_blobs, DiffOptions};
use berth_store::layers::chain_ids;
use berth_store::oci::Descriptor;
use berth_store::Digest;
use serde::{Deserialize, Serialize};

use crate::error::{io_err, BuildError, Result};
use crate::runner::{Layer, Runner};

/// A mounted overlay for one step; unmounted and removed when dropped.
pub(crate) struct Snapshot<'a> {
    runner: &'a dyn Runner,
    /// The snapshot's directory (holds `upper`, `work`, `rootfs`).
    pub dir: PathBuf,
    /// The mounted root filesystem.
    pub rootfs: PathBuf,
    mounted: bool,
}

impl<'a> Snapshot<'a> {
    /// Mounts `layers` (bottom first), writable unless `readonly`.
    pub fn mount(runner: &'a dyn Runner, layers: &[Layer], readonly: bool) -> Result<Self> {
        let dir = runner.scratch_dir().map_err(BuildError::Runner)?;
        let lowers: Vec<PathBuf> = layers.iter().map(|l| l.dir.clone()).collect();
        match runner.mount(&dir, &lowers, readonly) {
            Ok(rootfs) => Ok(Snapshot {
                runner,
                dir,
                rootfs,
                mounted: true,
            }),
            Err(e) => {
                let _ = fs::remove_dir_all(&dir);
                Err(BuildError::Runner(e))
            }
        }
    }

    /// The writable layer.
    pub fn upper(&self) -> PathBuf {
        self.dir.join("upper")
    }

    /// Unmounts (the upper dir stays until drop).
    pub fn unmount(&mut self) -> Result<()> {
        if self.mounted {
            self.runner.unmount(&self.dir).map_err(BuildError::Runner)?;
            self.mounted = false;
        }
        Ok(())
    }
}

impl Drop for Snapshot<'_> {
    fn drop(&mut self) {
        let _ = self.unmount();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// What the cache remembers about a layer-making step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CachedStep {
    /// The layer made, or `None` when the step changed nothing.
    pub layer: Option<CachedLayer>,
}

/// A stored layer as the cache records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CachedLayer {
    pub descriptor: Descriptor,
    pub diff_id: Digest,
    /// Its chain ID (so garbage collection keeps the unpacked layer with the blob).
    #[serde(default)]
    pub chain: Option<Digest>,
}

/// The cached result of `key`, if any and still complete in the store (its blob present,
/// its layer unpacked again if it was removed). `parents` are the layers below.
pub(crate) fn cached(runner: &dyn Runner, key: &str, parents: &[Layer]) -> Option<Option<Layer>> {
    let text = runner.cache_get(key)?;
    let step: CachedStep = serde_json::from_str(&text).ok()?;
    let Some(c) = step.layer else {
        return Some(None);
    };
    if !runner.blobs().exists(&c.descriptor.digest) {
        return None;
    }
    let dir = ensure_unpacked(runner, parents, &c.diff_id, &c.descriptor).ok()?;
    Some(Some(Layer {
        descriptor: c.descriptor,
        diff_id: c.diff_id,
        dir,
    }))
}

/// Records that `key` made `layer` on top of `parents`.
pub(crate) fn remember(
    runner: &dyn Runner,
    key: &str,
    layer: Option<&Layer>,
    parents: &[Layer],
) -> Result<()> {
    let step = CachedStep {
        layer: layer.map(|l| CachedLayer {
            descriptor: l.descriptor.clone(),
            diff_id: l.diff_id.clone(),
            chain: Some(chain_of(parents, &l.diff_id)),
        }),
    };
    let text = serde_json::to_string(&step).map_err(|e| BuildError::Runner(e.into()))?;
    runner.cache_put(key, &text).map_err(BuildError::Runner)
}

/// Writes the upper dir of a finished step as a layer on top of `parents`: `None` if the
/// step changed nothing. `mtime` is the build's epoch; `exact` pins every entry to it.
pub(crate) fn commit_upper(
    runner: &dyn Runner,
    upper: &Path,
    parents: &[Layer],
    mtime: i64,
    exact: bool,
) -> Result<Option<Layer>> {
    let mut entries = fs::read_dir(upper).map_err(io_err("read", upper))?;
    if entries.next().is_none() {
        return Ok(None);
    }
    let opts = DiffOptions {
        mtime: Some(mtime),
        exact_mtime: exact,
    };
    let (descriptor, stats) = write_layer_to_blobs(runner.blobs(), upper, &opts)?;
    let dir = ensure_unpacked(runner, parents, &stats.diff_id, &descriptor)?;
    Ok(Some(Layer {
        descriptor,
        diff_id: stats.diff_id,
        dir,
    }))
}

fn ensure_unpacked(
    runner: &dyn Runner,
    parents: &[Layer],
    diff_id: &Digest,
    descriptor: &Descriptor,
) -> Result<PathBuf> {
    let chain = chain_of(parents, diff_id);
    Ok(runner.layers().ensure(&chain, diff_id, || {
        runner.blobs().open_blob(&descriptor.digest)
    })?)
}

/// The chain ID of a layer `diff_id` on top of `parents`.
fn chain_of(parents: &[Layer], diff_id: &Digest) -> Digest {
    let mut ids: Vec<Digest> = parents.iter().map(|l| l.diff_id.clone()).collect();
    ids.push(diff_id.clone());
    chain_ids(&ids).pop().expect("one layer at least")
}
