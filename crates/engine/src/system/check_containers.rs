//! The container half of `system check`: directories and records that lost each other, dead
//! monitors, stale runtime state and control sockets.

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use berth_monitor::status::{read_status, write_status, Status};

use crate::containers::record::{self, ContainerRecord};
use crate::containers::rootfs::unmount_rootfs;
use crate::engine::Engine;
use crate::error::{io_err, Result};
use crate::system::check::{Findings, GRACE};
use crate::system::check_store::remove_path;
use crate::system::util::{is_monitor, is_recent, process_running};

/// Exit code recorded when a monitor died and the real one is unknown (as `state` reports).
const UNKNOWN_EXIT: i32 = 255;

impl Engine {
    /// Container checks.
    pub(crate) fn check_containers(&self, f: &mut Findings) -> Result<()> {
        let records = record::list(&self.db)?;
        let ids: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
        for dir in list_dir(&self.paths.containers())? {
            let Some(id) = dir.file_name().and_then(|n| n.to_str()).map(String::from) else {
                continue;
            };
            if ids.contains(id.as_str()) || is_recent(&dir, GRACE) {
                continue;
            }
            f.fixable(
                "container dir without record",
                dir.display().to_string(),
                "no container has this ID",
                || self.remove_orphan_dir(&id, &dir),
            );
        }
        for r in &records {
            let dir = self.paths.container(&r.id);
            if !dir.exists() {
                f.fixable(
                    "container record without dir",
                    r.id.clone(),
                    format!("container {} has no directory; the record goes", r.name),
                    || self.forget_container(r),
                );
                continue;
            }
            self.check_monitor(f, r, &dir);
        }
        for dir in list_dir(&self.paths.runtime())? {
            // Dot entries are the runtime's own (its seccomp cache).
            let Some(id) = dir
                .file_name()
                .and_then(|n| n.to_str())
                .filter(|n| !n.starts_with('.'))
                .map(String::from)
            else {
                continue;
            };
            let stale = match records.iter().find(|r| r.id == id) {
                None => Some("no container has this ID"),
                Some(r) => match read_status(&self.paths.container(&r.id)) {
                    Ok(Some(st)) if !is_monitor(st.monitor_pid) && !process_running(st.pid) => {
                        Some("the container's monitor and init are gone")
                    }
                    _ => None,
                },
            };
            if let Some(why) = stale {
                f.fixable(
                    "stale runtime state",
                    dir.display().to_string(),
                    why,
                    || {
                        Ok(berth_runtime::ops::delete::delete(
                            &self.runtime(),
                            &id,
                            true,
                        )?)
                    },
                );
            }
        }
        for sock in list_dir(&self.paths.sockets())? {
            let Some(name) = sock.file_name().and_then(|n| n.to_str()).map(String::from) else {
                continue;
            };
            let owner = records.iter().find(|r| r.id.starts_with(&name));
            let stale = match owner {
                None => Some("no container has this ID"),
                Some(r) => match read_status(&self.paths.container(&r.id)) {
                    Ok(Some(st)) if !is_monitor(st.monitor_pid) => Some("its monitor is gone"),
                    _ => None,
                },
            };
            if let Some(why) = stale {
                let p = sock.clone();
                f.fixable(
                    "stale control socket",
                    sock.display().to_string(),
                    why,
                    move || remove_path(&p),
                );
            }
        }
        for dir in list_dir(&self.paths.run.join("exec"))? {
            let name = dir
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let owner = name.split('-').next().and_then(|p| p.parse::<i32>().ok());
            if !owner.is_some_and(process_running) {
                let p = dir.clone();
                f.fixable(
                    "stale exec work dir",
                    dir.display().to_string(),
                    "left by an `exec` that was killed",
                    move || remove_path(&p),
                );
            }
        }
        Ok(())
    }

