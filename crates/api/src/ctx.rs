//! What every handler gets: where berth's state is and how to open the engine.

use std::path::PathBuf;

use berth_engine::{Engine, Paths};

use crate::error::ApiResult;

/// The service's shared context (cheap to clone).
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The state root and run directory, as the CLI's `--root` gives them.
    pub paths: Paths,
    /// The berth binary, for work done in a child process (exec, build).
    pub exe: PathBuf,
}

impl Ctx {
    /// Opens the engine for one request (each request its own handle, as each CLI command
    /// is its own process; the engine's locks and SQLite keep them consistent).
    pub fn engine(&self) -> ApiResult<Engine> {
        Ok(Engine::open(self.paths.clone())?)
    }

    /// The `--root` argument that makes a child `berth` process use this state root.
    /// (none for the default root, whose run directory is not under it).
    pub fn root_args(&self) -> Vec<std::ffi::OsString> {
        if self.paths.run == self.paths.root.join("run") {
            vec!["--root".into(), self.paths.root.clone().into_os_string()]
        } else {
            Vec::new()
        }
    }
}
