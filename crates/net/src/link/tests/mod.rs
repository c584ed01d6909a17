//! Kernel tests: each runs in a thread with a network and mount namespace of its own, so
//! nothing here can touch the host's links, addresses, routes or mounts.

mod attach;
mod links;
mod netns;

use nix::mount::{mount, MsFlags};
use nix::sched::{unshare, CloneFlags};
use nix::unistd::Uid;

/// Runs `f` in a fresh network + mount namespace (with `/` made rprivate), or prints why the
/// test is skipped.
fn isolated(test: &str, f: impl FnOnce() + Send) {
    if !Uid::effective().is_root() {
        eprintln!("skipping {test}: needs root");
        return;
    }
    std::thread::scope(|scope| {
        let handle = scope.spawn(|| {
            if let Err(errno) = unshare(CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWNS) {
                eprintln!("skipping {test}: unshare(CLONE_NEWNET|CLONE_NEWNS): {errno}");
                return;
            }
            mount(
                None::<&str>,
                "/",
                None::<&str>,
                MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                None::<&str>,
            )
            .expect("make / rprivate in the test's mount namespace");
            f();
        });
        if let Err(panic) = handle.join() {
            std::panic::resume_unwind(panic);
        }
    });
}

/// The mount points listed in the calling thread's mount namespace.
fn mount_points() -> Vec<String> {
    std::fs::read_to_string("/proc/thread-self/mountinfo")
        .expect("read mountinfo")
        .lines()
        .filter_map(|line| line.split(' ').nth(4).map(str::to_string))
        .collect()
}
