//! `linux.seccomp.flags` to `SECCOMP_FILTER_FLAG_*` bits for seccomp(2), checked against what
//! the running kernel accepts (one probing syscall, no filter installed).

use oci_spec::runtime::{LinuxSeccomp, LinuxSeccompFilterFlag};

use crate::{Error, Result};

/// `SECCOMP_FILTER_FLAG_TSYNC`: synchronise all threads to the new filter.
pub(super) const TSYNC: u32 = libc::SECCOMP_FILTER_FLAG_TSYNC as u32;
/// `SECCOMP_FILTER_FLAG_LOG`: log every action but ALLOW.
pub(super) const LOG: u32 = libc::SECCOMP_FILTER_FLAG_LOG as u32;
/// `SECCOMP_FILTER_FLAG_SPEC_ALLOW`: keep Speculative Store Bypass mitigation off.
pub(super) const SPEC_ALLOW: u32 = libc::SECCOMP_FILTER_FLAG_SPEC_ALLOW as u32;
/// `SECCOMP_FILTER_FLAG_NEW_LISTENER`: return a user-notification listener fd.
pub(super) const NEW_LISTENER: u32 = libc::SECCOMP_FILTER_FLAG_NEW_LISTENER as u32;
/// `SECCOMP_FILTER_FLAG_TSYNC_ESRCH`: report TSYNC failure as ESRCH (lets TSYNC and
/// NEW_LISTENER be combined).
pub(super) const TSYNC_ESRCH: u32 = libc::SECCOMP_FILTER_FLAG_TSYNC_ESRCH as u32;

/// The bit of one OCI flag, and the kernel that introduced it (for messages).
fn bit(flag: LinuxSeccompFilterFlag) -> (u32, &'static str) {
    match flag {
        LinuxSeccompFilterFlag::SeccompFilterFlagTsync => (TSYNC, "3.17"),
        LinuxSeccompFilterFlag::SeccompFilterFlagLog => (LOG, "4.14"),
        LinuxSeccompFilterFlag::SeccompFilterFlagSpecAllow => (SPEC_ALLOW, "4.17"),
    }
}

/// Computes the seccomp(2) flags for `seccomp` (adding NEW_LISTENER when `notify`) and checks
/// the kernel accepts them, naming the first flag it does not.
pub(super) fn resolve(seccomp: &LinuxSeccomp, notify: bool) -> Result<u32> {
    let requested: Vec<LinuxSeccompFilterFlag> =
        seccomp.flags().iter().flatten().copied().collect();
    let mut flags = requested.iter().fold(0, |acc, f| acc | bit(*f).0);
    if notify {
        flags |= NEW_LISTENER;
    }
    if flags == 0 || supported(flags)? {
        return Ok(flags);
    }
    // The kernel refuses TSYNC with NEW_LISTENER unless TSYNC_ESRCH (5.7) is also given. The
    // container process is single-threaded when it loads the filter, so TSYNC changes nothing
    // there: keep it when the kernel can combine them, drop it otherwise (runc ignores TSYNC).
    if flags & TSYNC != 0 && flags & NEW_LISTENER != 0 {
        if supported(flags | TSYNC_ESRCH)? {
            return Ok(flags | TSYNC_ESRCH);
        }
        if supported(flags & !TSYNC)? {
            return Ok(flags & !TSYNC);
        }
    }
    if notify && !supported(NEW_LISTENER)? {
        return Err(Error::Seccomp(
            "SCMP_ACT_NOTIFY needs seccomp user notification (Linux 5.0 or later), which this \
             kernel does not offer"
                .into(),
        ));
    }
    for flag in requested {
        let (b, since) = bit(flag);
        if !supported(b)? {
            return Err(Error::Seccomp(format!(
                "flag {flag} is not supported by this kernel (it needs Linux {since} or later); \
                 remove it from linux.seccomp.flags"
            )));
        }
    }
    Err(Error::Seccomp(format!(
        "the kernel rejects the combination of seccomp flags {flags:#x}"
    )))
}

/// Whether the kernel accepts `flags`.
fn supported(flags: u32) -> Result<bool> {
    berth_sys::seccomp::filter_flags_supported(flags).map_err(|e| {
        Error::Seccomp(format!(
            "probe whether the kernel accepts seccomp flags {flags:#x}: {e}"
        ))
    })
}
