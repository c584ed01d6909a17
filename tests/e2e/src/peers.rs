//! The incumbents, for interop tests: a private Docker daemon, podman on a private store, and
//! skopeo. None of them touches the host's Docker or podman state or its networking.
//!
//! [`Docker::start`] runs the distribution's `dockerd` with its own `--data-root`,
//! `--exec-root`, `--pidfile`, config file, trust key and socket (`<tmp>/docker.sock`), no
//! bridge, no iptables/ip6tables/masquerading/forwarding changes, the vfs storage driver and a
//! cgroup parent of its own; dockerd starts its own managed containerd (state and socket under
//! the exec root). Clients talk to it through `DOCKER_HOST=unix://...` with a private
//! `DOCKER_CONFIG`. Containers must run with `--network none`. Dropping the guard (also on
//! panic) removes its containers, stops dockerd by its pid (then containerd and any shim still
//! naming the temp dir, by pid), unmounts whatever is left below the temp dir, removes the
//! cgroup parent and the temp dir.
//!
//! [`Podman`] runs `podman --root/--runroot/--tmpdir <tmp>/... --storage-driver vfs
//! --runtime runc --cgroup-manager cgroupfs --events-backend none` (crun 1.8 fails on this
//! host's hybrid cgroup layout); [`Podman::run_flags`] adds `--network none`, a cgroup parent
//! of its own and explicit ulimits no higher than this process's hard limits.
//!
//! A missing tool is a skip (printed), or a failure when `CI` / `BERTH_E2E_REQUIRE` is set.

use std::env;
use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::cmd::{self, Output};
use crate::leaks::cmdline;
use crate::runtime::which;

/// Deadline for one peer command.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(120);

/// How long dockerd may take to answer on its socket.
const DOCKERD_START: Duration = Duration::from_secs(60);

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Whether the test `name` must be skipped: the harness's own reasons (root, busybox-static),
/// or one of `tools` missing from PATH (each with the package that provides it). Prints the
/// reason; panics instead under `CI` / `BERTH_E2E_REQUIRE`.
pub fn skip_unless_installed(name: &str, tools: &[(&str, &str)]) -> bool {
    let reason = crate::skip_reason().or_else(|| {
        let missing: Vec<String> = tools
            .iter()
            .filter(|(t, _)| which(t.as_ref()).is_none())
            .map(|(t, pkg)| format!("{t} (apt-get install {pkg})"))
            .collect();
        (!missing.is_empty()).then(|| format!("not on PATH: {}", missing.join(", ")))
    });
    crate::skipped(name, reason)
}

/// A fresh temp dir `/tmp/berth-e2e-<kind>-<pid>-<n>` (kept short: unix socket paths).
fn temp_dir(kind: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = env::temp_dir().join(format!("berth-e2e-{kind}-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create peer temp dir");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod peer temp dir");
    dir
}

/// A cgroup path of our own, `/berth-e2e-<kind>-<pid>-<n>`.
fn cgroup_parent(kind: &str) -> String {
    format!(
        "/berth-e2e-{kind}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Removes the cgroup `path` (and whatever is below it) in every hierarchy, deepest first.
fn remove_cgroup_tree(path: &str) -> Vec<String> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(d).into_iter().flatten().flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                walk(&e.path(), out);
            }
        }
        out.push(d.to_path_buf());
    }
    let mut left = Vec::new();
    for top in crate::cgroup::existing_dirs(path) {
        let mut dirs = Vec::new();
        walk(&top, &mut dirs);
        for d in dirs {
            let mut ok = false;
            for _ in 0..50 {
                if fs::remove_dir(&d).is_ok() || !d.exists() {
                    ok = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if !ok {
                left.push(format!("cgroup {}", d.display()));
            }
        }
    }
    left
}

/// Unmounts everything mounted at or below `dir`, deepest first; returns what was there.
fn unmount_below(dir: &Path) -> Vec<String> {
    let d = dir.display().to_string();
    let mut mps: Vec<String> = fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(crate::cgroup::unescape)
        .filter(|m| m == &d || m.starts_with(&format!("{d}/")))
        .collect();
    mps.sort_by_key(|m| std::cmp::Reverse(m.len()));
    mps.dedup();
    for m in &mps {
        let _ = nix::mount::umount2(m.as_str(), nix::mount::MntFlags::MNT_DETACH);
    }
    mps
}

/// Pids (other than ours) whose command line names `dir`: what a peer we started left running.
fn processes_naming(dir: &Path) -> Vec<i32> {
    let needle = dir.display().to_string();
    let me = std::process::id() as i32;
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<i32>().ok())
        .filter(|&p| p != me && cmdline(p).contains(&needle))
        .collect()
}

