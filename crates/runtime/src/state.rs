//! A container's persistent state under the runtime root: `<root>/<id>/state.json` (what a
//! later `start`, `state`, `kill` or `delete` needs) and `<root>/<id>/exec.fifo` (present
//! while the container is created but not started).
//!
//! The status is never stored: it is derived each time from the process (alive, and the same
//! process by its start time), the fifo and the freezer, so it stays true even when nothing
//! was there to record an exit.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use oci_spec::runtime::Hook;
use serde::{Deserialize, Serialize};

use crate::cgroups::{CgroupManager, CgroupPaths};
use crate::error::{Error, IoContext, Result};

/// The OCI version this runtime implements, reported in `state`.
pub const OCI_VERSION: &str = "1.2.0";

/// The file name of the exec fifo inside a container's state directory.
pub const EXEC_FIFO: &str = "exec.fifo";
/// The file in the state directory where the init writes why it failed after `create`
/// returned (a startContainer hook, seccomp, execve), for `start` to report.
pub const INIT_ERROR: &str = "init.error";

/// What the runtime records about one container.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContainerState {
    /// Container id.
    pub id: String,
    /// Absolute bundle path.
    pub bundle: PathBuf,
    /// Absolute rootfs path.
    pub rootfs: PathBuf,
    /// Host pid of the container's init (0 while creating).
    pub pid: i32,
    /// The init's start time in clock ticks (field 22 of /proc/pid/stat), to detect pid reuse.
    pub pid_start_time: u64,
    /// Creation time, RFC 3339.
    pub created: String,
    /// The container's annotations, echoed in `state`.
    #[serde(default)]
    pub annotations: HashMap<String, String>,
    /// The container's cgroup.
    pub cgroup: CgroupPaths,
    /// poststop hooks, kept so `delete` can run them even if the bundle is gone.
    #[serde(default)]
    pub poststop: Vec<Hook>,
    /// poststart hooks, run by `start`.
    #[serde(default)]
    pub poststart: Vec<Hook>,
    /// Uid of the user who created the container.
    #[serde(default)]
    pub owner: u32,
    /// Whether the container has its own pid namespace (if not, `delete` must kill every
    /// process in its cgroup).
    #[serde(default)]
    pub own_pid_namespace: bool,
}

/// A container's lifecycle status, as the OCI runtime specification names them
/// (`paused` is runc's addition).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Being created: the state directory exists but init is not ready.
    Creating,
    /// Created and waiting for `start`.
    Created,
    /// The user process runs.
    Running,
    /// Frozen by `pause`.
    Paused,
    /// The process has exited.
    Stopped,
}

impl Status {
    /// The name used in `state` output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Creating => "creating",
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state document given to hooks and printed by `state` (runtime spec "State").
#[derive(Debug, Clone, Serialize)]
pub struct OciState<'a> {
    /// Spec version.
    #[serde(rename = "ociVersion")]
    pub oci_version: &'static str,
    /// Container id.
    pub id: &'a str,
    /// Status name.
    pub status: &'static str,
    /// Host pid of init (omitted when stopped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    /// Absolute bundle path.
    pub bundle: &'a Path,
    /// Annotations.
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    pub annotations: &'a HashMap<String, String>,
    /// runc's extra fields, which containerd reads.
    #[serde(rename = "rootfs")]
    pub rootfs: &'a Path,
    /// Creation time.
    pub created: &'a str,
    /// Owner name ("" like runc when the uid has no name).
    pub owner: String,
}

impl ContainerState {
    /// The OCI state document for `status`.
    pub fn oci(&self, status: Status) -> OciState<'_> {
        OciState {
            oci_version: OCI_VERSION,
            id: &self.id,
            status: status.as_str(),
            pid: (status != Status::Stopped && self.pid > 0).then_some(self.pid),
            bundle: &self.bundle,
            annotations: &self.annotations,
            rootfs: &self.rootfs,
            created: &self.created,
            owner: String::new(),
        }
    }

    /// Derives the current status (see the module documentation).
    pub fn status(&self, dir: &Path) -> Status {
        if self.pid <= 0 {
            return Status::Creating;
        }
        if !process_matches(self.pid, self.pid_start_time) {
            return Status::Stopped;
        }
        if dir.join(EXEC_FIFO).exists() {
            return Status::Created;
        }
        if CgroupManager::from_paths(self.cgroup.clone())
            .is_frozen()
            .unwrap_or(false)
        {
            return Status::Paused;
        }
        Status::Running
    }
}

