//! A container's monitor.json: the bundle, socket, log rotation, restart policy,
//! healthcheck and exit hook the monitor process runs it with.

use std::path::Path;

use berth_monitor::config::{Health, LogConfig, MonitorConfig, RestartPolicy as MonitorRestart};
use berth_store::oci::ContainerConfig;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::spec::{self, RestartPolicy, RunOptions};

impl Engine {
    /// The monitor's configuration for container `id` in bundle `dir` (not yet saved).
    pub(super) fn monitor_config(
        &self,
        id: &str,
        dir: &Path,
        opts: &RunOptions,
        icfg: &ContainerConfig,
    ) -> Result<MonitorConfig> {
        Ok(MonitorConfig {
            id: id.to_string(),
            runtime_root: self.paths.runtime(),
            bundle: dir.to_path_buf(),
            ctr_dir: dir.to_path_buf(),
            socket: self.paths.socket(id),
            tty: opts.tty,
            stdin: opts.stdin_open,
            log: log_config(dir, opts)?,
            restart: monitor_restart(&opts.restart),
            healthcheck: health_config(opts, icfg),
            on_exit: (opts.rm && opts.detach).then(|| self.remove_on_exit(id)),
            berth_exe: self.exe(),
            unmount_rootfs: true,
        })
    }

    /// The command a detached `--rm` container's monitor runs when it exits:
    /// `berth --root <root> rm -f -v <id>`.
    fn remove_on_exit(&self, id: &str) -> Vec<String> {
        vec![
            self.exe().display().to_string(),
            "--root".into(),
            self.paths.root.display().to_string(),
            "rm".into(),
            "-f".into(),
            "-v".into(),
            id.to_string(),
        ]
    }
}

/// The `--restart` policy in the monitor's terms.
fn monitor_restart(p: &RestartPolicy) -> MonitorRestart {
    match *p {
        RestartPolicy::No => MonitorRestart::No,
        RestartPolicy::OnFailure { max_retries } => MonitorRestart::OnFailure { max_retries },
        RestartPolicy::Always => MonitorRestart::Always,
        RestartPolicy::UnlessStopped => MonitorRestart::UnlessStopped,
    }
}

/// The log file and its rotation (`--log-opt max-size=10m`, `max-file=3`).
fn log_config(dir: &Path, opts: &RunOptions) -> Result<LogConfig> {
    let mut cfg = LogConfig {
        path: dir.join("ctr.log"),
        max_size: 10 << 20,
        max_files: 3,
    };
    if let Some(s) = opts.log.opts.get("max-size") {
        cfg.max_size = spec::parse::parse_bytes("--log-opt max-size", s)? as u64;
    }
    if let Some(n) = opts.log.opts.get("max-file") {
        cfg.max_files = n.parse().map_err(|_| {
            Error::Invalid(format!("invalid --log-opt max-file={n}: expected a number"))
        })?;
    }
    Ok(cfg)
}

/// The healthcheck: `--health-*` flags over the image's HEALTHCHECK; none with
/// `--no-healthcheck` or `NONE`.
fn health_config(opts: &RunOptions, icfg: &ContainerConfig) -> Option<Health> {
    let h = &opts.health;
    if h.no_healthcheck {
        return None;
    }
    let image = icfg.healthcheck.clone().unwrap_or_default();
    let test = match (&h.test, &h.cmd) {
        (Some(t), _) => t.clone(),
        (None, Some(c)) => vec!["CMD-SHELL".to_string(), c.clone()],
        (None, None) => image.test.clone(),
    };
    if test.is_empty() || test[0] == "NONE" {
        return None;
    }
    let ns = |d: Option<std::time::Duration>, img: u64, default: u64| {
        d.map(|d| d.as_nanos() as u64)
            .filter(|v| *v > 0)
            .unwrap_or(if img > 0 { img } else { default })
    };
    Some(Health {
        test,
        interval_ns: ns(h.interval, image.interval, 30_000_000_000),
        timeout_ns: ns(h.timeout, image.timeout, 30_000_000_000),
        start_period_ns: ns(h.start_period, image.start_period, 0),
        retries: h
            .retries
            .filter(|r| *r > 0)
            .unwrap_or(if image.retries > 0 { image.retries } else { 3 }),
    })
}
