//! seccomp: `linux.seccomp` compiled with libseccomp into classic BPF, cached on disk by the
//! hash of its JSON so that later starts skip the compiler, and loaded just before `execve`.
//!
//! The work is split so that everything that can fail on the user's input fails in the
//! runtime process, before the container exists:
//!
//! - [`compile`] (runtime process): `validate` the profile, resolve the
//!   `SECCOMP_FILTER_FLAG_*` bits and check the kernel takes them, then either read the program
//!   from the cache or build it with libseccomp (`bpf`) and store it (`cache`).
//! - [`load`] (container process, single-threaded, right before `execve`): one `seccomp(2)`
//!   call. With `SCMP_ACT_NOTIFY` rules it returns the listener fd, which must travel to the
//!   runtime process; that one passes it to the seccomp agent with [`send_listener`].
//!
//! Also here: [`parse`] (JSON to [`LinuxSeccomp`] with errors naming the bad entry), and
//! Docker-format profiles ([`docker_profile`], [`default_docker_profile`]).

mod bpf;
mod cache;
mod docker;
mod flags;
mod notify;
mod parse;
mod validate;

#[cfg(test)]
mod tests;

use std::os::fd::OwnedFd;
use std::path::Path;

use oci_spec::runtime::LinuxSeccomp;

use crate::{Error, Result};

pub use docker::{default_docker_profile, docker_profile, DOCKER_DEFAULT_CAPS};
pub use notify::send_listener;
pub use parse::parse;
pub use validate::NOTIFY_FORBIDDEN_SYSCALLS;

/// A filter ready to load in the container process.
#[derive(Debug, Clone)]
pub struct CompiledFilter {
    /// The BPF program.
    pub program: Vec<berth_sys::seccomp::SockFilter>,
    /// `SECCOMP_FILTER_FLAG_*` bits to pass to seccomp(2) (including
    /// `SECCOMP_FILTER_FLAG_NEW_LISTENER` when [`notify`](Self::notify) is set).
    pub flags: u32,
    /// Whether a listener fd must be sent to `listenerPath` after loading.
    pub notify: bool,
}

/// Validates and compiles `seccomp` (using `cache_dir` to store and reuse compiled programs,
/// when given). Runs in the runtime process, before the container process is created, so that
/// every error is reported before anything starts.
///
/// Unknown syscall names are skipped (as runc does: the profile may name syscalls this
/// libseccomp or architecture does not know). A cache hit costs a hash of the profile's JSON
/// and one small file read; libseccomp's compiler is not touched. A missing, corrupt or
/// foreign cache file is ignored and rewritten; failing to write the cache is not an error
/// (the container still starts, the next start compiles again).
pub fn compile(seccomp: &LinuxSeccomp, cache_dir: Option<&Path>) -> Result<CompiledFilter> {
    let checked = validate::check(seccomp)?;
    let flags = flags::resolve(seccomp, checked.notify)?;
    let program = match cache_dir {
        None => decode(&bpf::build(seccomp)?)?,
        Some(dir) => {
            let key = cache::key(seccomp)?;
            match cache::lookup(dir, &key) {
                Some(program) => program,
                None => {
                    let bytes = bpf::build(seccomp)?;
                    let program = decode(&bytes)?;
                    // Not fatal: the cache only saves time on the next start.
                    let _ = cache::store(dir, &key, &bytes);
                    program
                }
            }
        }
    };
    Ok(CompiledFilter {
        program,
        flags,
        notify: checked.notify,
    })
}

/// Installs the filter on the calling process (the container's init, right before execve).
///
/// The caller must have set `no_new_privs` or hold `CAP_SYS_ADMIN`. When the filter uses
/// `SCMP_ACT_NOTIFY`, returns the listener fd: hand it to the runtime process, which gives it
/// to the seccomp agent with [`send_listener`]. Allocates nothing on success, so it is safe in
/// a child forked from a multi-threaded process.
pub fn load(filter: &CompiledFilter) -> Result<Option<OwnedFd>> {
    let res = if filter.notify {
        berth_sys::seccomp::load_filter_listener(&filter.program, filter.flags).map(Some)
    } else {
        berth_sys::seccomp::load_filter(&filter.program, filter.flags).map(|_| None)
    };
    res.map_err(|e| {
        let hint = match e.raw_os_error() {
            Some(libc::EACCES) => {
                "; set process.noNewPrivileges or load the filter while CAP_SYS_ADMIN is held"
            }
            Some(libc::EINVAL) => "; the kernel rejected the program or its flags",
            _ => "",
        };
        Error::Seccomp(format!(
            "load the filter ({} instructions, flags {:#x}): {e}{hint}",
            filter.program.len(),
            filter.flags
        ))
    })
}

/// Decodes libseccomp's exported bytes into instructions.
fn decode(bytes: &[u8]) -> Result<Vec<berth_sys::seccomp::SockFilter>> {
    berth_sys::seccomp::decode_bpf(bytes)
        .map_err(|e| Error::Seccomp(format!("libseccomp exported an unusable program: {e}")))
}
