//! seccomp: `linux.seccomp` compiled with libseccomp into classic BPF, cached on disk by the
//! hash of its JSON so that later starts skip the compiler, and loaded just before `execve`.
//!
//! TODO(helper): implement.

use std::path::Path;

use oci_spec::runtime::LinuxSeccomp;

use crate::Result;

/// A filter ready to load in the container process.
#[derive(Debug, Clone)]
pub struct CompiledFilter {
    /// The BPF program.
    pub program: Vec<berth_sys::seccomp::SockFilter>,
    /// `SECCOMP_FILTER_FLAG_*` bits to pass to seccomp(2).
    pub flags: u32,
    /// Whether a listener fd must be sent to `listenerPath` after loading.
    pub notify: bool,
}

/// Validates and compiles `seccomp` (using `cache_dir` to store and reuse compiled programs,
/// when given). Runs in the runtime process, before the container process is created, so that
/// every error is reported before anything starts.
pub fn compile(_seccomp: &LinuxSeccomp, _cache_dir: Option<&Path>) -> Result<CompiledFilter> {
    todo!()
}

/// Installs the filter on the calling process (the container's init, right before execve).
pub fn load(_filter: &CompiledFilter) -> Result<()> {
    todo!()
}
