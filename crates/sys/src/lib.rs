//! The only crate of berth allowed to contain `unsafe` code.
//!
//! Each function here wraps one Linux system call (or a short fixed sequence of them) that
//! neither `nix` nor `rustix` exposes safely, and documents why the call is sound. Everything
//! above this crate is safe Rust.

#![deny(missing_docs)]

pub mod activation;
pub mod bpf;
pub mod clone;
pub mod memory;
pub mod misc;
pub mod mount;
pub mod sched;
pub mod seccomp;
pub mod sockopt;

pub use clone::{clone3, CloneResult};
