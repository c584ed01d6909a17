//! A container's live state: the monitor's status file, cross-checked against the processes
//! themselves so that `ps` and `inspect` tell the truth even when a monitor died.

use std::path::Path;

use berth_monitor::status::{read_status, HealthState, Status, STATUS_FILE};
use berth_runtime::state::{self as rt_state, Status as RtStatus};

use crate::containers::record::ContainerRecord;
use crate::engine::Engine;

/// What state a container is in now (Docker's `State` object).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct State {
    /// created, running, paused, restarting, exited, dead.
    pub status: String,
    /// The init's host pid (0 when not running).
    pub pid: i32,
    /// The monitor's pid (0 when none).
    pub monitor_pid: i32,
    /// Last exit code.
    pub exit_code: i32,
    /// The memory cgroup killed it.
    pub oom_killed: bool,
    /// When it last started.
    pub started_at: String,
    /// When it last exited.
    pub finished_at: String,
    /// Restarts by the policy.
    pub restart_count: u32,
    /// Healthcheck state.
    pub health: Option<HealthState>,
    /// Why the state is not what the monitor last wrote, if so.
    pub error: String,
}

impl State {
    /// A container never started (no status file).
    pub fn created() -> State {
        State {
            status: "created".into(),
            ..Default::default()
        }
    }

    /// Running or paused (the process exists).
    pub fn is_running(&self) -> bool {
        matches!(self.status.as_str(), "running" | "paused")
    }

    /// Created, with its monitor up and waiting for a start (attach or `run` spawned it).
    pub fn awaits_start(&self) -> bool {
        self.status == "created" && self.monitor_pid > 0 && alive(self.monitor_pid)
    }

    /// Exited as its monitor recorded it at the end: the state stays so until the next
    /// start (what `listing` may keep). Not so for a state made up for a dead monitor,
    /// which `system check` may still rewrite.
    pub fn is_final(&self) -> bool {
        self.status == "exited" && self.error.is_empty()
    }

    /// Stopped for good, as `wait` means it: not running, not about to restart, and not a
    /// created container whose monitor waits for its start.
    pub fn is_stopped(&self) -> bool {
        !self.is_running() && self.status != "restarting" && !self.awaits_start()
    }
}

/// Whether a process exists (it may be a zombie).
pub fn alive(pid: i32) -> bool {
    pid > 0 && nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
}

/// Whether `pid` is a berth monitor (guards against pid reuse).
fn is_monitor(pid: i32) -> bool {
    alive(pid)
        && std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|c| c.windows(9).any(|w| w == b"__monitor"))
            .unwrap_or(false)
}

impl Engine {
    /// The live state of container `r`.
    pub fn state(&self, r: &ContainerRecord) -> State {
        let dir = self.paths.container(&r.id);
        state_of(&dir, &self.paths.runtime(), &r.id)
    }
}

/// The live state of the container in `ctr_dir` whose runtime state is under `runtime_root`.
pub fn state_of(ctr_dir: &Path, runtime_root: &Path, id: &str) -> State {
    state_from(
        read_status(ctr_dir).map_err(|e| e.to_string()),
        runtime_root,
        id,
    )
}

/// Reads the status files of many containers (a listing): the containers directory is
/// opened once and each file is opened relative to it, so each read resolves two path
/// components rather than the whole path, and a missing file (a container never started)
/// costs one failed open.
pub struct StatusReader {
    dir: std::path::PathBuf,
    fd: Option<std::os::fd::OwnedFd>,
}

impl StatusReader {
    /// A reader for the container directories under `containers_dir`.
    pub fn new(containers_dir: &Path) -> StatusReader {
        use rustix::fs::{open, Mode, OFlags};
        let fd = open(
            containers_dir,
            OFlags::DIRECTORY | OFlags::PATH | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ok();
        StatusReader {
            dir: containers_dir.to_path_buf(),
            fd,
        }
    }

    /// Container `id`'s status file, as `read_status` reads it (None when there is none).
    fn read(&self, id: &str) -> std::result::Result<Option<Status>, String> {
        use rustix::fs::{openat, Mode, OFlags};
        let Some(fd) = &self.fd else {
            return read_status(&self.dir.join(id)).map_err(|e| e.to_string());
        };
        let path = || self.dir.join(id).join(STATUS_FILE);
        let rel = format!("{id}/{STATUS_FILE}");
        let file = match openat(
            fd,
            rel.as_str(),
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(f) => f,
            Err(rustix::io::Errno::NOENT) => return Ok(None),
            Err(e) => return Err(format!("read {}: {e}", path().display())),
        };
        // Plain reads into one buffer: `File::read_to_end` adds a statx and an lseek per
        // file to size it, a third of the syscalls of `ps` at 1,000 containers.
        let mut text = Vec::new();
        let mut buf = [0u8; 2048];
        loop {
            match rustix::io::read(&file, &mut buf) {
                Ok(0) => break,
                Ok(n) => text.extend_from_slice(&buf[..n]),
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(format!("read {}: {e}", path().display())),
            }
        }
        serde_json::from_slice(&text)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path().display()))
    }

    /// The live state of container `id` whose runtime state is under `runtime_root` (the
    /// same as `state_of`).
    pub fn state(&self, runtime_root: &Path, id: &str) -> State {
        state_from(self.read(id), runtime_root, id)
    }
}

