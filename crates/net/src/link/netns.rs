//! Persistent network namespaces as bind-mounted files (the `ip netns` way), and running
//! code inside one from a dedicated thread.
//!
//! Mount namespaces: [`create_netns`] bind-mounts the namespace in the *caller's* mount
//! namespace (the helper thread shares it; only its network namespace is new). It does not
//! change the propagation of the directory holding the file: callers keep netns files in a
//! directory of their own (berth uses its run directory). If that directory sits on a shared
//! mount the bind mount (and its later unmount) propagates to peer mount namespaces, which is
//! what `ip netns` arranges for `/run/netns` too; mount namespaces copied from the caller's
//! while the file is mounted keep their own copy, so containers should be started with their
//! root made `rslave`/`rprivate` and their own view of the run directory (as berth's runtime
//! does). [`remove_netns`] detaches the mount, so the namespace is freed once nothing else
//! (a process inside, an open fd, another copy of the mount) holds it.

use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use nix::errno::Errno;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};

use super::{LinkError, Netlink};

/// The calling thread's own network namespace file.
const THREAD_NETNS: &str = "/proc/thread-self/ns/net";
/// Stacked mounts on one file that [`remove_netns`] will peel off at most.
const MAX_STACKED_MOUNTS: usize = 16;

/// Runs `f` in a new thread that has set `path`'s network namespace, returning the thread's
/// error or result; `f` runs in the caller's mount namespace.
fn in_thread<T: Send>(
    path: &Path,
    f: impl FnOnce() -> Result<T, LinkError> + Send,
) -> Result<T, LinkError> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("berth-netns".to_string())
            .spawn_scoped(scope, f)
            .map_err(|source| LinkError::Thread {
                path: path.to_path_buf(),
                source,
            })?;
        match handle.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Runs `f` in a thread that first joins the network namespace at `path` (setns
/// CLONE_NEWNET), returning its result. A panic in `f` is resumed in the caller.
pub fn in_netns<T: Send>(path: &Path, f: impl FnOnce() -> T + Send) -> Result<T, LinkError> {
    let ns = File::open(path).map_err(|source| LinkError::Io {
        op: "open netns",
        path: path.to_path_buf(),
        source,
    })?;
    in_thread(path, move || {
        setns(&ns, CloneFlags::CLONE_NEWNET).map_err(|errno| LinkError::Namespace {
            op: "join netns",
            path: path.to_path_buf(),
            errno,
        })?;
        drop(ns);
        Ok(f())
    })
}

/// Creates a persistent network namespace at `path` (a thread unshares CLONE_NEWNET and
/// bind-mounts /proc/thread-self/ns/net onto an empty file at `path`, as `ip netns add`
/// does), with `lo` up inside. `path` must not exist; its directory must.
pub fn create_netns(path: &Path) -> Result<(), LinkError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o444)
        .open(path)
        .map_err(|source| LinkError::Io {
            op: "create netns file",
            path: path.to_path_buf(),
            source,
        })?;
    let made = in_thread(path, || {
        unshare(CloneFlags::CLONE_NEWNET).map_err(|errno| LinkError::Namespace {
            op: "unshare netns for",
            path: path.to_path_buf(),
            errno,
        })?;
        Netlink::open()?.set_up("lo")?;
        mount(
            Some(THREAD_NETNS),
            path,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|errno| LinkError::Namespace {
            op: "bind-mount netns onto",
            path: path.to_path_buf(),
            errno,
        })
    });
    if made.is_err() {
        let _ = fs::remove_file(path);
    }
    made
}

/// Unmounts (MNT_DETACH) and removes a netns file made by [`create_netns`]; a missing file
/// is not an error.
pub fn remove_netns(path: &Path) -> Result<(), LinkError> {
    for _ in 0..MAX_STACKED_MOUNTS {
        match umount2(path, MntFlags::MNT_DETACH) {
            Ok(()) => continue,
            // EINVAL: not (or no longer) a mount point.
            Err(Errno::EINVAL) | Err(Errno::ENOENT) => break,
            Err(errno) => {
                return Err(LinkError::Namespace {
                    op: "unmount netns",
                    path: path.to_path_buf(),
                    errno,
                })
            }
        }
    }
    match fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(LinkError::Io {
            op: "remove netns file",
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}
