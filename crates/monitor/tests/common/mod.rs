//! Test harness: busybox bundles, a temp runtime root, the built berth binary, cleanup.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use berth_monitor::{LogConfig, MonitorConfig, RestartPolicy, Status};
use serde_json::json;

/// Debian's busybox-static.
pub const BUSYBOX: &str = "/bin/busybox";

const APPLETS: &[&str] = &[
    "sh", "cat", "echo", "tty", "sleep", "true", "false", "printf", "seq",
];

/// Why the suite cannot run here, if it cannot.
pub fn skip_reason() -> Option<&'static str> {
    if !Path::new(BUSYBOX).exists() {
        return Some("/bin/busybox (busybox-static) is missing");
    }
    if !nix::unistd::geteuid().is_root() {
        return Some("needs root");
    }
    None
}

/// Returns early from a test (with a printed reason) when it cannot run here.
#[macro_export]
macro_rules! require_env {
    () => {
        if let Some(r) = common::skip_reason() {
            eprintln!("skipped: {r}");
            return;
        }
    };
}

/// The berth binary, built once (`cargo build -p berth`) into this test's target dir; or
/// `$BERTH_TEST_EXE` (e.g. a release build, to measure the monitor's RSS).
pub fn berth_exe() -> PathBuf {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        if let Some(exe) = std::env::var_os("BERTH_TEST_EXE") {
            return PathBuf::from(exe);
        }
        let me = std::env::current_exe().expect("current exe");
        // target/<profile>/deps/<test> -> target/<profile>
        let profile_dir = me.parent().and_then(Path::parent).expect("target dir");
        let target = profile_dir.parent().expect("target root");
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "-p", "berth"])
            .env("CARGO_TARGET_DIR", target)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo build -p berth");
        assert!(status.success(), "cargo build -p berth failed");
        profile_dir.join("berth")
    })
    .clone()
}

/// One container's worth of temp state; cleans up on drop (kills what it started).
pub struct Ctr {
    pub tmp: tempfile::TempDir,
    pub cfg: MonitorConfig,
    pub monitor_pid: Option<i32>,
}

/// A unique container id.
pub fn unique_id(name: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("mon-{}-{n}-{name}", std::process::id())
}

impl Ctr {
    /// A busybox bundle running `args`, with default monitor settings.
    pub fn new(name: &str, args: &[&str]) -> Ctr {
        let tmp = tempfile::Builder::new()
            .prefix("bm")
            .tempdir_in("/tmp")
            .expect("tempdir");
        let base = tmp.path();
        let bundle = base.join("bundle");
        let rootfs = bundle.join("rootfs");
        for d in ["bin", "dev", "proc", "sys", "tmp", "etc"] {
            std::fs::create_dir_all(rootfs.join(d)).expect("mkdir rootfs");
        }
        std::fs::copy(BUSYBOX, rootfs.join("bin/busybox")).expect("copy busybox");
        for a in APPLETS {
            std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(a)).expect("symlink");
        }
        let id = unique_id(name);
        let mut spec = berth_runtime::ops::spec_template::template(false);
        spec["process"]["terminal"] = json!(false);
        spec["process"]["args"] = json!(args);
        spec["root"]["readonly"] = json!(false);
        spec["linux"]["cgroupsPath"] = json!(format!("/{id}"));
        let ctr_dir = base.join("ctr");
        std::fs::create_dir_all(&ctr_dir).expect("mkdir ctr");
        let cfg = MonitorConfig {
            id,
            runtime_root: base.join("runtime"),
            bundle: bundle.clone(),
            ctr_dir: ctr_dir.clone(),
            socket: base.join("s.sock"),
            tty: false,
            stdin: false,
            log: LogConfig {
                path: ctr_dir.join("ctr.log"),
                max_size: 10 << 20,
                max_files: 3,
            },
            restart: RestartPolicy::No,
            healthcheck: None,
            on_exit: None,
            berth_exe: berth_exe(),
            unmount_rootfs: false,
        };
        let c = Ctr {
            tmp,
            cfg,
            monitor_pid: None,
        };
        c.write_spec(&spec);
        c
    }

    /// Rewrites the bundle's config.json.
    pub fn write_spec(&self, spec: &serde_json::Value) {
        std::fs::write(
            self.cfg.bundle.join("config.json"),
            serde_json::to_vec_pretty(spec).expect("json"),
        )
        .expect("write config.json");
    }

    /// Edits the bundle's config.json.
    pub fn edit_spec(&self, f: impl FnOnce(&mut serde_json::Value)) {
        let text = std::fs::read(self.cfg.bundle.join("config.json")).expect("read config");
        let mut v: serde_json::Value = serde_json::from_slice(&text).expect("parse config");
        f(&mut v);
        self.write_spec(&v);
    }

    /// Writes monitor.json and spawns the monitor.
    pub fn spawn(&mut self) -> berth_monitor::Result<berth_monitor::Spawned> {
        self.cfg.save().expect("write monitor.json");
        let s = berth_monitor::spawn(&berth_exe(), &self.cfg.ctr_dir)?;
        self.monitor_pid = Some(s.monitor_pid);
        Ok(s)
    }

    /// Current status.json.
    pub fn status(&self) -> Option<Status> {
        berth_monitor::read_status(&self.cfg.ctr_dir).expect("read status")
    }

    /// Waits until the monitor process is gone and returns the final status.
    pub fn wait_finished(&self, timeout: Duration) -> Status {
        let pid = self.monitor_pid.expect("spawned");
        let start = Instant::now();
        while alive(pid) {
            assert!(
                start.elapsed() < timeout,
                "monitor still running; status {:?}",
                self.status()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.status().expect("status.json")
    }

    /// The whole log as (stdout, stderr).
    pub fn logs(&self, opts: &berth_monitor::LogsOptions) -> (String, String) {
        let (mut o, mut e) = (Vec::new(), Vec::new());
        berth_monitor::read_logs(&self.cfg.log.path, opts, &mut o, &mut e, || true)
            .expect("read logs");
        (
            String::from_utf8(o).expect("utf8"),
            String::from_utf8(e).expect("utf8"),
        )
    }
}

/// Whether `pid` exists (and is not a zombie).
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => !s
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

impl Drop for Ctr {
    fn drop(&mut self) {
        if let Some(pid) = self.monitor_pid {
            if alive(pid) {
                let _ = std::fs::write(self.cfg.ctr_dir.join(berth_monitor::STOP_REQUESTED), "");
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
        let g = berth_runtime::ops::Globals {
            root: self.cfg.runtime_root.clone(),
        };
        let _ = berth_runtime::ops::delete::delete(&g, &self.cfg.id, true);
    }
}

/// The mappings of `pid` by resident size (from /proc/<pid>/smaps), largest first.
pub fn rss_breakdown(pid: i32) -> String {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut rows: Vec<(u64, String)> = Vec::new();
    let mut name = String::new();
    for line in text.lines() {
        let first = line.split_whitespace().next().unwrap_or_default();
        if first.contains('-') && !first.ends_with(':') {
            let f: Vec<&str> = line.split_whitespace().collect();
            name = format!(
                "{} {}",
                f.get(1).unwrap_or(&""),
                f.get(5).unwrap_or(&"[anon]")
            );
        } else if let Some(v) = line.strip_prefix("Rss:") {
            let kb: u64 = v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
            if kb > 0 {
                rows.push((kb, name.clone()));
            }
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    rows.iter()
        .take(12)
        .map(|(kb, n)| format!("{kb:>6} kB  {n}"))
        .collect::<Vec<_>>()
        .join("\n")
}
