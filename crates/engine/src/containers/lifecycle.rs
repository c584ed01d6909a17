//! Starting, stopping, signalling and waiting for containers.

use std::fs;
use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use berth_monitor::client::AttachClient;
use berth_monitor::proto::Hello;
use berth_monitor::spawn::{spawn, Spawned};

use crate::containers::record::ContainerRecord;
use crate::containers::rootfs::{RootfsMutex, MUTEX_FILE};
use crate::engine::Engine;
use crate::error::{io_err, Error, Result};

/// The file whose presence tells the monitor not to apply the restart policy.
pub use berth_monitor::STOP_REQUESTED;

/// How a `stop` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// It was not running.
    NotRunning,
    /// It exited after the stop signal.
    Gracefully,
    /// It ignored the stop signal and was killed after the timeout.
    Killed,
}

impl Engine {
    /// Spawns the container's monitor, which creates the container (not yet started).
    /// Maps the runtime's "not found"/"permission denied" exec errors to 127/126.
    ///
    /// The rootfs is mounted here, under its mutex, which is held until the monitor has
    /// created the container and claimed the mount (it gives the claim up when the
    /// container is finished for good): a `cp` finishing meanwhile cannot unmount it.
    pub fn spawn_monitor(&self, r: &ContainerRecord) -> Result<Spawned> {
        let dir = self.paths.container(&r.id);
        let mutex = RootfsMutex::lock(&dir).map_err(io_err("lock", dir.join(MUTEX_FILE)))?;
        let spawned = self.mount_and_spawn(r, &dir);
        if spawned.is_err() {
            if let Err(e) = self.unmount_if_unused(r, &mutex) {
                eprintln!("warning: container {}: {e}", r.name);
            }
        }
        spawned
    }

    fn mount_and_spawn(&self, r: &ContainerRecord, dir: &Path) -> Result<Spawned> {
        self.mount_container_rootfs(r)?;
        let _ = fs::remove_file(dir.join(STOP_REQUESTED));
        let _ = fs::remove_file(dir.join(berth_monitor::status::STATUS_FILE));
        // After the old status is gone: a listing reading it now cannot keep it (listing).
        crate::containers::listing::starting(&self.db, &r.id)?;
        fs::create_dir_all(self.paths.sockets()).map_err(io_err("create", self.paths.sockets()))?;
        // A previous run's runtime state (the monitor normally deletes it).
        let _ = berth_runtime::ops::delete::delete(&self.runtime(), &r.id, true);
        self.connect_container(r)?;
        spawn(&self.exe(), dir).map_err(|e| classify_start_error(e.to_string()))
    }

    /// The containers `start --all` starts: every one not running whose restart policy is
    /// one of `policies` (all when empty); when filtering by policy, an `unless-stopped`
    /// container a user stopped stays stopped. After a reboot, `--filter restart-policy=always --filter
    /// restart-policy=unless-stopped` brings back what Docker's daemon would.
    pub fn containers_to_start(&self, policies: &[String]) -> Result<Vec<ContainerRecord>> {
        let mut out = Vec::new();
        for (r, s) in self.containers()? {
            if s.is_running() {
                continue;
            }
            let policy = r.host_config["RestartPolicy"]["Name"]
                .as_str()
                .unwrap_or("no")
                .to_string();
            if !policies.is_empty() && !policies.contains(&policy) {
                continue;
            }
            let stopped_by_user = self.paths.container(&r.id).join(STOP_REQUESTED).exists();
            if !policies.is_empty() && policy == "unless-stopped" && stopped_by_user {
                continue;
            }
            out.push(r);
        }
        out.reverse();
        Ok(out)
    }

