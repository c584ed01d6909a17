//! Parsers for `docker run` flag values, with Docker's semantics and Docker's error wording
//! (`invalid argument "12x" for "-m, --memory" flag: invalid size: '12x'`).
//!
//! Parsers used by several flags take the flag's display name (`"-m, --memory"`); the others
//! name their own flag.

mod bytes;
mod env;
mod misc;
mod mounts;
mod time;

pub use bytes::{nano_cpus, parse_bytes, parse_cpus, parse_memory_swap};
pub use env::{parse_env, parse_env_file, parse_env_text};
pub use misc::{
    parse_add_host, parse_device, parse_ip, parse_key_value, parse_restart, parse_security_opts,
    parse_security_opts_with, parse_ulimit, parse_user, UserSpec,
};
pub use mounts::{parse_mount, parse_tmpfs, parse_volume};
pub use time::{parse_duration, parse_signal};
