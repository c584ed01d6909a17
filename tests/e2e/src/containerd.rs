//! A private containerd for interop tests: containerd drives a runc-compatible runtime
//! (berth-runc) through `containerd-shim-runc-v2`, the path Kubernetes uses.
//!
//! [`Containerd::start`] runs `containerd --config <tmp>/config.toml` with its root, state,
//! gRPC and ttrpc sockets all in a fresh temp dir, CRI (and so CNI) disabled, no debug or
//! metrics listener, and a unique namespace `berth-e2e-<pid>-<n>`. `ctr` talks to it with
//! `-a <socket> -n <namespace>`. Dropping the guard (also on panic) removes every container
//! through `ctr`, stops that containerd by its pid, then checks for and removes leftovers:
//! shims and container processes, mounts under the temp dir, the namespace's cgroup dirs,
//! the runtime's state under `/run/containerd/runc/<namespace>`, shim sockets. Leftovers the
//! orderly `ctr` cleanup did not remove fail the test.
//!
//! The runtime handed to `ctr run --runc-binary` is `BERTH_CONTAINERD_RUNTIME` when set (e.g.
//! `/usr/sbin/runc`, to check the test itself), else the harness's choice (`BERTH_RUNTIME`, else
//! the built `berth` linked as `berth-runc`).
//!
//! `BERTH_CONTAINERD_TRACE=1` puts a wrapper between the shim and the runtime that records
//! every invocation (argv, stderr, exit status) in `<tmp>/runtime-trace.log`, shown by
//! [`Containerd::explain`].
//!
//! A background thread hard-links each bundle's `log.json` (the runtime's `--log`) and
//! `config.json` into `<tmp>/captured/<id>/` as soon as they appear, so they can be shown
//! after a failure even though containerd deletes the bundle when the task goes away.

use std::env;
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use sha2::{Digest, Sha256};

use crate::cmd::{self, Output};
use crate::image_archive::{busybox_archive, ArchiveFormat, ImageArchive};
use crate::leaks::cmdline;
use crate::{cgroup, leaks, runtime};

/// Deadline for one `ctr` command.
pub const CTR_TIMEOUT: Duration = Duration::from_secs(60);

/// Where containerd's shims put their sockets and runc its default state (fixed in 1.6).
const RUN_DIR: &str = "/run/containerd";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Instances alive in this process: the shared dirs under /run/containerd are only tidied by
/// the last one, so a parallel test's shim never finds its socket dir gone.
static LIVE: AtomicU32 = AtomicU32::new(0);

/// The binaries these tests need, from PATH.
const TOOLS: [&str; 3] = ["containerd", "ctr", "containerd-shim-runc-v2"];

/// Why containerd tests cannot run here, if they cannot: the harness's reasons (root,
/// busybox-static) plus containerd, ctr and the runc v2 shim on PATH.
pub fn skip_reason() -> Option<String> {
    if let Some(r) = crate::skip_reason() {
        return Some(r);
    }
    let missing: Vec<&str> = TOOLS
        .iter()
        .copied()
        .filter(|t| runtime::which(t.as_ref()).is_none())
        .collect();
    if !missing.is_empty() {
        return Some(format!(
            "{} not on PATH (apt-get install containerd)",
            missing.join(", ")
        ));
    }
    None
}

/// The runtime binary for `--runc-binary`: `BERTH_CONTAINERD_RUNTIME` (a path, or a name
/// looked up on PATH), else the harness's runtime (see the crate docs), linked in `link_dir`.
pub fn runtime_binary(link_dir: &Path) -> Result<PathBuf, String> {
    runtime::from_env("BERTH_CONTAINERD_RUNTIME").unwrap_or_else(|| runtime::locate(link_dir))
}

/// True when `BERTH_CONTAINERD_TRACE` asks for the runtime to be traced.
fn tracing() -> bool {
    env::var("BERTH_CONTAINERD_TRACE")
        .map(|v| !v.is_empty() && v != "0")
        .unwrap_or(false)
}

