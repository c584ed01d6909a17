//! The container through the runtime library, each operation in a forked helper: create
//! (the init ends up the monitor's child), start, delete; and the OOM check.

use std::path::PathBuf;

use berth_runtime::cgroups::CgroupPaths;
use berth_runtime::ops::create::{create, CreateOptions};
use berth_runtime::ops::{delete, start, Globals};

use super::helper::in_helper;
use super::stdio::ContainerIo;
use crate::config::MonitorConfig;
use crate::error::{Error, Result};

/// One created instance of the container.
pub struct Instance {
    /// The init's pid (the monitor's child once the helper is gone).
    pub pid: i32,
    oom_file: Option<PathBuf>,
    oom_base: u64,
}

fn globals(cfg: &MonitorConfig) -> Globals {
    Globals {
        root: cfg.runtime_root.clone(),
    }
}

/// Runtime create with `io` as the container's stdio.
pub fn create_instance(cfg: &MonitorConfig, io: &mut ContainerIo) -> Result<Instance> {
    io.before_create()?;
    let created = in_helper("create the container", || {
        io.install_child_stdio()?;
        let o = CreateOptions {
            id: cfg.id.clone(),
            bundle: cfg.bundle.clone(),
            console_socket: io.console_socket(),
            ..Default::default()
        };
        let c = create(&globals(cfg), &o)?;
        let file = oom_file(&c.state.cgroup);
        let base = file.as_ref().map_or(0, |f| oom_kills(f));
        let path = file.map(|f| f.to_string_lossy().into_owned());
        Ok(format!(
            "{} {base} {}",
            c.state.pid,
            path.unwrap_or_default()
        ))
    });
    let restored = io.after_create(created.is_ok());
    let created = created?;
    if let Err(e) = restored {
        let _ = delete_instance(cfg);
        return Err(e);
    }
    let mut it = created.splitn(3, ' ');
    let pid = it.next().and_then(|p| p.parse().ok());
    let base = it.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let file = it.next().filter(|p| !p.is_empty()).map(PathBuf::from);
    let pid = pid.ok_or_else(|| Error::Protocol(format!("create helper said {created:?}")))?;
    Ok(Instance {
        pid,
        oom_file: file,
        oom_base: base,
    })
}

/// Runtime start: releases the init to exec the program.
pub fn start_instance(cfg: &MonitorConfig) -> Result<()> {
    in_helper("start the container", || {
        start::start(&globals(cfg), &cfg.id)?;
        Ok(String::new())
    })
    .map(drop)
}

/// Runtime delete (force: the init is already gone, leftovers are killed).
pub fn delete_instance(cfg: &MonitorConfig) -> Result<()> {
    in_helper("delete the container", || {
        delete::delete(&globals(cfg), &cfg.id, true)?;
        Ok(String::new())
    })
    .map(drop)
}

impl Instance {
    /// Whether the memory cgroup's OOM killer struck since create. Read before delete.
    pub fn oom_killed(&self) -> bool {
        self.oom_file
            .as_ref()
            .is_some_and(|f| oom_kills(f) > self.oom_base)
    }
}

/// The memory cgroup file with the `oom_kill` counter: v1 `memory.oom_control`, v2
/// `memory.events`.
fn oom_file(cg: &CgroupPaths) -> Option<PathBuf> {
    match (cg.v1_dir("memory"), &cg.unified) {
        (Some(d), _) => Some(d.join("memory.oom_control")),
        (None, Some(u)) => Some(u.join("memory.events")),
        (None, None) => None,
    }
}

/// The `oom_kill` counter in `file`.
fn oom_kills(file: &std::path::Path) -> u64 {
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
