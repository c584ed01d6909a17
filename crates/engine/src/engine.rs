//! The engine handle: paths, the state database and the blob store, opened once per command.

use std::fs;

use berth_store::BlobStore;
use rusqlite::Connection;

use crate::db;
use crate::error::{io_err, Result};
use crate::paths::Paths;

/// One open engine: what every command works through.
pub struct Engine {
    /// Where things live.
    pub paths: Paths,
    /// The state index.
    pub db: Connection,
    /// The image blobs.
    pub blobs: BlobStore,
    /// The owner journal of the command in progress, if it is journaled (see `txn`).
    pub(crate) journal: Option<berth_store::journal::Journal>,
}

impl Engine {
    /// Opens the engine at `paths`, creating the state root on first use.
    pub fn open(paths: Paths) -> Result<Engine> {
        for d in [&paths.root, &paths.run] {
            fs::create_dir_all(d).map_err(io_err("create", d))?;
        }
        let db = db::open(&paths.db())?;
        let blobs = BlobStore::open(&paths.store())?;
        Ok(Engine {
            paths,
            db,
            blobs,
            journal: None,
        })
    }

    /// The runtime's global options (its state root).
    pub fn runtime(&self) -> berth_runtime::ops::Globals {
        berth_runtime::ops::Globals {
            root: self.paths.runtime(),
        }
    }
}