/// Writes `<dir>/bin/traced-runtime`, a bash script that appends each invocation's argv,
/// stderr (through `tee`, so the caller still gets it) and exit status to
/// `<dir>/runtime-trace.log`, then runs `real` (keeping its name as argv[0], for berth's
/// dispatch). Diagnostics only: the container's stderr then passes through `tee` too.
fn trace_wrapper(dir: &Path, real: &Path) -> PathBuf {
    let log = dir.join("runtime-trace.log");
    let script = format!(
        "#!/bin/bash\n\
         log='{log}'\n\
         echo \"[$$] $(date +%T.%N) {real} cwd=$PWD argv: $*\" >> \"$log\"\n\
         exec 2> >(tee >(sed -u \"s/^/[$$] stderr: /\" >> \"$log\") >&2)\n\
         RUST_BACKTRACE=1 '{real}' \"$@\"\n\
         rc=$?\n\
         echo \"[$$] $(date +%T.%N) exit $rc\" >> \"$log\"\n\
         exit $rc\n",
        log = log.display(),
        real = real.display()
    );
    let p = dir.join("bin").join("traced-runtime");
    fs::write(&p, script).expect("write trace wrapper");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).expect("chmod trace wrapper");
    p
}

/// One private containerd and the `ctr` client bound to it; see the module docs.
pub struct Containerd {
    /// The test's name (for messages).
    pub name: String,
    /// The temp dir holding config, root, state, sockets, logs.
    pub dir: PathBuf,
    /// The gRPC socket (`ctr -a`).
    pub address: PathBuf,
    /// The containerd namespace (`ctr -n`), unique per instance.
    pub namespace: String,
    /// containerd's `state` dir; bundles live in `io.containerd.runtime.v2.task/<ns>/<id>`.
    pub state: PathBuf,
    /// The runtime passed as `--runc-binary`.
    pub runtime: PathBuf,
    child: Option<Child>,
    log: PathBuf,
    scratch: PathBuf,
    fifo_dir: PathBuf,
    ids: std::cell::RefCell<Vec<String>>,
    stop_watch: Arc<AtomicBool>,
    watcher: Option<JoinHandle<()>>,
}

fn config_toml(dir: &Path, address: &Path) -> String {
    let d = dir.display();
    let a = address.display();
    format!(
        r#"version = 2
root = "{d}/root"
state = "{d}/state"
temp = "{d}/tmp"
oom_score = 0
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "{a}"
  tcp_address = ""

[ttrpc]
  address = "{a}.ttrpc"

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""

[cgroup]
  path = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"
"#
    )
}

