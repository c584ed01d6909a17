//! `run`: create + start, then (unless detached) wait for the process, forwarding signals,
//! and delete the container, returning the process's exit code.

use nix::sys::signal::{kill, SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use super::create::{create, CreateOptions};
use super::{delete, start, Globals};
use crate::error::{IoContext, Result};

/// Signals a foreground runtime (or berth's attached CLI) forwards to the container process.
pub const FORWARDED: [Signal; 7] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGWINCH,
];

/// Runs a container. Returns the exit code to exit with (0 when detached). With `keep`, the
/// stopped container is left for `state` and `delete`.
pub fn run(g: &Globals, o: &CreateOptions, detach: bool, keep: bool) -> Result<i32> {
    let mask = if detach {
        SigSet::empty()
    } else {
        forwarding_mask()
    };
    // Block before the fork so no signal is lost between the fork and the signalfd.
    mask.thread_block().ctx(|| "block signals".into())?;
    let created = match create(g, o) {
        Ok(c) => c,
        Err(e) => {
            let _ = mask.thread_unblock();
            return Err(e);
        }
    };
    let pid = created.state.pid;
    if let Err(e) = start::start_notify(g, &o.id, o.notify_socket.as_deref()) {
        let _ = delete::delete(g, &o.id, true);
        return Err(e);
    }
    if detach {
        return Ok(0);
    }
    let code = wait_forwarding(pid, &mask);
    let _ = mask.thread_unblock();
    if !keep {
        delete::delete(g, &o.id, true)?;
    }
    code
}

/// Waits for `pid` (our child), forwarding signals to it; returns its exit code
/// (128 + signal number when killed by a signal).
pub fn wait_forwarding(pid: i32, mask: &SigSet) -> Result<i32> {
    let sfd = SignalFd::with_flags(mask, SfdFlags::SFD_CLOEXEC).ctx(|| "signalfd".into())?;
    let target = Pid::from_raw(pid);
    loop {
        if let Some(code) = reap(target)? {
            return Ok(code);
        }
        match sfd.read_signal() {
            Ok(Some(info)) => {
                let signo = info.ssi_signo as i32;
                if signo != libc::SIGCHLD {
                    if let Ok(sig) = Signal::try_from(signo) {
                        let _ = kill(target, sig);
                    }
                }
            }
            Ok(None) => {}
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e).ctx(|| "read signalfd".into()),
        }
    }
}

fn reap(target: Pid) -> Result<Option<i32>> {
    match waitpid(target, Some(WaitPidFlag::WNOHANG)) {
        Ok(WaitStatus::Exited(_, code)) => Ok(Some(code)),
        Ok(WaitStatus::Signaled(_, sig, _)) => Ok(Some(128 + sig as i32)),
        Ok(_) => Ok(None),
        Err(nix::errno::Errno::EINTR) => Ok(None),
        Err(e) => Err(e).ctx(|| format!("wait for pid {target}")),
    }
}

/// The signals a foreground wait blocks and handles: SIGCHLD plus the forwarded ones.
pub fn forwarding_mask() -> SigSet {
    let mut mask = SigSet::empty();
    mask.add(Signal::SIGCHLD);
    for s in FORWARDED {
        mask.add(s);
    }
    mask
}