    /// Starts a created or stopped container in the background. When its monitor is already
    /// up with the container created and waiting for a start (an attach spawned it first, as
    /// `docker run` does through the API), that monitor is told to start it.
    pub fn start_container(&self, r: &ContainerRecord) -> Result<()> {
        let s = self.state(r);
        if s.is_running() {
            return Ok(());
        }
        if !s.awaits_start() {
            self.spawn_monitor(r)?;
        }
        let mut c = AttachClient::connect(&self.paths.socket(&r.id))?;
        c.hello(&Hello {
            start: true,
            ..Default::default()
        })?;
        // Wait until the monitor reports the container running (or already exited).
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let s = self.state(r);
            if s.status != "created" {
                break;
            }
            sleep(Duration::from_millis(1));
        }
        Ok(())
    }

    /// Sends `signal` to the container's init.
    pub fn kill_container(&self, r: &ContainerRecord, signal: &str) -> Result<()> {
        let s = self.state(r);
        if !s.is_running() {
            return Err(Error::Conflict(format!(
                "cannot kill container: {}: container {} is not running",
                r.name, r.id
            )));
        }
        let sig = berth_runtime::ops::kill::parse_signal(signal)?;
        berth_runtime::ops::kill::kill(&self.runtime(), &r.id, sig, false)?;
        self.container_event_with(r, "kill", &[("signal", &(sig as i32).to_string())]);
        Ok(())
    }

    /// Stops a container: the stop signal, then SIGKILL after `timeout` seconds (a negative
    /// timeout waits forever). The restart policy does not bring it back.
    pub fn stop_container(
        &self,
        r: &ContainerRecord,
        timeout: Option<i64>,
        signal: Option<&str>,
    ) -> Result<Stopped> {
        let dir = self.paths.container(&r.id);
        fs::write(dir.join(STOP_REQUESTED), b"")
            .map_err(io_err("write", dir.join(STOP_REQUESTED)))?;
        let s = self.state(r);
        if !s.is_running() {
            return Ok(Stopped::NotRunning);
        }
        let g = self.runtime();
        let sig = berth_runtime::ops::kill::parse_signal(signal.unwrap_or(&r.stop_signal))?;
        if s.status == "paused" {
            let _ = berth_runtime::ops::pause::set_paused(&g, &r.id, false);
        }
        let _ = berth_runtime::ops::kill::kill(&g, &r.id, sig, false);
        self.container_event_with(r, "kill", &[("signal", &(sig as i32).to_string())]);
        let timeout = timeout.unwrap_or(r.stop_timeout);
        let limit = (timeout >= 0).then(|| Duration::from_secs(timeout as u64));
        if self.wait_stopped(r, s.pid, limit) {
            self.container_event(r, "stop");
            return Ok(Stopped::Gracefully);
        }
        let _ = berth_runtime::ops::kill::kill(&g, &r.id, nix::sys::signal::Signal::SIGKILL, true);
        self.wait_stopped(r, s.pid, None);
        self.container_event(r, "stop");
        Ok(Stopped::Killed)
    }

    /// Waits until the init `pid` is gone and the monitor recorded the exit; false on timeout.
    fn wait_stopped(&self, r: &ContainerRecord, pid: i32, limit: Option<Duration>) -> bool {
        let start = Instant::now();
        if !crate::containers::state::wait_pid_exit(
            pid,
            limit.unwrap_or(Duration::from_secs(u32::MAX as u64)),
        ) {
            return false;
        }
        // The monitor records the exit right after; give it a moment.
        let mut delay = Duration::from_micros(200);
        loop {
            if !self.state(r).is_running()
                || start.elapsed()
                    > limit
                        .unwrap_or(Duration::MAX)
                        .saturating_add(Duration::from_secs(2))
            {
                return true;
            }
            sleep(delay);
            delay = (delay * 2).min(Duration::from_millis(20));
        }
    }

    /// Blocks until the container is no longer running (nor restarting); returns its exit code.
    pub fn wait_container(&self, r: &ContainerRecord) -> Result<i32> {
        let mut delay = Duration::from_micros(500);
        loop {
            let s = self.state(r);
            if s.is_stopped() {
                return Ok(s.exit_code);
            }
            sleep(delay);
            delay = (delay * 2).min(Duration::from_millis(50));
        }
    }

    /// Freezes or thaws a running container.
    pub fn set_paused(&self, r: &ContainerRecord, paused: bool) -> Result<()> {
        let s = self.state(r);
        if !s.is_running() {
            return Err(Error::Conflict(format!(
                "Container {} is not running",
                r.id
            )));
        }
        if paused && s.status == "paused" {
            return Err(Error::Conflict(format!(
                "Container {} is already paused",
                r.id
            )));
        }
        if !paused && s.status != "paused" {
            return Err(Error::Conflict(format!("Container {} is not paused", r.id)));
        }
        berth_runtime::ops::pause::set_paused(&self.runtime(), &r.id, paused)?;
        self.container_event(r, if paused { "pause" } else { "unpause" });
        Ok(())
    }
}

/// Turns a runtime create error into Docker's exit-code classes.
fn classify_start_error(msg: String) -> Error {
    let lower = msg.to_ascii_lowercase();
    if lower.contains("not found") || lower.contains("no such file") {
        Error::CommandNotFound(msg)
    } else if lower.contains("permission denied") || lower.contains("is a directory") {
        Error::CannotExecute(msg)
    } else {
        Error::Invalid(msg)
    }
}
