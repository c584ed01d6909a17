//! OCI runtime spec generation from an image configuration and `run` options.
//!
//! Everything here is pure (apart from reading the image's /etc/passwd and /etc/group in
//! [`users`], env files and seccomp profile files, and stat-ing `--device` paths in
//! [`devices`]): the engine parses the CLI's flag values with [`parse`] into [`RunOptions`],
//! resolves the user ([`users::resolve_user`]), volumes and bind sources, writes the files of
//! [`files`] and then calls [`build_spec`], whose result is the bundle's `config.json`.

mod build;
mod build_mounts;
mod caps;
pub mod devices;
mod env;
mod error;
pub mod files;
mod options;
pub mod parse;
pub mod users;

pub use build::{
    build_spec, process_args, EtcFiles, ResolvedMount, RlimitHook, SpecInput, MASKED_PATHS,
    READONLY_PATHS,
};
pub use caps::{capability_set, ALL_CAPS, DEFAULT_CAPS};
pub use env::process_env;
pub use error::{Error, Result};
pub use options::{
    DeviceMapping, HealthOptions, HostAddr, HostEntry, LogOptions, MountKind, MountSpec,
    NetworkMode, Propagation, RestartPolicy, RunOptions, Seccomp, SecurityOpts, Ulimit,
};
pub use users::ExecUser;

#[cfg(test)]
mod build_tests;