/// The live state from a container's status file as read (`Err` says why it could not be).
fn state_from(
    status: std::result::Result<Option<Status>, String>,
    runtime_root: &Path,
    id: &str,
) -> State {
    let st = match status {
        Ok(Some(s)) => s,
        Ok(None) => return State::created(),
        Err(e) => {
            return State {
                status: "dead".into(),
                error: e,
                ..Default::default()
            }
        }
    };
    let mut s = State {
        status: st.status.clone(),
        pid: st.pid,
        monitor_pid: st.monitor_pid,
        exit_code: st.exit_code,
        oom_killed: st.oom_killed,
        started_at: st.started_at,
        finished_at: st.finished_at,
        restart_count: st.restart_count,
        health: st.health,
        error: String::new(),
    };
    match s.status.as_str() {
        // Only a running container needs the runtime's view (paused, or gone): `ps` reads
        // one status file per stopped container and nothing more.
        "running" => match rt_state::load(runtime_root, id)
            .ok()
            .map(|rs| rs.status(&rt_state::dir(runtime_root, id)))
        {
            Some(RtStatus::Paused) => s.status = "paused".into(),
            Some(RtStatus::Running) => {}
            _ if alive(s.pid) => {}
            _ => {
                // The init is gone; if the monitor is gone too it never recorded the exit.
                if !is_monitor(s.monitor_pid) {
                    s.status = "exited".into();
                    s.exit_code = 255;
                    s.pid = 0;
                    s.error = "the container's monitor died; its exit code is unknown".into();
                }
            }
        },
        "created" | "restarting" if !is_monitor(s.monitor_pid) => {
            s.status = "exited".into();
            s.pid = 0;
            if s.error.is_empty() {
                s.error = "the container's monitor died".into();
            }
        }
        _ => {}
    }
    if !s.is_running() {
        s.pid = 0;
    }
    s
}

/// Waits until process `pid` has exited (or become a zombie), at most `limit`; true when it
/// is gone. Uses a pidfd, so there is no polling delay.
pub fn wait_pid_exit(pid: i32, limit: std::time::Duration) -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let Some(p) = rustix::process::Pid::from_raw(pid) else {
        return true;
    };
    let Ok(fd) = rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty()) else {
        return true; // already gone
    };
    let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
    let timeout = PollTimeout::try_from(limit).unwrap_or(PollTimeout::MAX);
    matches!(poll(&mut fds, timeout), Ok(n) if n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a state shows, for comparing the two readers.
    fn shown(s: &State) -> (String, i32, i32, String, String) {
        (
            s.status.clone(),
            s.pid,
            s.exit_code,
            s.finished_at.clone(),
            s.error.clone(),
        )
    }

    #[test]
    fn status_reader_agrees_with_state_of() {
        let root = tempfile::tempdir().unwrap();
        let ctrs = root.path().join("containers");
        let runtime = root.path().join("runtime");
        let exited = berth_monitor::status::Status {
            status: "exited".into(),
            exit_code: 3,
            finished_at: "2026-01-01T00:00:00Z".into(),
            ..Default::default()
        };
        for (id, file) in [
            ("never-started", None),
            ("exited", Some(serde_json::to_string(&exited).unwrap())),
            ("corrupt", Some("{not json".to_string())),
            // The monitor (pid 0: none) is gone: exited, with the reason.
            (
                "orphan",
                Some(r#"{"status":"created","pid":0,"monitor_pid":0}"#.to_string()),
            ),
        ] {
            let dir = ctrs.join(id);
            std::fs::create_dir_all(&dir).unwrap();
            if let Some(f) = file {
                std::fs::write(dir.join(STATUS_FILE), f).unwrap();
            }
        }
        let reader = StatusReader::new(&ctrs);
        let want = [
            ("never-started", "created"),
            ("exited", "exited"),
            ("corrupt", "dead"),
            ("orphan", "exited"),
            ("no-dir", "created"),
        ];
        for (id, status) in want {
            let a = reader.state(&runtime, id);
            let b = state_of(&ctrs.join(id), &runtime, id);
            assert_eq!(shown(&a), shown(&b), "{id}");
            assert_eq!(a.status, status, "{id}");
        }
        assert_eq!(reader.state(&runtime, "exited").exit_code, 3);
        assert!(reader
            .state(&runtime, "corrupt")
            .error
            .contains("status.json"));
        // Without the containers directory it falls back to whole paths.
        let missing = StatusReader::new(&root.path().join("nowhere"));
        assert_eq!(missing.state(&runtime, "x").status, "created");
    }
}