fn alive(pid: i32) -> bool {
    // A zombie is gone for our purposes.
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => !s
            .rsplit_once(')')
            .map(|(_, rest)| rest.trim_start().starts_with('Z'))
            .unwrap_or(false),
        Err(_) => false,
    }
}

/// SIGTERM, then SIGKILL after `grace`, to the single process `pid`; true if it is gone.
fn stop_pid(pid: i32, grace: Duration) -> bool {
    let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    if crate::wait_until(grace, || !alive(pid)) {
        return true;
    }
    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    crate::wait_until(Duration::from_secs(5), || !alive(pid))
}

/// The current hard limit of `res`, capped at `cap`.
fn hard_limit(res: nix::sys::resource::Resource, cap: u64) -> u64 {
    nix::sys::resource::getrlimit(res)
        .map(|(_, hard)| hard.min(cap))
        .unwrap_or(1024)
}

/// Reads `program args...`'s output with env vars set (through `/usr/bin/env`).
fn run_env(
    vars: &[(String, String)],
    program: &Path,
    args: &[&str],
    scratch: &Path,
    stdin: Option<&Path>,
    timeout: Duration,
) -> Output {
    let mut full: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
    full.push(program.display().to_string());
    full.extend(args.iter().map(|s| s.to_string()));
    let env_bin = which("env".as_ref()).unwrap_or_else(|| PathBuf::from("/usr/bin/env"));
    cmd::run_with_stdin(&env_bin, &full, scratch, timeout, stdin)
}

/// A private dockerd (and its managed containerd) for one test.
pub struct Docker {
    /// The temp dir holding everything of this daemon.
    pub dir: PathBuf,
    /// `unix://<dir>/docker.sock`.
    pub host: String,
    client: PathBuf,
    dockerd: Option<Child>,
    cgroup_parent: String,
    name: String,
}

impl Docker {
    /// The tools [`Docker::start`] needs, with their packages.
    pub const TOOLS: [(&'static str, &'static str); 4] = [
        ("docker", "docker.io"),
        ("dockerd", "docker.io"),
        ("containerd", "containerd"),
        ("runc", "runc"),
    ];