impl Containerd {
    /// Starts a private containerd, or returns `None` (after printing why) when the test must
    /// be skipped. Panics when containerd does not come up in 20 s (showing its log).
    pub fn start(name: &str) -> Option<Containerd> {
        if crate::skipped(name, skip_reason()) {
            return None;
        }
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let dir = env::temp_dir().join(format!("berth-e2e-ctrd-{pid}-{n}"));
        let _ = fs::remove_dir_all(&dir);
        for d in [
            "root", "state", "tmp", "opt", "fifo", "out", "bin", "captured",
        ] {
            fs::create_dir_all(dir.join(d)).expect("create containerd temp dirs");
        }
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o711)).expect("chmod temp dir");
        let runtime = match runtime_binary(&dir.join("bin")) {
            Ok(r) => r,
            Err(e) => {
                let _ = fs::remove_dir_all(&dir);
                panic!("{name}: {e}");
            }
        };
        let runtime = if tracing() {
            trace_wrapper(&dir, &runtime)
        } else {
            runtime
        };
        let address = dir.join("containerd.sock");
        let config = dir.join("config.toml");
        fs::write(&config, config_toml(&dir, &address)).expect("write config.toml");
        let log = dir.join("containerd.log");
        let logf = File::create(&log).expect("create containerd.log");
        let child = Command::new("containerd")
            .arg("--config")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(logf.try_clone().expect("dup log fd"))
            .stderr(logf)
            .env("TMPDIR", dir.join("tmp"))
            .env_remove("XDG_RUNTIME_DIR")
            .env_remove("NOTIFY_SOCKET")
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: cannot start containerd: {e}"));
        let namespace = format!("berth-e2e-{pid}-{n}");
        let state = dir.join("state");
        let stop_watch = Arc::new(AtomicBool::new(false));
        let watcher = {
            let bundles = state.join("io.containerd.runtime.v2.task").join(&namespace);
            let captured = dir.join("captured");
            let stop = stop_watch.clone();
            thread::spawn(move || watch_bundles(&bundles, &captured, &stop))
        };
        LIVE.fetch_add(1, Ordering::SeqCst);
        let mut c = Containerd {
            name: name.to_string(),
            scratch: dir.join("out"),
            fifo_dir: dir.join("fifo"),
            dir,
            address,
            namespace,
            state,
            runtime,
            child: Some(child),
            log,
            ids: Default::default(),
            stop_watch,
            watcher: Some(watcher),
        };
        c.wait_ready();
        Some(c)
    }

    fn wait_ready(&mut self) {
        let start = Instant::now();
        loop {
            if let Some(Ok(Some(st))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!(
                    "{}: containerd exited ({st}) while starting:\n{}",
                    self.name,
                    self.log_tail(60)
                );
            }
            if self.address.exists()
                && self
                    .ctr_timeout(&["version"], Duration::from_secs(5))
                    .success()
            {
                return;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!(
                    "{}: containerd did not serve {} within 20 s:\n{}",
                    self.name,
                    self.address.display(),
                    self.log_tail(60)
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The pid of this containerd.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// A fresh container id, unique within this instance: `<name>-<n>`.
    pub fn id(&self, name: &str) -> String {
        format!("{name}-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
    }

    /// `ctr -a <sock> -n <ns> args...` with the default deadline.
    pub fn ctr(&self, args: &[&str]) -> Output {
        self.ctr_timeout(args, CTR_TIMEOUT)
    }

    /// `ctr -a <sock> -n <ns> args...` with a deadline.
    pub fn ctr_timeout(&self, args: &[&str], timeout: Duration) -> Output {
        let mut v = vec![
            "-a".to_string(),
            self.address.display().to_string(),
            "-n".into(),
            self.namespace.clone(),
        ];
        v.extend(args.iter().map(|s| s.to_string()));
        cmd::run(Path::new("ctr"), &v, &self.scratch, timeout)
    }

    /// Builds the busybox image archive (see [`busybox_archive`]) as `berth-e2e/busybox:<tag>`
    /// in `format`, imports it with `ctr image import`, and returns it; panics if that fails.
    pub fn import_busybox(&self, tag: &str, format: ArchiveFormat) -> ImageArchive {
        let work = self.dir.join(format!("image-{tag}"));
        fs::create_dir_all(&work).expect("create image work dir");
        let a = busybox_archive(
            &work,
            &work.join("image.tar"),
            &format!("berth-e2e/busybox:{tag}"),
            format,
        )
        .unwrap_or_else(|e| panic!("{}: writing the image archive: {e}", self.name));
        let o = self.ctr(&["image", "import", &a.path.display().to_string()]);
        assert!(
            o.success(),
            "{}: ctr image import failed:\n{o}\ncontainerd log:\n{}",
            self.name,
            self.log_tail(30)
        );
        let ls = self.ctr(&["image", "ls", "-q"]).ok();
        assert!(
            ls.lines().contains(&a.normalized),
            "{}: imported image {} is not listed by `ctr image ls -q`:\n{ls}",
            self.name,
            a.normalized
        );
        a
    }

    /// `ctr run [flags] --runc-binary <runtime> --fifo-dir <tmp> <image> <id> args...`;
    /// remembers `id` for cleanup.
    pub fn run(&self, flags: &[&str], image: &str, id: &str, args: &[&str]) -> Output {
        self.track(id);
        let rt = self.runtime.display().to_string();
        let fifo = self.fifo_dir.display().to_string();
        let mut a = vec!["run"];
        a.extend_from_slice(flags);
        a.extend_from_slice(&["--runc-binary", &rt, "--fifo-dir", &fifo, image, id]);
        a.extend_from_slice(args);
        self.ctr(&a)
    }

    /// `ctr task exec --exec-id <exec_id> --fifo-dir <tmp> <id> args...`.
    pub fn exec(&self, id: &str, exec_id: &str, args: &[&str]) -> Output {
        let fifo = self.fifo_dir.display().to_string();
        let mut a = vec![
            "task",
            "exec",
            "--exec-id",
            exec_id,
            "--fifo-dir",
            &fifo,
            id,
        ];
        a.extend_from_slice(args);
        self.ctr(&a)
    }

    fn track(&self, id: &str) {
        let mut ids = self.ids.borrow_mut();
        if !ids.iter().any(|i| i == id) {
            ids.push(id.to_string());
        }
    }

    /// The task's (pid, status) from `ctr task ls`, e.g. `(1234, "RUNNING")`.
    pub fn task(&self, id: &str) -> Option<(i32, String)> {
        let o = self.ctr(&["task", "ls"]);
        o.lines().iter().skip(1).find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 3 && f[0] == id).then(|| (f[1].parse().unwrap_or(0), f[2].to_string()))
        })
    }

    /// The bundle containerd made for task `id` (exists while the task does).
    pub fn bundle_dir(&self, id: &str) -> PathBuf {
        self.state
            .join("io.containerd.runtime.v2.task")
            .join(&self.namespace)
            .join(id)
    }

    /// The runtime's state dir the shim uses (`runc --root`): `/run/containerd/runc/<ns>`.
    pub fn runtime_root(&self) -> PathBuf {
        Path::new(RUN_DIR).join("runc").join(&self.namespace)
    }

    /// The runtime's `log.json` for `id`: the live file, else the copy the watcher kept.
    pub fn runtime_log(&self, id: &str) -> Option<String> {
        self.bundle_file(id, "log.json")
    }

    /// The config.json containerd wrote for `id`: the live file, else the watcher's copy.
    pub fn bundle_config(&self, id: &str) -> Option<String> {
        self.bundle_file(id, "config.json")
    }

    /// File `name` of the bundle of `id`: the live file, else the copy the watcher kept.
    fn bundle_file(&self, id: &str, name: &str) -> Option<String> {
        fs::read_to_string(self.bundle_dir(id).join(name))
            .or_else(|_| fs::read_to_string(self.dir.join("captured").join(id).join(name)))
            .ok()
    }

    /// The last `n` lines of containerd's own log (shim messages land there too).
    pub fn log_tail(&self, n: usize) -> String {
        let s = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Everything useful after a failure around container `id`: the command's output, the
    /// runtime in use, its `log.json`, and containerd's log lines naming `id` (or its tail).
    pub fn explain(&self, o: &Output, id: &str) -> String {
        let log = self.runtime_log(id).map(|s| {
            if s.trim().is_empty() {
                "(empty)".into()
            } else {
                s
            }
        });
        let cd = fs::read_to_string(&self.log).unwrap_or_default();
        let about: Vec<&str> = cd.lines().filter(|l| l.contains(id)).collect();
        let about = if about.is_empty() {
            self.log_tail(25)
        } else {
            about[about.len().saturating_sub(40)..].join("\n")
        };
        let trace = fs::read_to_string(self.dir.join("runtime-trace.log"))
            .map(|t| format!("\n  --- runtime trace (BERTH_CONTAINERD_TRACE):\n{t}"))
            .unwrap_or_default();
        format!(
            "{o}\n  runtime: {}\n  --- runtime log.json ({}):\n{}\n  --- containerd log:\n{}{trace}",
            self.runtime.display(),
            self.bundle_dir(id).join("log.json").display(),
            log.unwrap_or_else(|| "(none was written)".into()),
            about
        )
    }

    /// Kills, deletes and removes container `id` through ctr (errors ignored).
    pub fn remove_container(&self, id: &str) {
        let t = Duration::from_secs(20);
        if self.task(id).is_some() {
            let _ = self.ctr_timeout(&["task", "kill", "-s", "SIGKILL", id], t);
            let start = Instant::now();
            while self.task(id).is_some_and(|(_, s)| s != "STOPPED")
                && start.elapsed() < Duration::from_secs(10)
            {
                thread::sleep(Duration::from_millis(50));
            }
            let _ = self.ctr_timeout(&["task", "delete", "--force", id], t);
        }
        let _ = self.ctr_timeout(&["container", "rm", id], t);
    }

    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = Pid::from_raw(child.id() as i32);
        let _ = kill(pid, Signal::SIGTERM);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Leftovers after containers were removed and containerd stopped, and how to remove them.
    fn leftovers(&self, ids: &[String]) -> (Vec<String>, Vec<i32>) {
        let mut items = Vec::new();
        let mut pids = Vec::new();
        let addr = self.address.display().to_string();
        for p in leaks::pids_with_cmdline(&addr) {
            items.push(format!("shim process {p} left: {}", cmdline(p)));
            pids.push(p);
        }
        for p in leaks::pids_in_cgroup(&format!("/{}", self.namespace)) {
            if !pids.contains(&p) {
                items.push(format!(
                    "process {p} left in cgroup /{}: {}",
                    self.namespace,
                    cmdline(p)
                ));
                pids.push(p);
            }
        }
        for p in leaks::pids_inside(&self.dir) {
            if !pids.contains(&p) {
                items.push(format!(
                    "process {p} left with cwd/root under {}: {}",
                    self.dir.display(),
                    cmdline(p)
                ));
                pids.push(p);
            }
        }
        for (_, line) in leaks::mounts_naming(&self.dir) {
            items.push(format!("mount left: {line}"));
        }
        for id in ids {
            for d in cgroup::existing_dirs(&format!("/{}/{id}", self.namespace)) {
                items.push(format!("cgroup directory left: {}", d.display()));
            }
            let st = self.runtime_root().join(id);
            if st.exists() {
                items.push(format!("runtime state left: {}", st.display()));
            }
            let sock = self.shim_socket(id);
            if sock.exists() {
                items.push(format!("shim socket left: {}", sock.display()));
            }
        }
        (items, pids)
    }

    /// The shim's socket for task `id`: `/run/containerd/s/<sha256(address/ns/id)>`.
    fn shim_socket(&self, id: &str) -> PathBuf {
        let key = self.address.join(&self.namespace).join(id);
        let h: String = Sha256::digest(key.as_os_str().as_encoded_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Path::new(RUN_DIR).join("s").join(h)
    }

    fn force_clean(&self, ids: &[String], pids: &[i32]) {
        leaks::kill_and_wait(pids);
        leaks::unmount_deepest_first(
            leaks::mounts_naming(&self.dir)
                .into_iter()
                .map(|(m, _)| m)
                .collect(),
        );
        for d in cgroup::existing_dirs(&format!("/{}", self.namespace)) {
            leaks::rmdir_tree(&d);
        }
        let _ = fs::remove_dir_all(self.runtime_root());
        for id in ids {
            let _ = fs::remove_file(self.shim_socket(id));
        }
        // Shared dirs: removed only when empty and by the last instance of this process
        // (containerd, shims and runc recreate them as needed).
        if LIVE.fetch_sub(1, Ordering::SeqCst) != 1 {
            return;
        }
        for d in ["runc", "s", "fifo"] {
            let _ = fs::remove_dir(Path::new(RUN_DIR).join(d));
        }
        let _ = fs::remove_dir(RUN_DIR);
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        let mut ids = self.ids.borrow().clone();
        if self.child.is_some() {
            let listed = self.ctr_timeout(&["container", "ls", "-q"], Duration::from_secs(10));
            for l in listed.lines() {
                if !ids.contains(&l) {
                    ids.push(l);
                }
            }
            for id in &ids {
                self.remove_container(id);
            }
        }
        self.stop();
        self.stop_watch.store(true, Ordering::Relaxed);
        if let Some(w) = self.watcher.take() {
            let _ = w.join();
        }
        let mut left = self.leftovers(&ids);
        let start = Instant::now();
        while !left.0.is_empty() && start.elapsed() < Duration::from_secs(2) {
            thread::sleep(Duration::from_millis(50));
            left = self.leftovers(&ids);
        }
        self.force_clean(&ids, &left.1);
        let trace = self.dir.join("runtime-trace.log");
        if trace.exists() {
            let keep = env::temp_dir().join(format!("{}-runtime-trace.log", self.namespace));
            if fs::copy(&trace, &keep).is_ok() {
                let _ = writeln!(
                    std::io::stderr(),
                    "{}: runtime trace kept in {}",
                    self.name,
                    keep.display()
                );
            }
        }
        leaks::remove_dir_unless_mounted(&self.name, &self.dir);
        if !left.0.is_empty() && !thread::panicking() {
            panic!(
                "{}: left behind after removing every container through ctr:\n  {}",
                self.name,
                left.0.join("\n  ")
            );
        }
    }
}

/// Hard-links `log.json` and `config.json` of every bundle under `bundles` into
/// `captured/<id>/` as they appear, until `stop` is set.
fn watch_bundles(bundles: &Path, captured: &Path, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        if let Ok(rd) = fs::read_dir(bundles) {
            for e in rd.flatten() {
                let id = e.file_name();
                for f in ["log.json", "config.json"] {
                    let dst = captured.join(&id).join(f);
                    if dst.exists() {
                        continue;
                    }
                    let src = e.path().join(f);
                    if src.exists() {
                        let _ = fs::create_dir_all(captured.join(&id));
                        let _ = fs::hard_link(&src, &dst);
                    }
                }
            }
        }
        thread::sleep(Duration::from_millis(2));
    }
}
