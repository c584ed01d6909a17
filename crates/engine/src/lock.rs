//! Advisory file locks (flock) between concurrent `berth` processes. The store lock is held
//! shared by anything that adds content and exclusively by garbage collection, `system check`
//! and the rollback of owner journals (`crate::txn`), so none of them deletes a blob another
//! process is about to index. A process never asks for it exclusively while it holds it
//! shared (a rollback runs after the failed command dropped its shared lock).

use std::fs::{self, File};
use std::path::Path;

use rustix::fs::{flock, FlockOperation};

use crate::error::{io_err, Result};

/// A held lock; released on drop.
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Takes `name` under `dir` shared (blocking).
    pub fn shared(dir: &Path, name: &str) -> Result<Lock> {
        Self::take(dir, name, FlockOperation::LockShared)
    }

    /// Takes `name` under `dir` exclusively (blocking).
    pub fn exclusive(dir: &Path, name: &str) -> Result<Lock> {
        Self::take(dir, name, FlockOperation::LockExclusive)
    }

    fn take(dir: &Path, name: &str, op: FlockOperation) -> Result<Lock> {
        fs::create_dir_all(dir).map_err(io_err("create", dir))?;
        let path = dir.join(name);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err("open lock", &path))?;
        flock(&file, op).map_err(|e| io_err("lock", &path)(e.into()))?;
        Ok(Lock { _file: file })
    }
}
