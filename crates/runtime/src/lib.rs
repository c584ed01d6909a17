//! berth's OCI runtime.
//!
//! Given an OCI bundle (a `config.json` plus a root filesystem) this crate creates the isolated
//! process exactly as the OCI runtime specification says, and manages its lifecycle
//! (`create`, `start`, `state`, `kill`, `delete`, `exec`, `pause`/`resume`, `update`).
//! Every container berth runs goes through here; the runc-compatible CLI is a thin layer
//! over [`ops`].
//!
//! Process model: `create` forks the container's init with one `clone3` into its new
//! namespaces (see [`namespaces`]); the child ([`init`]) sets up mounts, devices, hostname,
//! sysctls, rlimits, user and capabilities, then blocks on the exec fifo until `start`
//! releases it, applies its seccomp filter and `execve`s the user process.

#![forbid(unsafe_code)]

pub mod activation;
pub mod affinity;
pub mod capabilities;
pub mod cgroups;
pub mod criu;
pub mod env;
pub mod error;
pub mod hooks;
pub mod init;
pub mod mempolicy;
pub mod namespaces;
pub mod notify;
pub mod ops;
pub mod personality;
pub mod process;
pub mod ranges;
pub mod rootfs;
pub mod sched;
pub mod seccomp;
pub mod spec;
pub mod state;
pub mod sync;
pub mod terminal;
pub mod time;

pub use error::{Error, Result};
