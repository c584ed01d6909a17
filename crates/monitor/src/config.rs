//! `<ctr_dir>/monitor.json`: what the engine tells the monitor to supervise.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};

/// The file name of the monitor's configuration inside the container directory.
pub const CONFIG_FILE: &str = "monitor.json";

/// Everything the monitor needs to run one container. Paths should be absolute; relative
/// ones are taken relative to the container directory (the monitor's working directory).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MonitorConfig {
    /// The runtime's container id.
    pub id: String,
    /// The runtime's state root.
    pub runtime_root: PathBuf,
    /// The OCI bundle (config.json + mounted rootfs).
    pub bundle: PathBuf,
    /// The container directory (holds monitor.json, status.json, stop-requested).
    pub ctr_dir: PathBuf,
    /// The control socket path (short: sun_path holds 108 bytes).
    pub socket: PathBuf,
    /// Give the container a pty (the bundle's process.terminal must be true).
    #[serde(default)]
    pub tty: bool,
    /// Keep the container's stdin open (`-i`): a pipe fed by attached clients.
    #[serde(default)]
    pub stdin: bool,
    /// Where and how to write the container's output.
    pub log: LogConfig,
    /// What to do when the container exits.
    #[serde(default)]
    pub restart: RestartPolicy,
    /// The healthcheck, if any.
    #[serde(default)]
    pub healthcheck: Option<Health>,
    /// A command to exec when the monitor is finished (e.g. `berth rm` for `--rm -d`).
    #[serde(default)]
    pub on_exit: Option<Vec<String>>,
    /// berth's own binary, for re-executing (healthchecks run `berth runtime exec`).
    pub berth_exe: PathBuf,
    /// Unmount the bundle's rootfs from the host when the container is finished for good
    /// and nothing else uses it (see [`crate::rootfs`]).
    #[serde(default)]
    pub unmount_rootfs: bool,
}

/// The container log file and its rotation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogConfig {
    /// The current log file; rotated files are `path.1`, `path.2`, ...
    pub path: PathBuf,
    /// Rotate when the file would exceed this many bytes.
    #[serde(default = "default_max_size")]
    pub max_size: u64,
    /// How many files to keep in all (the current one included).
    #[serde(default = "default_max_files")]
    pub max_files: u32,
}

fn default_max_size() -> u64 {
    10 << 20
}

fn default_max_files() -> u32 {
    3
}

/// Docker's restart policies.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    /// Never restart.
    #[default]
    No,
    /// Restart after a non-zero exit, at most `max_retries` times (0: unlimited).
    OnFailure {
        /// Maximum number of restarts; 0 means no limit.
        #[serde(default)]
        max_retries: u32,
    },
    /// Always restart (unless stopped by the engine).
    Always,
    /// Like `Always`; the engine also skips it at boot when it was stopped.
    UnlessStopped,
}

/// A Docker healthcheck.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Health {
    /// `["CMD", prog, args..]` or `["CMD-SHELL", "command"]`.
    pub test: Vec<String>,
    /// Time between checks (Docker default 30 s).
    pub interval_ns: u64,
    /// How long one check may take (Docker default 30 s).
    pub timeout_ns: u64,
    /// Failures during this time after start do not count.
    #[serde(default)]
    pub start_period_ns: u64,
    /// Consecutive failures that make the container unhealthy (Docker default 3).
    pub retries: u32,
}

impl Health {
    /// The argv to run inside the container, or None when the test is `NONE` or empty.
    pub fn argv(&self) -> Option<Vec<String>> {
        match self.test.first().map(String::as_str) {
            Some("CMD") if self.test.len() > 1 => Some(self.test[1..].to_vec()),
            Some("CMD-SHELL") if self.test.len() > 1 => Some(vec![
                "/bin/sh".into(),
                "-c".into(),
                self.test[1..].join(" "),
            ]),
            Some("NONE") | None => None,
            Some(_) => Some(self.test.clone()),
        }
    }
}

impl MonitorConfig {
    /// Reads `<ctr_dir>/monitor.json`.
    pub fn load(ctr_dir: &Path) -> Result<Self> {
        let path = ctr_dir.join(CONFIG_FILE);
        let text = std::fs::read(&path).ctx(|| format!("read {}", path.display()))?;
        serde_json::from_slice(&text).map_err(|e| Error::Json {
            path,
            msg: e.to_string(),
        })
    }

    /// Writes `<ctr_dir>/monitor.json` atomically (for the engine and tests).
    pub fn save(&self) -> Result<()> {
        let path = self.ctr_dir.join(CONFIG_FILE);
        let text = serde_json::to_vec_pretty(self).map_err(|e| Error::Json {
            path: path.clone(),
            msg: e.to_string(),
        })?;
        crate::status::write_atomic(&path, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_json() {
        let p: RestartPolicy = serde_json::from_str(r#"{"on-failure":{"max_retries":2}}"#).unwrap();
        assert_eq!(p, RestartPolicy::OnFailure { max_retries: 2 });
        let p: RestartPolicy = serde_json::from_str(r#""unless-stopped""#).unwrap();
        assert_eq!(p, RestartPolicy::UnlessStopped);
    }

    #[test]
    fn health_argv() {
        let h = Health {
            test: vec!["CMD-SHELL".into(), "exit 1".into()],
            interval_ns: 1,
            timeout_ns: 1,
            start_period_ns: 0,
            retries: 1,
        };
        assert_eq!(h.argv().unwrap(), ["/bin/sh", "-c", "exit 1"]);
    }
}
