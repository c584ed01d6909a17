//! The container through the runtime library: create (the init becomes our child), start,
//! reap, OOM check, delete.

use berth_runtime::cgroups::CgroupPaths;
use berth_runtime::ops::create::{create, CreateOptions};
use berth_runtime::ops::{delete, start, Globals};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use super::stdio::ContainerIo;
use crate::config::MonitorConfig;
use crate::error::Result;

/// One created instance of the container.
pub struct Instance {
    /// The init's pid (our child).
    pub pid: i32,
    cgroup: CgroupPaths,
    oom_base: u64,
}

/// The runtime globals of `cfg`.
pub fn globals(cfg: &MonitorConfig) -> Globals {
    Globals {
        root: cfg.runtime_root.clone(),
    }
}

/// Runtime create with `io` as the container's stdio.
pub fn create_instance(cfg: &MonitorConfig, io: &mut ContainerIo) -> Result<Instance> {
    io.before_create()?;
    let o = CreateOptions {
        id: cfg.id.clone(),
        bundle: cfg.bundle.clone(),
        console_socket: io.console_socket(),
        ..Default::default()
    };
    let created = create(&globals(cfg), &o);
    let restored = io.after_create(created.is_ok());
    let created = created?;
    if let Err(e) = restored {
        let _ = delete::delete(&globals(cfg), &cfg.id, true);
        return Err(e);
    }
    let cgroup = created.state.cgroup.clone();
    Ok(Instance {
        pid: created.state.pid,
        oom_base: oom_kills(&cgroup),
        cgroup,
    })
}

/// Runtime start: releases the init to exec the program.
pub fn start_instance(cfg: &MonitorConfig) -> Result<()> {
    Ok(start::start(&globals(cfg), &cfg.id)?)
}

/// Reaps the init if it has exited: Some(exit code, 128 + signal when killed).
pub fn reap(pid: i32) -> Option<i32> {
    match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
        Ok(WaitStatus::Exited(_, code)) => Some(code),
        Ok(WaitStatus::Signaled(_, sig, _)) => Some(128 + sig as i32),
        // ECHILD: someone else reaped it; treat as gone with an unknown status.
        Err(nix::errno::Errno::ECHILD) => Some(255),
        _ => None,
    }
}

impl Instance {
    /// Whether the memory cgroup's OOM killer struck since create. Read before delete.
    pub fn oom_killed(&self) -> bool {
        oom_kills(&self.cgroup) > self.oom_base
    }
}

/// Runtime delete (force: the init is already gone, leftovers are killed).
pub fn delete_instance(cfg: &MonitorConfig) -> Result<()> {
    Ok(delete::delete(&globals(cfg), &cfg.id, true)?)
}

/// The `oom_kill` counter of the memory cgroup: v1 `memory.oom_control`, v2 `memory.events`.
pub fn oom_kills(cg: &CgroupPaths) -> u64 {
    let file = match (cg.v1_dir("memory"), &cg.unified) {
        (Some(d), _) => d.join("memory.oom_control"),
        (None, Some(u)) => u.join("memory.events"),
        (None, None) => return 0,
    };
    std::fs::read_to_string(file)
        .ok()
        .and_then(|t| counter(&t, "oom_kill"))
        .unwrap_or(0)
}

/// The value of `key <n>` in a cgroup key-value file.
fn counter(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oom_counter() {
        let v1 = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";
        assert_eq!(counter(v1, "oom_kill"), Some(2));
        let v2 = "low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\noom_group_kill 0\n";
        assert_eq!(counter(v2, "oom_kill"), Some(1));
        assert_eq!(counter("", "oom_kill"), None);
    }
}
