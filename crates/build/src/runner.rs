//! What the build needs from the engine. The engine implements [`Runner`]; the build crate
//! never touches the runtime, the database or mount syscalls itself.

use std::path::{Path, PathBuf};

use berth_store::layers::LayerStore;
use berth_store::oci::{Descriptor, ImageConfig};
use berth_store::{BlobStore, Digest};

/// One layer of an image: its blob, diff ID and unpacked directory.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The layer blob as the manifest lists it.
    pub descriptor: Descriptor,
    /// Its uncompressed digest.
    pub diff_id: Digest,
    /// Its unpacked directory (overlayfs lower form).
    pub dir: PathBuf,
}

/// An image the build starts from or copies from.
#[derive(Debug, Clone)]
pub struct BaseImage {
    /// The image ID (config digest hex).
    pub id: String,
    /// The configuration.
    pub config: ImageConfig,
    /// Its `created` time in seconds since the epoch (0 when unknown).
    pub created_secs: i64,
    /// Layers, bottom first, unpacked.
    pub layers: Vec<Layer>,
}

/// A host path mounted into a RUN step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepMount {
    /// A bind mount of a host file or directory.
    Bind {
        /// Host path.
        source: PathBuf,
        /// Path in the container.
        target: String,
        /// Read-only.
        readonly: bool,
    },
    /// An empty tmpfs.
    Tmpfs {
        /// Path in the container.
        target: String,
        /// Size limit in bytes (0: the kernel's default).
        size: u64,
    },
}

/// One RUN step to execute in a mounted root filesystem.
#[derive(Debug, Clone)]
pub struct RunStep {
    /// The root filesystem (a mounted overlay; writes land in its upper dir).
    pub rootfs: PathBuf,
    /// A fresh directory the engine may use for the bundle and /etc files.
    pub work: PathBuf,
    /// argv.
    pub args: Vec<String>,
    /// Environment (`K=V`).
    pub env: Vec<String>,
    /// Working directory (absolute).
    pub cwd: String,
    /// `USER` in effect (name or uid[:gid]); empty is root.
    pub user: String,
    /// `bridge` (the default bridge network), `host` or `none`.
    pub network: String,
    /// Extra mounts (RUN --mount).
    pub mounts: Vec<StepMount>,
}

/// A failure on the engine's side of a build (store, runtime, database), with its source.
pub type RunnerError = Box<dyn std::error::Error + Send + Sync>;

/// What the [`Runner`]'s methods return.
pub type RunnerResult<T> = std::result::Result<T, RunnerError>;

/// The engine side of a build.
pub trait Runner: Sync {
    /// Loads an image by reference or ID, with its layers unpacked.
    fn image(&self, reference: &str) -> RunnerResult<BaseImage>;
    /// Mounts an overlay of `lowers` (bottom first) with `dir/upper` as its writable layer at
    /// `dir/rootfs`, which it returns. With `readonly`, no upper dir is used.
    fn mount(&self, dir: &Path, lowers: &[PathBuf], readonly: bool) -> RunnerResult<PathBuf>;
    /// Unmounts what [`Runner::mount`] mounted in `dir`.
    fn unmount(&self, dir: &Path) -> RunnerResult<()>;
    /// Runs a RUN step, passing its combined output to `output` as it comes. Returns the
    /// process's exit code.
    fn run(&self, step: &RunStep, output: &mut dyn FnMut(&[u8])) -> RunnerResult<i32>;
    /// A cached value by key.
    fn cache_get(&self, key: &str) -> Option<String>;
    /// Records a cached value.
    fn cache_put(&self, key: &str, value: &str) -> RunnerResult<()>;
    /// The blob store.
    fn blobs(&self) -> &BlobStore;
    /// The layer store.
    fn layers(&self) -> &LayerStore;
    /// A fresh, empty directory for one step's snapshot, removed by the caller.
    fn scratch_dir(&self) -> RunnerResult<PathBuf>;
    /// A directory that persists between builds for `RUN --mount=type=cache,id=ID`.
    fn cache_mount_dir(&self, id: &str) -> RunnerResult<PathBuf>;
    /// `secs` since the epoch as RFC 3339 (`2024-01-02T03:04:05Z`).
    fn rfc3339(&self, secs: i64) -> String;
    /// Writes the image (config and manifest blobs), indexes it and tags it with `tags`.
    /// Returns the image ID and the tags' full names (`docker.io/library/app:latest`).
    fn commit(
        &self,
        config: &ImageConfig,
        layers: &[Descriptor],
        tags: &[String],
    ) -> RunnerResult<(String, Vec<String>)>;
}
