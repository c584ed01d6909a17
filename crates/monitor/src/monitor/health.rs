//! Docker healthchecks: every interval, run the test in the container
//! (`berth runtime --root R exec -- <id> <argv>`) with a timeout, capture its output, and
//! track starting / healthy / unhealthy with retries and the start period.

use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;

use super::stdio::set_nonblocking;
use crate::config::{Health, MonitorConfig};
use crate::status::{HealthResult, HealthState, HEALTH_LOG_LEN};

/// Docker keeps at most this much of a check's output.
const MAX_OUTPUT: usize = 4096;

/// Health status values.
pub mod status {
    /// No result yet (or only failures within the start period).
    pub const STARTING: &str = "starting";
    /// The last check passed.
    pub const HEALTHY: &str = "healthy";
    /// `retries` checks in a row failed.
    pub const UNHEALTHY: &str = "unhealthy";
}

/// Runs the checks of one container.
pub struct HealthRunner {
    argv: Vec<String>,
    interval: Duration,
    timeout: Duration,
    start_period: Duration,
    retries: u32,
    /// The state recorded in status.json.
    pub state: HealthState,
    next_at: Option<Instant>,
    started: Instant,
    check: Option<Check>,
}

struct Check {
    child: Child,
    /// Set when the monitor's reaper collected the check's exit (we reap every child).
    exit: Option<i32>,
    out: Option<std::fs::File>,
    buf: Vec<u8>,
    start: String,
    deadline: Instant,
}

impl HealthRunner {
    /// A runner for `h`, or None when the test is `NONE`.
    pub fn new(h: &Health) -> Option<Self> {
        let argv = h.argv()?;
        let secs30 = Duration::from_secs(30);
        let nz = |ns: u64| (ns > 0).then(|| Duration::from_nanos(ns));
        Some(HealthRunner {
            argv,
            interval: nz(h.interval_ns).unwrap_or(secs30),
            timeout: nz(h.timeout_ns).unwrap_or(secs30),
            start_period: Duration::from_nanos(h.start_period_ns),
            retries: if h.retries == 0 { 3 } else { h.retries },
            state: HealthState {
                status: status::STARTING.into(),
                ..Default::default()
            },
            next_at: None,
            started: Instant::now(),
            check: None,
        })
    }

    /// The container (re)started: state `starting`, first check after one interval.
    pub fn container_started(&mut self) {
        self.started = Instant::now();
        self.state.status = status::STARTING.into();
        self.state.failing_streak = 0;
        self.next_at = Some(self.started + self.interval);
    }

    /// The container stopped: cancel any check and stop scheduling.
    pub fn container_stopped(&mut self) {
        self.next_at = None;
        if let Some(mut c) = self.check.take() {
            if c.exit.is_none() {
                let _ = c.child.kill();
            }
        }
    }

    /// The monitor reaped child `pid` with `code`: records it if it is the running check.
    pub fn reaped(&mut self, pid: i32, code: i32) {
        if let Some(c) = self.check.as_mut().filter(|c| c.child.id() as i32 == pid) {
            c.exit = Some(code);
        }
    }

    /// When [`HealthRunner::tick`] must run next.
    pub fn deadline(&self) -> Option<Instant> {
        match &self.check {
            Some(c) => Some(c.deadline),
            None => self.next_at,
        }
    }

    /// The running check's output pipe, to poll.
    pub fn out_fd(&self) -> Option<BorrowedFd<'_>> {
        self.check.as_ref()?.out.as_ref().map(|f| f.as_fd())
    }

    /// Reads what the running check wrote.
    pub fn on_output(&mut self) {
        let Some(c) = self.check.as_mut() else { return };
        let Some(f) = c.out.as_mut() else { return };
        let mut buf = [0u8; 4096];
        loop {
            match f.read(&mut buf) {
                Ok(0) => {
                    c.out = None;
                    return;
                }
                Ok(n) => {
                    let room = MAX_OUTPUT.saturating_sub(c.buf.len());
                    c.buf.extend_from_slice(&buf[..n.min(room)]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }

    /// Finishes a done or timed-out check and starts a due one. Returns true when the
    /// state changed (status.json must be rewritten).
    pub fn tick(&mut self, cfg: &MonitorConfig) -> bool {
        let now = Instant::now();
        let mut changed = false;
        if let Some(c) = self.check.as_mut() {
            let code = match c.exit {
                Some(code) => Some(code),
                None if now >= c.deadline => {
                    // The reaper collects it later.
                    let _ = c.child.kill();
                    c.buf = format!("Health check exceeded timeout ({:?})", self.timeout).into();
                    Some(-1)
                }
                None => None,
            };
            if let Some(code) = code {
                if let Some(c) = self.check.take() {
                    self.record(c, code);
                    changed = true;
                }
            }
        }
        if self.check.is_none() && self.next_at.is_some_and(|t| now >= t) {
            self.next_at = Some(now + self.interval);
            self.check = self.spawn(cfg, now);
        }
        changed
    }

    fn spawn(&mut self, cfg: &MonitorConfig, now: Instant) -> Option<Check> {
        let start = crate::time::now();
        let pipe = nix::unistd::pipe2(OFlag::O_CLOEXEC);
        let spawned = pipe.map_err(std::io::Error::from).and_then(|(r, w)| {
            let w2 = w.try_clone()?;
            let child = Command::new(&cfg.berth_exe)
                .arg("runtime")
                .arg("--root")
                .arg(&cfg.runtime_root)
                .args(["exec", "--", &cfg.id])
                .args(&self.argv)
                .stdin(Stdio::null())
                .stdout(Stdio::from(w))
                .stderr(Stdio::from(w2))
                .spawn()?;
            Ok((child, r))
        });
        match spawned {
            Ok((child, r)) => {
                let out: OwnedFd = r;
                let _ = set_nonblocking(out.as_fd());
                Some(Check {
                    child,
                    exit: None,
                    out: Some(out.into()),
                    buf: Vec::new(),
                    start,
                    deadline: now + self.timeout,
                })
            }
            Err(e) => {
                self.push(HealthResult {
                    start: start.clone(),
                    end: crate::time::now(),
                    exit_code: -1,
                    output: format!("run the healthcheck: {e}"),
                });
                self.failed();
                None
            }
        }
    }

    fn record(&mut self, mut c: Check, code: i32) {
        if let Some(f) = c.out.as_mut() {
            let mut rest = Vec::new();
            let _ = f.take(MAX_OUTPUT as u64).read_to_end(&mut rest);
            c.buf.extend_from_slice(&rest);
            c.buf.truncate(MAX_OUTPUT);
        }
        self.push(HealthResult {
            start: c.start,
            end: crate::time::now(),
            exit_code: code,
            output: String::from_utf8_lossy(&c.buf).into_owned(),
        });
        if code == 0 {
            self.state.status = status::HEALTHY.into();
            self.state.failing_streak = 0;
        } else {
            self.failed();
        }
    }

    fn failed(&mut self) {
        if self.started.elapsed() < self.start_period {
            // Docker: failures in the start period do not count.
            return;
        }
        self.state.failing_streak += 1;
        if self.state.failing_streak >= self.retries {
            self.state.status = status::UNHEALTHY.into();
        }
    }

    fn push(&mut self, r: HealthResult) {
        if self.state.log.len() >= HEALTH_LOG_LEN {
            self.state.log.remove(0);
        }
        self.state.log.push(r);
    }
}