    /// Starts a private dockerd for test `name`, or `None` (printed) when it must be skipped.
    /// Panics, with dockerd's log, when it is installed but does not come up.
    pub fn start(name: &str) -> Option<Docker> {
        if skip_unless_installed(name, &Self::TOOLS) {
            return None;
        }
        let dir = temp_dir("docker");
        let x = dir.join("x");
        let data = dir.join("data");
        for d in [&x, &data, &dir.join("client")] {
            fs::create_dir_all(d).expect("create docker dir");
        }
        // An explicit config file (not /etc/docker/daemon.json) and trust key (not
        // /etc/docker/key.json).
        let config = dir.join("daemon.json");
        fs::write(
            &config,
            serde_json::json!({ "deprecated-key-path": dir.join("key.json") }).to_string(),
        )
        .expect("write daemon.json");
        let sock = dir.join("docker.sock");
        let host = format!("unix://{}", sock.display());
        let cgroup_parent = cgroup_parent("docker");
        let log = File::create(dir.join("dockerd.log")).expect("create dockerd.log");
        let dockerd = which("dockerd".as_ref()).expect("dockerd on PATH");
        let child = Command::new(&dockerd)
            .arg("--config-file")
            .arg(&config)
            .arg("--data-root")
            .arg(&data)
            .arg("--exec-root")
            .arg(&x)
            .arg("--pidfile")
            .arg(dir.join("docker.pid"))
            .arg("-H")
            .arg(&host)
            .args([
                "--bridge=none",
                "--iptables=false",
                "--ip6tables=false",
                "--ip-masq=false",
                "--ip-forward=false",
                "--userland-proxy=false",
                "--storage-driver=vfs",
                "--log-level=info",
            ])
            .arg(format!("--cgroup-parent={cgroup_parent}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup log"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: cannot start {}: {e}", dockerd.display()));
        let d = Docker {
            client: which("docker".as_ref()).expect("docker on PATH"),
            dir,
            host,
            dockerd: Some(child),
            cgroup_parent,
            name: name.to_string(),
        };
        let start = Instant::now();
        loop {
            if sock.exists() && d.cmd(&["version"]).success() {
                break;
            }
            let exited = d
                .dockerd
                .as_ref()
                .map(|c| !alive(c.id() as i32))
                .unwrap_or(true);
            if exited || start.elapsed() > DOCKERD_START {
                panic!(
                    "{name}: private dockerd did not come up ({}):\n{}",
                    if exited { "it exited" } else { "timed out" },
                    d.log_tail(40)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(d)
    }

    /// Runs `docker args...` against this daemon (`DOCKER_HOST`, private `DOCKER_CONFIG`).
    pub fn cmd(&self, args: &[&str]) -> Output {
        self.cmd_stdin(args, None)
    }

    /// [`Docker::cmd`] with stdin from a file.
    pub fn cmd_stdin(&self, args: &[&str], stdin: Option<&Path>) -> Output {
        let vars = [
            ("DOCKER_HOST".to_string(), self.host.clone()),
            (
                "DOCKER_CONFIG".to_string(),
                self.dir.join("client").display().to_string(),
            ),
        ];
        run_env(
            &vars,
            &self.client,
            args,
            &self.dir.join("out"),
            stdin,
            PEER_TIMEOUT,
        )
    }

    /// The last `n` lines of dockerd's log (it includes the managed containerd's).
    pub fn log_tail(&self, n: usize) -> String {
        let log = fs::read_to_string(self.dir.join("dockerd.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

impl Drop for Docker {
    fn drop(&mut self) {
        let ids = self.cmd(&["ps", "-aq"]).lines();
        for id in &ids {
            let _ = self.cmd(&["rm", "-f", id]);
        }
        let containerd_pid = fs::read_to_string(self.dir.join("x/containerd/containerd.pid"))
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok());
        let mut left = Vec::new();
        if let Some(mut c) = self.dockerd.take() {
            if !stop_pid(c.id() as i32, Duration::from_secs(20)) {
                left.push(format!("dockerd {}", c.id()));
            }
            let _ = c.wait();
        }
        // dockerd stops its managed containerd; make sure, by pid, that it did.
        let needle = self.dir.display().to_string();
        if let Some(p) = containerd_pid {
            if alive(p) && cmdline(p).contains(&needle) && !stop_pid(p, Duration::from_secs(10)) {
                left.push(format!("containerd {p}"));
            }
        }
        // Shims and anything else still naming our dir.
        finish_cleanup(
            &self.name,
            "the private dockerd",
            &self.dir,
            &self.cgroup_parent,
            left,
        );
    }
}

/// podman on a private vfs store in a temp dir, driving runc.
pub struct Podman {
    /// The temp dir holding the store, run root and tmp dir.
    pub dir: PathBuf,
    bin: PathBuf,
    cgroup_parent: String,
    name: String,
}

impl Podman {
    /// The tools [`Podman::new`] needs, with their packages (podman finds conmon itself).
    pub const TOOLS: [(&'static str, &'static str); 2] = [("podman", "podman"), ("runc", "runc")];

    /// A podman with a fresh store for test `name`, or `None` (printed) when it must be
    /// skipped.
    pub fn new(name: &str) -> Option<Podman> {
        if skip_unless_installed(name, &Self::TOOLS) {
            return None;
        }
        Some(Podman {
            dir: temp_dir("podman"),
            bin: which("podman".as_ref()).expect("podman on PATH"),
            cgroup_parent: cgroup_parent("podman"),
            name: name.to_string(),
        })
    }

    fn global_args(&self) -> Vec<String> {
        let d = |s: &str| self.dir.join(s).display().to_string();
        vec![
            "--root".into(),
            d("root"),
            "--runroot".into(),
            d("runroot"),
            "--tmpdir".into(),
            d("tmp"),
            "--storage-driver".into(),
            "vfs".into(),
            "--runtime".into(),
            "runc".into(),
            "--cgroup-manager".into(),
            "cgroupfs".into(),
            "--events-backend".into(),
            "none".into(),
        ]
    }

    /// Runs `podman <private store flags> args...`.
    pub fn cmd(&self, args: &[&str]) -> Output {
        self.cmd_stdin(args, None)
    }

    /// [`Podman::cmd`] with stdin from a file.
    pub fn cmd_stdin(&self, args: &[&str], stdin: Option<&Path>) -> Output {
        let mut full = self.global_args();
        full.extend(args.iter().map(|s| s.to_string()));
        // No per-user containers.conf/storage.conf: only /etc's and our flags apply.
        let vars = [(
            "XDG_CONFIG_HOME".to_string(),
            self.dir.join("config").display().to_string(),
        )];
        let full: Vec<&str> = full.iter().map(String::as_str).collect();
        run_env(
            &vars,
            &self.bin,
            &full,
            &self.dir.join("out"),
            stdin,
            PEER_TIMEOUT,
        )
    }

    /// Flags for `podman run`: no network, our cgroup parent, ulimits within the hard limits.
    pub fn run_flags(&self) -> Vec<String> {
        use nix::sys::resource::Resource;
        let nofile = hard_limit(Resource::RLIMIT_NOFILE, 1 << 20);
        let nproc = hard_limit(Resource::RLIMIT_NPROC, 32768);
        vec![
            "--network".into(),
            "none".into(),
            "--cgroup-parent".into(),
            self.cgroup_parent.clone(),
            "--ulimit".into(),
            format!("nofile={nofile}:{nofile}"),
            "--ulimit".into(),
            format!("nproc={nproc}:{nproc}"),
        ]
    }

    /// `podman run --rm <run_flags> image args...`.
    pub fn run(&self, image: &str, args: &[&str]) -> Output {
        let mut full: Vec<String> = vec!["run".into(), "--rm".into()];
        full.extend(self.run_flags());
        full.push(image.into());
        full.extend(args.iter().map(|s| s.to_string()));
        let full: Vec<&str> = full.iter().map(String::as_str).collect();
        self.cmd(&full)
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.cmd(&["rm", "-af", "-t", "0"]);
        finish_cleanup(
            &self.name,
            "podman",
            &self.dir,
            &self.cgroup_parent,
            Vec::new(),
        );
    }
}

/// The end of a private peer's cleanup: stops every process still naming `dir` (by pid),
/// unmounts what is below it, removes its cgroup tree and `dir`; panics (unless already
/// panicking) listing whatever could not be cleaned, on top of `left`.
fn finish_cleanup(name: &str, peer: &str, dir: &Path, cgroup_parent: &str, mut left: Vec<String>) {
    for p in processes_naming(dir) {
        let what = format!("process {p}: {}", cmdline(p));
        if !stop_pid(p, Duration::from_secs(5)) {
            left.push(what);
        }
    }
    let mounts = unmount_below(dir);
    left.extend(remove_cgroup_tree(cgroup_parent));
    if fs::remove_dir_all(dir).is_err() && dir.exists() {
        left.push(format!("dir {}", dir.display()));
    }
    if !mounts.is_empty() {
        eprintln!("{name}: unmounted what {peer} left: {}", mounts.join(", "));
    }
    if !left.is_empty() && !std::thread::panicking() {
        panic!("{name}: {peer} left behind:\n  {}", left.join("\n  "));
    }
}

/// skopeo, when installed (else `None`, printed; a failure under `CI` / `BERTH_E2E_REQUIRE`).
pub fn skopeo(name: &str) -> Option<PathBuf> {
    if skip_unless_installed(name, &[("skopeo", "skopeo")]) {
        return None;
    }
    which("skopeo".as_ref())
}

/// Runs `program args...` (e.g. skopeo) with output captured under `scratch`.
pub fn run(program: &Path, args: &[&str], scratch: &Path) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    cmd::run(program, &args, scratch, PEER_TIMEOUT)
}
