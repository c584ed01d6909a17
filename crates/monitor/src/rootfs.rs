//! How long a container's overlay stays mounted in the host's mount namespace: only while
//! something uses it, as Docker does (every new mount namespace copies the host's whole
//! mount table, so hundreds of idle overlays slow down every container start).
//!
//! Two flocks in the container directory make the protocol:
//!
//! - [`MUTEX_FILE`], held exclusively ([`Mutex`]) around every mount and every decision to
//!   unmount;
//! - [`USERS_FILE`], held shared ([`User`]) by everything that needs the mount: a monitor
//!   from before it creates the container until the container is finished for good (so
//!   restarts keep their rootfs), and a `cp`, `export` or `stat` for its duration.
//!
//! A user takes the mutex, its shared lock, mounts if needed and drops the mutex. When done
//! it drops its shared lock first, then takes the mutex and unmounts only if nobody holds
//! the users lock any more ([`release`]): the last of several users to finish always sees
//! the others gone, and a start that mounted under the mutex has its monitor holding the
//! lock before the mutex is free again. A monitor killed with SIGKILL leaves the mount in
//! place (its lock goes with it): the next user's release, or `rm`, unmounts it.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use nix::mount::{umount2, MntFlags};
use rustix::fs::{flock, FlockOperation};

/// The lock file serializing mounts and unmounts of the container's rootfs.
pub const MUTEX_FILE: &str = "rootfs.lock";
/// The lock file held shared by every user of the mounted rootfs.
pub const USERS_FILE: &str = "rootfs.users";
/// The overlay's mount point inside the container directory.
pub const MERGED_DIR: &str = "rootfs";

/// The exclusive lock around mounting and unmounting a container's rootfs.
pub struct Mutex {
    _file: File,
}

impl Mutex {
    /// Takes the mutex of the container in `ctr_dir` (blocking).
    pub fn lock(ctr_dir: &Path) -> io::Result<Mutex> {
        Ok(Mutex {
            _file: take(&ctr_dir.join(MUTEX_FILE), FlockOperation::LockExclusive)?,
        })
    }
}

/// A held claim on the container's mounted rootfs (a shared lock on [`USERS_FILE`]).
pub struct User {
    _file: File,
}

impl User {
    /// Claims the rootfs of the container in `ctr_dir`; take it under the [`Mutex`].
    pub fn hold(ctr_dir: &Path) -> io::Result<User> {
        Ok(User {
            _file: take(&ctr_dir.join(USERS_FILE), FlockOperation::LockShared)?,
        })
    }
}

/// Whether no one holds a claim on the rootfs now (call under the [`Mutex`]).
pub fn unused(ctr_dir: &Path, _mutex: &Mutex) -> io::Result<bool> {
    match take(
        &ctr_dir.join(USERS_FILE),
        FlockOperation::NonBlockingLockExclusive,
    ) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
        Err(e) => Err(e),
    }
}

/// Gives up `user`'s claim, then unmounts the rootfs if no one else holds one and
/// `may_unmount` (asked under the mutex) agrees. Returns whether it unmounted.
pub fn release(user: User, ctr_dir: &Path, may_unmount: impl FnOnce() -> bool) -> io::Result<bool> {
    drop(user);
    let mutex = Mutex::lock(ctr_dir)?;
    if !unused(ctr_dir, &mutex)? || !may_unmount() {
        return Ok(false);
    }
    unmount(ctr_dir)?;
    Ok(true)
}

/// The overlay's mount point of the container in `ctr_dir`.
pub fn merged(ctr_dir: &Path) -> PathBuf {
    ctr_dir.join(MERGED_DIR)
}

/// Unmounts the container's rootfs (every layer mounted there) if mounted.
pub fn unmount(ctr_dir: &Path) -> io::Result<()> {
    let merged = merged(ctr_dir);
    while is_mounted(&merged) {
        if let Err(e) = umount2(&merged, MntFlags::empty()) {
            // Someone else (a racing `rm`) may have unmounted it meanwhile.
            if umount2(&merged, MntFlags::MNT_DETACH).is_err() && is_mounted(&merged) {
                return Err(e.into());
            }
        }
    }
    Ok(())
}

/// Whether `path` is a mount point (its device differs from its parent's, or it shows in
/// mountinfo).
pub fn is_mounted(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Ok(m), Some(parent)) = (std::fs::symlink_metadata(path), path.parent()) else {
        return false;
    };
    match std::fs::metadata(parent) {
        Ok(p) if p.dev() != m.dev() => true,
        _ => mountinfo_has(path),
    }
}

fn mountinfo_has(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return false;
    };
    let want = path.display().to_string();
    text.lines()
        .any(|l| l.split(' ').nth(4) == Some(want.as_str()))
}

fn take(path: &Path, op: FlockOperation) -> io::Result<File> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    flock(&file, op)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_user_sees_the_rootfs_unused() {
        let dir = tempfile::tempdir().unwrap();
        let a = {
            let _m = Mutex::lock(dir.path()).unwrap();
            User::hold(dir.path()).unwrap()
        };
        let b = User::hold(dir.path()).unwrap();
        // `a` finishes first: `b` still holds a claim, nothing is unmounted.
        assert!(!release(a, dir.path(), || true).unwrap());
        // `b` is the last: the rootfs would be unmounted (not a mount point here).
        assert!(release(b, dir.path(), || true).unwrap());
        let c = User::hold(dir.path()).unwrap();
        assert!(!release(c, dir.path(), || false).unwrap());
    }
}
