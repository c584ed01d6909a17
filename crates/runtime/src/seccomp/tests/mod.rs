//! Tests of the seccomp module: compilation and validation (`compile`), the on-disk cache
//! (`cache`), and filters loaded in forked children (`exec`, `notify`).

mod cache;
mod compile;
mod exec;
mod notify;

use berth_sys::seccomp::SockFilter;
use oci_spec::runtime::LinuxSeccomp;
use serde_json::Value;

/// A profile from JSON, through [`super::parse`].
fn profile(v: Value) -> LinuxSeccomp {
    super::parse(&v).expect("valid test profile")
}

/// Whether the program has a `BPF_RET | BPF_K` returning `k`.
fn returns(program: &[SockFilter], k: u32) -> bool {
    program.iter().any(|i| i.code == 0x06 && i.k == k)
}