    /// A container whose status says its monitor supervises it, but the monitor is gone.
    fn check_monitor(&self, f: &mut Findings, r: &ContainerRecord, dir: &Path) {
        let st = match read_status(dir) {
            Ok(Some(st)) => st,
            Ok(None) => return,
            Err(e) => {
                f.fixable(
                    "unreadable status",
                    r.id.clone(),
                    format!("container {}: {e}", r.name),
                    || self.record_exit(r, Status::default(), UNKNOWN_EXIT),
                );
                return;
            }
        };
        if !matches!(st.status.as_str(), "running" | "created" | "restarting")
            || is_monitor(st.monitor_pid)
        {
            return;
        }
        if st.status == "created" && st.monitor_pid <= 0 {
            return;
        }
        if st.pid > 0 && process_running(st.pid) && self.state(r).is_running() {
            let detail = format!("container {} runs without its monitor (pid {} gone): no logs, no exit code; it is killed", r.name, st.monitor_pid);
            f.fixable("unsupervised container", r.id.clone(), detail, || {
                let _ = berth_runtime::ops::kill::kill(
                    &self.runtime(),
                    &r.id,
                    nix::sys::signal::Signal::SIGKILL,
                    true,
                );
                let deadline = Instant::now() + Duration::from_secs(5);
                while process_running(st.pid) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
                self.record_exit(r, st.clone(), 137)
            });
        } else {
            let detail = format!("container {}: monitor (pid {}) died while the status said {}; recorded as exited ({UNKNOWN_EXIT})", r.name, st.monitor_pid, st.status);
            f.fixable("dead monitor", r.id.clone(), detail, || {
                self.record_exit(r, st.clone(), UNKNOWN_EXIT)
            });
        }
    }

    /// Records a container as exited with `code` (its monitor cannot), drops its runtime
    /// state, socket and rootfs mount, and removes it if it was `--rm`.
    fn record_exit(&self, r: &ContainerRecord, mut st: Status, code: i32) -> Result<()> {
        let _ = berth_runtime::ops::delete::delete(&self.runtime(), &r.id, true);
        st.status = "exited".into();
        st.pid = 0;
        st.exit_code = code;
        st.finished_at = berth_runtime::state::now_rfc3339();
        let dir = self.paths.container(&r.id);
        write_status(&dir, &st)?;
        let _ = fs::remove_file(self.paths.socket(&r.id));
        // What the dead monitor would have done on the final exit.
        let mutex = crate::containers::rootfs::RootfsMutex::lock(&dir).map_err(
            crate::error::io_err("lock", dir.join(crate::containers::rootfs::MUTEX_FILE)),
        )?;
        self.unmount_if_unused(r, &mutex)?;
        drop(mutex);
        self.container_event_with(r, "die", &[("exitCode", &code.to_string())]);
        if r.auto_remove {
            self.remove_container(r, true, true)?;
        }
        Ok(())
    }

    /// Removes a container directory no record owns: its monitor, processes, mount, socket.
    fn remove_orphan_dir(&self, id: &str, dir: &Path) -> Result<()> {
        if let Ok(Some(st)) = read_status(dir) {
            if is_monitor(st.monitor_pid) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(st.monitor_pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
        let _ = berth_runtime::ops::delete::delete(&self.runtime(), id, true);
        unmount_rootfs(dir)?;
        if id.len() >= 12 {
            let _ = fs::remove_file(self.paths.socket(id));
        }
        remove_path(dir)
    }

    /// Drops the record (and runtime state, socket) of a container whose directory is gone.
    fn forget_container(&self, r: &ContainerRecord) -> Result<()> {
        let _ = berth_runtime::ops::delete::delete(&self.runtime(), &r.id, true);
        let _ = fs::remove_file(self.paths.socket(&r.id));
        record::delete(&self.db, &r.id)?;
        self.container_event(r, "destroy");
        Ok(())
    }
}

/// The entries of `dir` (none when it does not exist), sorted.
fn list_dir(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    match fs::read_dir(dir) {
        Ok(entries) => {
            for e in entries {
                out.push(e.map_err(io_err("list", dir))?.path());
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err("list", dir)(e)),
    }
    out.sort();
    Ok(out)
}
