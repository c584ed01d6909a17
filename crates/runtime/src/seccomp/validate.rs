//! Checks on a [`LinuxSeccomp`] that need neither libseccomp nor the kernel: what the OCI
//! runtime specification requires of the profile, with errors naming the offending entry.

use oci_spec::runtime::{LinuxSeccomp, LinuxSeccompAction, LinuxSyscall};

use crate::{Error, Result};

/// Syscalls that may not use `SCMP_ACT_NOTIFY`: the container process needs them after the
/// filter is loaded to hand the listener fd to the runtime (`write` for a plain fd number,
/// `sendmsg` for `SCM_RIGHTS`). Were they notified, the agent would never get the fd and the
/// container would hang, so such a profile is refused up front (runc refuses `write`).
pub const NOTIFY_FORBIDDEN_SYSCALLS: &[&str] = &["write", "sendmsg"];

/// Highest syscall argument index (syscalls take at most six arguments).
pub(super) const MAX_ARG_INDEX: usize = 5;

/// Highest errno the kernel returns for `SECCOMP_RET_ERRNO` (`MAX_ERRNO`); it clamps above.
const MAX_ERRNO: u32 = 4095;

/// What validation learned about the profile.
pub(super) struct Checked {
    /// Some rule uses `SCMP_ACT_NOTIFY`.
    pub notify: bool,
}

/// Validates `seccomp` as the runtime specification asks.
pub(super) fn check(seccomp: &LinuxSeccomp) -> Result<Checked> {
    let default = seccomp.default_action();
    check_errno("defaultAction", default, seccomp.default_errno_ret())?;
    if default == LinuxSeccompAction::ScmpActNotify {
        return Err(Error::Seccomp(
            "defaultAction SCMP_ACT_NOTIFY is not supported: the container process would be \
             blocked before it can hand the listener to the agent; use SCMP_ACT_NOTIFY on \
             specific syscalls instead"
                .into(),
        ));
    }
    let mut notify_entry = None;
    for (i, call) in seccomp.syscalls().iter().flatten().enumerate() {
        check_entry(i, call)?;
        if call.action() == LinuxSeccompAction::ScmpActNotify && notify_entry.is_none() {
            notify_entry = Some(i);
        }
    }
    if let Some(i) = notify_entry {
        if seccomp.listener_path().is_none() {
            return Err(Error::Seccomp(format!(
                "syscalls[{i}] uses SCMP_ACT_NOTIFY but listenerPath is not set: set \
                 linux.seccomp.listenerPath to the seccomp agent's unix socket"
            )));
        }
    }
    if seccomp.listener_metadata().is_some() && seccomp.listener_path().is_none() {
        return Err(Error::Seccomp(
            "listenerMetadata is set without listenerPath: set both or neither".into(),
        ));
    }
    Ok(Checked {
        notify: notify_entry.is_some(),
    })
}

/// Checks one `syscalls` entry.
fn check_entry(i: usize, call: &LinuxSyscall) -> Result<()> {
    let what = label(i, call);
    if call.names().is_empty() {
        return Err(Error::Seccomp(format!(
            "{what}: names is empty; list at least one syscall"
        )));
    }
    if call.names().iter().any(|n| n.is_empty()) {
        return Err(Error::Seccomp(format!(
            "{what}: names contains an empty string"
        )));
    }
    check_errno(&what, call.action(), call.errno_ret())?;
    for (j, arg) in call.args().iter().flatten().enumerate() {
        if arg.index() > MAX_ARG_INDEX {
            return Err(Error::Seccomp(format!(
                "{what}: args[{j}].index is {}; syscall arguments are numbered 0 to {MAX_ARG_INDEX}",
                arg.index()
            )));
        }
    }
    if call.action() == LinuxSeccompAction::ScmpActNotify {
        if let Some(n) = call
            .names()
            .iter()
            .find(|n| NOTIFY_FORBIDDEN_SYSCALLS.contains(&n.as_str()))
        {
            return Err(Error::Seccomp(format!(
                "{what}: SCMP_ACT_NOTIFY cannot be used for {n:?}: the container process needs \
                 it to hand the listener to the agent and would hang"
            )));
        }
    }
    Ok(())
}

/// `errnoRet` is only meaningful for ERRNO and TRACE; the specification says to fail otherwise.
fn check_errno(what: &str, action: LinuxSeccompAction, errno: Option<u32>) -> Result<()> {
    let Some(errno) = errno else { return Ok(()) };
    let max = match action {
        LinuxSeccompAction::ScmpActErrno => MAX_ERRNO,
        LinuxSeccompAction::ScmpActTrace => u32::from(u16::MAX),
        other => {
            return Err(Error::Seccomp(format!(
                "{what}: an errno return value is only allowed with SCMP_ACT_ERRNO and \
                 SCMP_ACT_TRACE, not {other}"
            )))
        }
    };
    if errno > max {
        return Err(Error::Seccomp(format!(
            "{what}: errno return value {errno} is out of range for {action} (0 to {max})"
        )));
    }
    Ok(())
}

/// Names a `syscalls` entry in messages: `syscalls[3] (mkdir, mkdirat)`.
pub(super) fn label(i: usize, call: &LinuxSyscall) -> String {
    let names = call.names();
    let mut shown = names.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > 3 {
        shown.push_str(&format!(", ... {} more", names.len() - 3));
    }
    format!("syscalls[{i}] ({shown})")
}
