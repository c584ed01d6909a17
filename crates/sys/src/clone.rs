//! `clone3(2)`: create the container's first process in new namespaces (and, on cgroup v2,
//! directly inside its cgroup) with one system call.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// What `clone3` returned, seen from each side of the fork.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloneResult {
    /// We are the parent; the value is the child's pid (in our pid namespace).
    Parent(i32),
    /// We are the child.
    Child,
}

/// `struct clone_args` from `<linux/sched.h>` (version 2, 88 bytes, with `cgroup`).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

/// `CLONE_INTO_CGROUP` from `<linux/sched.h>` (not yet in every libc).
pub const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// Forks the calling process like `fork(2)`, but with `flags` (a set of `CLONE_NEW*` bits)
/// applied to the child and, when `cgroup` is given, the child placed in that cgroup v2
/// directory at birth (`CLONE_INTO_CGROUP`). The child gets `SIGCHLD` as its exit signal.
///
/// The caller must be single-threaded (as berth's run path is): like `fork`, only the calling
/// thread is copied into the child, and the child may use any code afterwards only because no
/// other thread can hold a lock it needs.
pub fn clone3(flags: u64, cgroup: Option<BorrowedFd<'_>>) -> io::Result<CloneResult> {
    let mut args = CloneArgs {
        flags,
        exit_signal: libc::SIGCHLD as u64,
        ..Default::default()
    };
    if let Some(fd) = cgroup {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = fd.as_raw_fd() as u64;
    }
    // SAFETY: `args` is a valid, fully initialised `clone_args` of the size we pass, and lives
    // across the call. With no CLONE_VM and a null stack the kernel duplicates the address
    // space as fork(2) does, so the child continues on its own copy of this stack. The caller
    // guarantees single-threadedness (documented above), so no lock is held by a vanished thread.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &mut args as *mut CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    match ret {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(CloneResult::Child),
        pid => Ok(CloneResult::Parent(pid as i32)),
    }
}

/// Plain `fork(2)` semantics through `clone3` with no flags.
pub fn fork() -> io::Result<CloneResult> {
    clone3(0, None)
}