/// Checks a container id: non-empty, no path separators, not `.`/`..`, and only the
/// characters runc accepts.
pub fn validate_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id != "."
        && id != ".."
        && id.len() <= 1024
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "invalid container id {id:?}: use letters, digits, '_', '+', '-' and '.'"
        )))
    }
}

/// The state directory of container `id` under `root`.
pub fn dir(root: &Path, id: &str) -> PathBuf {
    root.join(id)
}

/// Reads a container's state. `NotFound` if there is no such container.
pub fn load(root: &Path, id: &str) -> Result<ContainerState> {
    validate_id(id)?;
    let path = dir(root, id).join("state.json");
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| Error::Init(format!("corrupt state file {}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::NotFound(id.to_string())),
        Err(e) => Err(Error::Io {
            what: format!("read {}", path.display()),
            source: e,
        }),
    }
}

/// Writes a container's state atomically (temp file, fsync-free rename: the state root is on
/// tmpfs, and a torn write must never be visible).
pub fn save(root: &Path, state: &ContainerState) -> Result<()> {
    let d = dir(root, &state.id);
    let tmp = d.join("state.json.tmp");
    let path = d.join("state.json");
    let bytes = serde_json::to_vec(state).map_err(|e| Error::Init(e.to_string()))?;
    let mut f = fs::File::create(&tmp).ctx(|| format!("create {}", tmp.display()))?;
    f.write_all(&bytes)
        .ctx(|| format!("write {}", tmp.display()))?;
    fs::rename(&tmp, &path).ctx(|| format!("rename {}", path.display()))
}

/// Whether `pid` is alive (not a zombie) and started at `start_time`.
pub fn process_matches(pid: i32, start_time: u64) -> bool {
    match read_stat(pid) {
        Some((state, start)) => {
            state != 'Z' && state != 'X' && (start_time == 0 || start == start_time)
        }
        None => false,
    }
}

/// The start time (field 22 of /proc/pid/stat), if the process exists.
pub fn start_time(pid: i32) -> Option<u64> {
    read_stat(pid).map(|(_, s)| s)
}

/// Reads (state letter, start time) from /proc/pid/stat.
fn read_stat(pid: i32) -> Option<(char, u64)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    // After the state (field 3), start time is field 22: skip fields 4..=21 (18 fields).
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

/// The ids of every container under `root`, sorted.
pub fn list_ids(root: &Path) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    match fs::read_dir(root) {
        Ok(entries) => {
            for e in entries.flatten() {
                if let Some(name) = e.file_name().to_str() {
                    if e.path().join("state.json").exists() {
                        ids.push(name.to_string());
                    }
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(Error::Io {
                what: format!("list {}", root.display()),
                source: e,
            })
        }
    }
    ids.sort();
    Ok(ids)
}

/// The current time as RFC 3339 with nanoseconds, UTC (as runc prints `created`).
pub fn now_rfc3339() -> String {
    crate::time::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(validate_id("abc-1_2+x.y").is_ok());
        for bad in ["", ".", "..", "a/b", "a b", "../x"] {
            assert!(validate_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn now_is_rfc3339_nanos() {
        let t = now_rfc3339();
        assert!(
            t.len() == 30 && t.ends_with('Z') && crate::time::parse(&t).is_some(),
            "{t}"
        );
    }

    #[test]
    fn own_process_matches() {
        let pid = std::process::id() as i32;
        let st = start_time(pid).unwrap();
        assert!(process_matches(pid, st));
        assert!(!process_matches(pid, st + 1));
    }
}
