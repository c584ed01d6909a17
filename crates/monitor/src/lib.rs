//! berth's per-container monitor (conmon-like, in-process with berth's runtime).
//!
//! The engine prepares a container directory with an OCI bundle and `monitor.json`
//! ([`MonitorConfig`]), then calls [`spawn`]: a detached `berth __monitor <ctr_dir>` process
//! creates the container (its init is the monitor's child), holds its stdio or pty, writes
//! CRI logs with rotation ([`log_writer`], read back by [`read_logs`]), serves the control
//! socket ([`proto`], [`AttachClient`]), records every transition in `status.json`
//! ([`Status`]), restarts per policy, runs healthchecks, and when finished execs `on_exit`.

#![forbid(unsafe_code)]

pub mod client;
pub mod config;
pub mod error;
mod events;
pub mod log_reader;
pub mod log_writer;
mod monitor;
pub mod proto;
pub mod rootfs;
pub mod spawn;
pub mod status;
pub use berth_runtime::time;

pub use client::{AttachClient, RelayEnd, DEFAULT_DETACH_KEYS};
pub use config::{Health, LogConfig, MonitorConfig, RestartPolicy};
pub use error::{Error, Result};
pub use log_reader::{read_logs, LogsOptions};
pub use monitor::{health_status, should_restart, Backoff};
pub use proto::Hello;
pub use spawn::{spawn, Spawned};
pub use status::{read_status, HealthResult, HealthState, Status};

/// The file the engine's `stop` creates in the container directory so that the monitor does
/// not restart the container after this exit.
pub const STOP_REQUESTED: &str = "stop-requested";

/// Entry point of `berth __monitor <ctr_dir>`; returns the process exit code.
pub fn main_entry(args: &[String]) -> i32 {
    monitor::entry(args)
}
