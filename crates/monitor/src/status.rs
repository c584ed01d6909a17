//! `<ctr_dir>/status.json`: the container's lifecycle as the monitor last saw it, rewritten
//! atomically on every transition; the engine reads it for `ps` and `inspect`.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};

/// The file name of the status inside the container directory.
pub const STATUS_FILE: &str = "status.json";

/// How many healthcheck results status.json keeps.
pub const HEALTH_LOG_LEN: usize = 5;

/// The container's state as the monitor records it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Status {
    /// `created`, `running`, `restarting` or `exited`.
    pub status: String,
    /// The init's pid (0 when not running).
    pub pid: i32,
    /// The monitor's pid.
    pub monitor_pid: i32,
    /// When the container last started (RFC 3339 nano), empty before the first start.
    #[serde(default)]
    pub started_at: String,
    /// When the container last exited, empty before the first exit.
    #[serde(default)]
    pub finished_at: String,
    /// The last exit code (128 + signal when killed by a signal).
    #[serde(default)]
    pub exit_code: i32,
    /// Whether the last exit was caused by the memory cgroup's OOM killer.
    #[serde(default)]
    pub oom_killed: bool,
    /// How many times the monitor restarted the container.
    #[serde(default)]
    pub restart_count: u32,
    /// Healthcheck state, when the container has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<HealthState>,
}

/// The status values.
pub mod state {
    /// Created, not started.
    pub const CREATED: &str = "created";
    /// The init is running.
    pub const RUNNING: &str = "running";
    /// Exited; waiting to be restarted.
    pub const RESTARTING: &str = "restarting";
    /// Exited for good (the monitor is finished).
    pub const EXITED: &str = "exited";
}

/// Healthcheck state (Docker's `State.Health`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct HealthState {
    /// `starting`, `healthy` or `unhealthy`.
    pub status: String,
    /// Consecutive failed checks.
    pub failing_streak: u32,
    /// The last few results, oldest first.
    pub log: Vec<HealthResult>,
}

/// One healthcheck run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct HealthResult {
    /// When it started (RFC 3339 nano).
    pub start: String,
    /// When it ended.
    pub end: String,
    /// Its exit code (-1 when it timed out or could not run).
    pub exit_code: i32,
    /// Its combined output (at most 4 KiB).
    pub output: String,
}

/// Reads `<ctr_dir>/status.json`; None when it does not exist (yet).
pub fn read_status(ctr_dir: &Path) -> Result<Option<Status>> {
    let path = ctr_dir.join(STATUS_FILE);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).ctx(|| format!("read {}", path.display())),
    };
    serde_json::from_slice(&text)
        .map(Some)
        .map_err(|e| Error::Json {
            path,
            msg: e.to_string(),
        })
}

/// Writes `<ctr_dir>/status.json` atomically.
pub fn write_status(ctr_dir: &Path, st: &Status) -> Result<()> {
    let path = ctr_dir.join(STATUS_FILE);
    let text = serde_json::to_vec(st).map_err(|e| Error::Json {
        path: path.clone(),
        msg: e.to_string(),
    })?;
    write_atomic(&path, &text)
}

/// Writes `data` to a temporary file next to `path` and renames it over `path`.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp).ctx(|| format!("create {}", tmp.display()))?;
    f.write_all(data)
        .ctx(|| format!("write {}", tmp.display()))?;
    drop(f);
    std::fs::rename(&tmp, path).ctx(|| format!("rename {} to {}", tmp.display(), path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_and_read() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(read_status(d.path()).unwrap(), None);
        let st = Status {
            status: state::EXITED.into(),
            exit_code: 3,
            restart_count: 2,
            ..Default::default()
        };
        write_status(d.path(), &st).unwrap();
        assert_eq!(read_status(d.path()).unwrap(), Some(st));
    }
}
