//! Small system calls that `nix` and `rustix` do not wrap safely.

use std::io;

/// `setdomainname(2)`: sets the NIS domain name of the current UTS namespace.
pub fn set_domainname(name: &str) -> io::Result<()> {
    // SAFETY: the pointer and length describe `name`'s bytes, valid for the call; the kernel
    // copies at most `len` bytes and does not need a NUL terminator.
    let ret = unsafe { libc::setdomainname(name.as_ptr().cast(), name.len()) };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Clears every signal handler and unblocks every signal, as a freshly exec'd program
/// expects; used in the container process before `execve`.
pub fn reset_signals() {
    for sig in 1..=64 {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        // SAFETY: installing SIG_DFL is always sound; invalid numbers just fail with EINVAL.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
        }
    }
    // SAFETY: an empty, initialised set is passed by pointer; the old mask is not requested.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    }
}

/// `_exit(2)`: ends the process at once without running atexit handlers or flushing stdio,
/// which is what a forked child must do so as not to run its parent's cleanup twice.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit never returns and touches no Rust state.
    unsafe { libc::_exit(code) }
}

/// `ioprio_set(IOPRIO_WHO_PROCESS, 0, class << 13 | level)`: sets the calling process's
/// I/O scheduling class and level.
pub fn ioprio_set_self(class: i32, level: i32) -> io::Result<()> {
    let prio = (class << 13) | (level & 0x1fff);
    // SAFETY: ioprio_set takes three integers and touches no memory of ours.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_ioprio_set,
            1 as libc::c_int,
            0 as libc::c_int,
            prio,
        )
    };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Marks every file descriptor from `first` upwards close-on-exec
/// (`close_range(first, ~0, CLOSE_RANGE_CLOEXEC)`), so only stdio and the preserved fds
/// reach the container's program.
pub fn cloexec_from(first: u32) -> io::Result<()> {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: close_range only changes fd flags; no memory is passed.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first,
            libc::c_uint::MAX,
            CLOSE_RANGE_CLOEXEC,
        )
    };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Joins a new anonymous session keyring named `name` (as runc does for each container), so
/// containers do not share the host's session keyring. Failures are ignored: some kernels and
/// user namespaces forbid it, and the container still works without it.
pub fn join_session_keyring(name: &str) {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    let Ok(c) = std::ffi::CString::new(name) else {
        return;
    };
    // SAFETY: the name is a valid NUL-terminated string alive for the call.
    unsafe {
        libc::syscall(libc::SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, c.as_ptr());
    }
}

/// Receives one message on `sock` into `buf`, with the first file descriptor sent along with
/// it (SCM_RIGHTS, close-on-exec); any further descriptors in the message are closed.
/// Returns the number of bytes (0 at end of stream) and the descriptor, if one came.
/// Interrupted calls are retried.
pub fn recv_with_fd(
    sock: std::os::fd::BorrowedFd<'_>,
    buf: &mut [u8],
) -> nix::Result<(usize, Option<std::os::fd::OwnedFd>)> {
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
    let mut space = nix::cmsg_space!([RawFd; 4]);
    loop {
        let mut iov = [std::io::IoSliceMut::new(buf)];
        let msg = match recvmsg::<()>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut space),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Err(nix::errno::Errno::EINTR) => continue,
            other => other?,
        };
        let mut first = None;
        for c in msg.cmsgs()? {
            if let ControlMessageOwned::ScmRights(fds) = c {
                for fd in fds {
                    // SAFETY: the kernel has just installed `fd` in this process for this
                    // message; nothing else refers to it, which is OwnedFd's invariant.
                    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
                    if first.is_none() {
                        first = Some(owned);
                    }
                }
            }
        }
        return Ok((msg.bytes, first));
    }
}
