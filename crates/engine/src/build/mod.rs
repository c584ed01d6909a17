//! `berth build` on the engine's side: the [`berth_build::Runner`] the build crate drives
//! (images, overlay snapshots, RUN steps through the runtime, the build cache table, image
//! commits), and the entry point that holds the store lock while a build runs.

pub(crate) mod cache;
mod commit;
mod export;
mod run_step;
mod runner;

use berth_build::exec::{build, BuildInput, BuildResult};
use berth_build::progress::Progress;
use berth_build::BuildOptions;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::lock::Lock;

pub use runner::EngineRunner;

impl Engine {
    /// Builds an image. Nothing is tagged unless every step succeeded; a failed build leaves
    /// only the cache entries of the steps that succeeded (and what they reference): it is
    /// journaled.
    pub fn build(
        &mut self,
        input: BuildInput,
        opts: &BuildOptions,
        progress: &Progress,
    ) -> std::result::Result<BuildResult, berth_build::BuildError> {
        self.journaled(
            |e| berth_build::BuildError::Runner(Box::new(e)),
            |e| e.build_journaled(input, opts, progress),
        )
    }

    fn build_journaled(
        &mut self,
        input: BuildInput,
        opts: &BuildOptions,
        progress: &Progress,
    ) -> std::result::Result<BuildResult, berth_build::BuildError> {
        let _lock = Lock::shared(&self.paths.locks(), "store")
            .map_err(|e| berth_build::BuildError::Runner(Box::new(e)))?;
        let runner = EngineRunner::new(self, opts.pull)
            .map_err(|e| berth_build::BuildError::Runner(Box::new(e)))?;
        let result = build(input, opts, &runner, progress);
        runner.finish();
        result
    }

    /// Where the file digests of the build context directory `context` are kept between
    /// builds ([`BuildInput::hash_cache`]): named by its canonical path.
    pub fn context_hash_cache(&self, context: &std::path::Path) -> std::path::PathBuf {
        let canon = std::fs::canonicalize(context).unwrap_or_else(|_| context.to_path_buf());
        self.paths.context_cache(&canon)
    }

    /// Removes every build cache entry, persistent cache mount and context digest cache
    /// (`builder prune -a`), and the layers only the cache kept.
    pub fn prune_build_cache(&mut self) -> Result<u64> {
        let n = cache::clear(&self.db)?;
        self.collect_garbage()?;
        for dir in [
            self.paths.root.join("build-cache"),
            self.paths.context_caches(),
        ] {
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(|e| Error::Io {
                    what: "remove",
                    path: dir,
                    source: e,
                })?;
            }
        }
        Ok(n)
    }
}
