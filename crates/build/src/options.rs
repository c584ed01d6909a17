//! What the user asked for on the `build` command line.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Options of one build.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The Dockerfile's name for messages (`Dockerfile`, `app/Dockerfile.prod`, `-`).
    pub dockerfile_name: String,
    /// `--build-arg K=V` values (a bare `K` already resolved from the environment).
    pub build_args: BTreeMap<String, String>,
    /// `--target`: the stage to stop at (default: the last).
    pub target: Option<String>,
    /// `--no-cache`: run every step.
    pub no_cache: bool,
    /// `--label` values added to the final image.
    pub labels: BTreeMap<String, String>,
    /// Image names to tag the result with.
    pub tags: Vec<String>,
    /// `SOURCE_DATE_EPOCH`: the time written into the image and clamped into layers.
    pub source_date_epoch: Option<i64>,
    /// `--secret id=ID,src=PATH`.
    pub secrets: BTreeMap<String, PathBuf>,
    /// `--network` for RUN steps: `default`, `host` or `none`.
    pub network: Option<String>,
    /// `--progress=plain`: explain cache misses.
    pub explain_misses: bool,
    /// `--pull`: fetch every base image from its registry again, even when stored.
    pub pull: bool,
}
