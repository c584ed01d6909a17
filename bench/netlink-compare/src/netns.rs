//! Program B's namespace helpers: the same syscalls as berth-net's link/netns.rs (a thread
//! unshares CLONE_NEWNET and bind-mounts its namespace onto a file; a thread setns()es into
//! one), which would stay in berth whichever way the netlink messages are built.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};

/// Runs `f` in a thread whose network namespace is the one at `path`.
pub fn in_netns<T: Send>(path: &Path, f: impl FnOnce() -> T + Send) -> Result<T, String> {
    let ns = File::open(path).map_err(|e| format!("open {}: {e}", path.display()))?;
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                setns(&ns, CloneFlags::CLONE_NEWNET).map_err(|e| format!("setns: {e}"))?;
                drop(ns);
                Ok(f())
            })
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// Creates a namespace bind-mounted at `path`; `lo_up` runs inside it first.
pub fn create_netns(
    path: &Path,
    lo_up: impl FnOnce() -> Result<(), String> + Send,
) -> Result<(), String> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o444)
        .open(path)
        .map_err(|e| format!("create {}: {e}", path.display()))?;
    let made = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                unshare(CloneFlags::CLONE_NEWNET).map_err(|e| format!("unshare: {e}"))?;
                lo_up()?;
                mount(
                    Some("/proc/thread-self/ns/net"),
                    path,
                    None::<&str>,
                    MsFlags::MS_BIND,
                    None::<&str>,
                )
                .map_err(|e| format!("bind-mount netns: {e}"))
            })
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    });
    if made.is_err() {
        let _ = fs::remove_file(path);
    }
    made
}

/// Unmounts and removes a namespace file made by [`create_netns`].
pub fn remove_netns(path: &Path) -> Result<(), String> {
    while umount2(path, MntFlags::MNT_DETACH).is_ok() {}
    fs::remove_file(path).map_err(|e| format!("remove {}: {e}", path.display()))
}
