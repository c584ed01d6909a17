//! The runtime's operations, one file each, as the runc-compatible CLI exposes them.

use std::path::PathBuf;

pub mod checkpoint;
pub mod create;
pub mod delete;
pub mod exec;
pub mod features;
pub mod kill;
pub mod list;
pub mod pause;
pub mod ps;
pub mod restore;
pub mod run;
pub mod spec_template;
pub mod start;
pub mod state;
pub mod update;

/// Options shared by every operation.
#[derive(Debug, Clone)]
pub struct Globals {
    /// The state root: one directory per container.
    pub root: PathBuf,
}

/// The default state root of the runtime CLI.
pub const DEFAULT_ROOT: &str = "/run/berth/runc";
