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

    /// Takes `name` under `dir` exclusively if no one holds it now; `None` if someone does.
    pub fn try_exclusive(dir: &Path, name: &str) -> Result<Option<Lock>> {
        match Self::take(dir, name, FlockOperation::NonBlockingLockExclusive) {
            Ok(l) => Ok(Some(l)),
            Err(crate::error::Error::Io { source, .. })
                if source.kind() == std::io::ErrorKind::WouldBlock =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn try_exclusive_does_not_wait_for_a_holder() {
        let dir = tempfile::tempdir().unwrap();
        let shared = Lock::shared(dir.path(), "store").unwrap();
        assert!(Lock::try_exclusive(dir.path(), "store").unwrap().is_none());
        drop(shared);
        let held = Lock::try_exclusive(dir.path(), "store").unwrap();
        assert!(held.is_some());
    }
}
