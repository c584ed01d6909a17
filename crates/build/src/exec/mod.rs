//! Runs a plan: each needed stage in its own thread (independent stages in parallel), each
//! step answered from the cache or executed, and the target stage committed as an image.

mod args;
mod copy_step;
mod explain;
mod keys;
mod layer;
mod run_step;
mod schedule;
mod stage;

use std::path::{Path, PathBuf};

use berth_dockerfile::dockerignore::DockerIgnore;
use berth_dockerfile::parser::parse;

use crate::context::HashCache;
use crate::error::{BuildError, Result};
use crate::options::BuildOptions;
use crate::plan::plan;
use crate::progress::Progress;
use crate::runner::Runner;

pub use stage::StageOut;

/// What to build from.
pub struct BuildInput<'a> {
    /// The Dockerfile's bytes.
    pub dockerfile: &'a [u8],
    /// The context directory.
    pub context: &'a Path,
    /// The context's ignore rules.
    pub ignore: Option<DockerIgnore>,
    /// Where the context's file digests are kept between builds (a
    /// [`crate::context::HashCache`]); `None` for a context that does not outlive the build
    /// (an unpacked tar from stdin): every file is read.
    pub hash_cache: Option<PathBuf>,
}

/// What a build produced.
#[derive(Debug, Clone)]
pub struct BuildResult {
    /// The image ID.
    pub image_id: String,
    /// Build args given but never declared by an ARG the build used.
    pub unused_args: Vec<String>,
}

/// Everything the stages share.
pub(crate) struct Shared<'a> {
    pub plan: &'a crate::plan::Plan,
    pub opts: &'a BuildOptions,
    pub runner: &'a dyn Runner,
    pub progress: &'a Progress,
    pub context: &'a Path,
    pub ignore: Option<&'a DockerIgnore>,
    /// The context's digest cache, if it is kept.
    pub hash_cache: Option<&'a HashCache>,
    /// Global (meta) ARGs with their values.
    pub meta: Vec<(String, Option<String>)>,
    /// The time written into the image and layers (seconds, RFC 3339).
    pub epoch: (i64, String),
    pub results: schedule::Results,
    pub used_args: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

/// Builds the image: parses, plans, runs the stages the target needs, commits the target
/// and tags it. Nothing is tagged if any step fails.
pub fn build(
    input: BuildInput,
    opts: &BuildOptions,
    runner: &dyn Runner,
    progress: &Progress,
) -> Result<BuildResult> {
    let file = if opts.dockerfile_name.is_empty() {
        "Dockerfile"
    } else {
        opts.dockerfile_name.as_str()
    };
    let df = parse(input.dockerfile).map_err(|e| BuildError::Parse {
        file: file.to_string(),
        line: e.line,
        column: e.column,
        message: if e.snippet.is_empty() {
            e.message.clone()
        } else {
            format!("{}\n  >>> {}", e.message, e.snippet)
        },
    })?;
    let plan = plan(&df, file)?;
    let meta = args::meta_args(&plan, opts, file)?;
    let hash_cache = input.hash_cache.as_deref().map(HashCache::load);
    let result = build_plan(
        &plan,
        &input,
        hash_cache.as_ref(),
        opts,
        runner,
        progress,
        meta,
    );
    // Kept whatever the build's outcome: what was hashed is known either way. A cache that
    // cannot be written only costs the next build time.
    if let Some(c) = &hash_cache {
        let _ = c.save();
    }
    result
}

/// Runs a parsed plan: [`build`]'s part after parsing.
fn build_plan(
    plan: &crate::plan::Plan,
    input: &BuildInput,
    hash_cache: Option<&HashCache>,
    opts: &BuildOptions,
    runner: &dyn Runner,
    progress: &Progress,
    meta: Vec<(String, Option<String>)>,
) -> Result<BuildResult> {
    let target = plan.target_index(opts.target.as_deref())?;
    let shared = Shared {
        plan,
        opts,
        runner,
        progress,
        context: input.context,
        ignore: input.ignore.as_ref(),
        hash_cache,
        epoch: (0, String::new()),
        meta,
        results: schedule::Results::new(plan.stages.len()),
        used_args: Default::default(),
    };
    let epoch = stage::build_epoch(&shared, target)?;
    let shared = Shared { epoch, ..shared };
    let needed = plan.needed(target, |i| stage::static_deps(&shared, i));
    let out = schedule::run_all(&shared, &needed, target)?;
    let image_id = stage::commit(&shared, &out)?;
    let used = shared
        .used_args
        .lock()
        .map(|u| u.clone())
        .unwrap_or_default();
    let unused_args = opts
        .build_args
        .keys()
        .filter(|k| !used.contains(*k) && !args::is_builtin(k))
        .cloned()
        .collect();
    Ok(BuildResult {
        image_id,
        unused_args,
    })
}

/// The Dockerfile's name for messages.
pub(crate) fn stage_file<'a>(sh: &'a Shared) -> &'a str {
    if sh.opts.dockerfile_name.is_empty() {
        "Dockerfile"
    } else {
        &sh.opts.dockerfile_name
    }
}
