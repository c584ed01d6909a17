//! The runtime under test, driven through its runc-compatible command line.
//!
//! `BERTH_RUNTIME` names a runc-compatible binary (`/usr/sbin/runc`, `/usr/bin/crun`, ...).
//! Unset, the harness uses the workspace's built `berth` binary under the name `berth-runc`
//! (the binary dispatches on argv[0]) through a symlink in the test's temp dir.

use std::cell::RefCell;
use std::env;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::bundle::Bundle;
use crate::cmd::{self, Output};

/// Default deadline for one runtime command.
pub const CMD_TIMEOUT: Duration = Duration::from_secs(30);

/// A container the harness must clean up: its id, bundle and cgroupsPath.
#[derive(Debug, Clone)]
pub(crate) struct Tracked {
    pub id: String,
    pub bundle: PathBuf,
    pub cgroup: Option<String>,
}

/// A runtime binary plus a private `--root` state directory.
pub struct Runtime {
    /// The binary (or the `berth-runc` symlink) invoked.
    pub bin: PathBuf,
    /// The fresh `--root` directory of this test.
    pub root: PathBuf,
    scratch: PathBuf,
    pub(crate) tracked: Rc<RefCell<Vec<Tracked>>>,
}

/// Finds the runtime binary: `BERTH_RUNTIME`, else `berth` from the cargo target dir, linked
/// as `berth-runc` inside `link_dir`. Errors say what to do.
pub(crate) fn locate(link_dir: &Path) -> Result<PathBuf, String> {
    if let Some(rt) = from_env("BERTH_RUNTIME") {
        return rt;
    }
    let berth = berth_binary()?;
    fs::create_dir_all(link_dir).map_err(|e| e.to_string())?;
    let link = link_dir.join("berth-runc");
    let _ = fs::remove_file(&link);
    symlink(&berth, &link).map_err(|e| format!("symlink {}: {e}", link.display()))?;
    Ok(link)
}

/// The workspace's newest built `berth` binary (debug or release), canonicalised.
pub fn berth_binary() -> Result<PathBuf, String> {
    let target = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| option_env!("CARGO_TARGET_DIR").map(PathBuf::from))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let target = if target.is_relative() {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(target)
    } else {
        target
    };
    let newest = ["debug", "release"]
        .iter()
        .map(|p| target.join(p).join("berth"))
        .filter(|p| p.is_file())
        .max_by_key(|p| fs::metadata(p).and_then(|m| m.modified()).ok());
    let Some(berth) = newest else {
        return Err(format!(
            "no berth binary in {}/{{debug,release}}: run `cargo build -p berth` first \
             (or set BERTH_RUNTIME=/path/to/a/runc-compatible/runtime)",
            target.display()
        ));
    };
    berth
        .canonicalize()
        .map_err(|e| format!("{}: {e}", berth.display()))
}

/// The binary environment variable `var` names (a path, or a name looked up on PATH); `None`
/// when it is unset or empty, an error when it names no existing file.
pub(crate) fn from_env(var: &str) -> Option<Result<PathBuf, String>> {
    let v = env::var_os(var).filter(|v| !v.is_empty())?;
    let p = PathBuf::from(&v);
    let p = if p.components().count() == 1 {
        which(&v).unwrap_or(p)
    } else {
        p
    };
    if !p.is_file() {
        return Some(Err(format!(
            "{var}={} is not an existing file",
            p.display()
        )));
    }
    Some(Ok(p))
}

/// The first file called `name` in a directory of PATH.
pub(crate) fn which(name: &OsStr) -> Option<PathBuf> {
    env::split_paths(&env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

impl Runtime {
    pub(crate) fn new(bin: PathBuf, root: PathBuf, scratch: PathBuf) -> Runtime {
        Runtime {
            bin,
            root,
            scratch,
            tracked: Rc::new(RefCell::new(Vec::new())),
        }
    }

    /// The runtime's file name (`runc`, `crun`, `berth-runc`), for messages.
    pub fn name(&self) -> String {
        self.bin
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// `<rt> --root <root> args...` with the default deadline.
    pub fn cmd(&self, args: &[&str]) -> Output {
        self.cmd_timeout(args, CMD_TIMEOUT)
    }

    /// `<rt> --root <root> args...` with a deadline.
    pub fn cmd_timeout(&self, args: &[&str], timeout: Duration) -> Output {
        let mut v = vec!["--root".to_string(), self.root.display().to_string()];
        v.extend(args.iter().map(|s| s.to_string()));
        cmd::run(&self.bin, &v, &self.scratch, timeout)
    }

    /// `<rt> --root <root> args...` with extra environment variables (through `env(1)`, so
    /// the harness's own environment stays as it is).
    pub fn cmd_env(&self, vars: &[(&str, &str)], args: &[&str]) -> Output {
        let mut v: Vec<String> = vars.iter().map(|(k, val)| format!("{k}={val}")).collect();
        v.push(self.bin.display().to_string());
        v.extend(["--root".to_string(), self.root.display().to_string()]);
        v.extend(args.iter().map(|s| s.to_string()));
        cmd::run(Path::new("/usr/bin/env"), &v, &self.scratch, CMD_TIMEOUT)
    }

    /// `<verb> --bundle <dir> [extra...] <id>` with extra environment variables (see
    /// [`Runtime::cmd_env`]), after writing `b` for `id` and tracking it.
    pub fn with_bundle_env(
        &self,
        vars: &[(&str, &str)],
        verb: &str,
        id: &str,
        b: &Bundle,
        extra: &[&str],
    ) -> Output {
        self.track(id, b);
        let dir = b.dir.display().to_string();
        let mut a = vec![verb, "--bundle", &dir];
        a.extend_from_slice(extra);
        a.push(id);
        self.cmd_env(vars, &a)
    }

    fn track(&self, id: &str, b: &Bundle) {
        let cgroup = b.write_for(id);
        let mut t = self.tracked.borrow_mut();
        if !t.iter().any(|x| x.id == id) {
            t.push(Tracked {
                id: id.to_string(),
                bundle: b.dir.clone(),
                cgroup,
            });
        }
    }

    /// `spec --bundle dir`: the runtime writes `dir/config.json`.
    pub fn spec(&self, dir: &Path) -> Output {
        self.cmd(&["spec", "--bundle", &dir.display().to_string()])
    }

    /// Foreground `run --bundle <dir> <id>`: output captured, exit code of the container.
    pub fn run(&self, id: &str, b: &Bundle) -> Output {
        self.run_with(id, b, &[])
    }

    /// `run` with extra flags placed before the id.
    pub fn run_with(&self, id: &str, b: &Bundle, extra: &[&str]) -> Output {
        self.with_bundle("run", id, b, extra)
    }

    /// `create --bundle <dir> <id>`. The container's stdio is the returned Output's files.
    pub fn create(&self, id: &str, b: &Bundle) -> Output {
        self.create_with(id, b, &[])
    }

    /// `create` with extra flags (`--console-socket`, `--pid-file`, ...).
    pub fn create_with(&self, id: &str, b: &Bundle, extra: &[&str]) -> Output {
        self.with_bundle("create", id, b, extra)
    }

    /// `<verb> --bundle <dir> [extra...] <id>`, after writing `b` for `id` and tracking it.
    fn with_bundle(&self, verb: &str, id: &str, b: &Bundle, extra: &[&str]) -> Output {
        self.track(id, b);
        let dir = b.dir.display().to_string();
        let mut a = vec![verb, "--bundle", &dir];
        a.extend_from_slice(extra);
        a.push(id);
        self.cmd(&a)
    }

    /// `create` then `start` of `id`, both of which must succeed.
    #[track_caller]
    pub fn create_and_start(&self, id: &str, b: &Bundle) {
        self.create(id, b).ok();
        self.start(id).ok();
    }

    /// Starts `create --bundle <dir> <id>` in the background (stdio to null), for tests that
    /// kill the runtime half-way.
    pub fn spawn_create(&self, id: &str, b: &Bundle) -> std::process::Child {
        self.track(id, b);
        std::process::Command::new(&self.bin)
            .arg("--root")
            .arg(&self.root)
            .args(["create", "--bundle"])
            .arg(&b.dir)
            .arg(id)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn the runtime")
    }

    /// `start <id>`.
    pub fn start(&self, id: &str) -> Output {
        self.cmd(&["start", id])
    }

    /// `state <id>`.
    pub fn state(&self, id: &str) -> Output {
        self.cmd(&["state", id])
    }

    /// `state <id>` parsed; panics if the command fails or prints something else than JSON.
    #[track_caller]
    pub fn state_json(&self, id: &str) -> Value {
        let o = self.state(id).ok();
        serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("state is not JSON ({e}):\n{o}"))
    }

    /// The `status` field of `state <id>`, or `None` when `state` fails.
    pub fn status(&self, id: &str) -> Option<String> {
        let o = self.state(id);
        if !o.success() {
            return None;
        }
        let v: Value = serde_json::from_str(&o.stdout).ok()?;
        v["status"].as_str().map(String::from)
    }

    /// The `pid` field of `state <id>`.
    #[track_caller]
    pub fn pid(&self, id: &str) -> i32 {
        let v = self.state_json(id);
        v["pid"]
            .as_i64()
            .unwrap_or_else(|| panic!("state has no pid: {v}")) as i32
    }

    /// Polls `state` until `status` is `want` (up to `timeout`); panics with the last state.
    #[track_caller]
    pub fn wait_status(&self, id: &str, want: &str, timeout: Duration) {
        let start = Instant::now();
        loop {
            let got = self.status(id);
            if got.as_deref() == Some(want) {
                return;
            }
            if start.elapsed() > timeout {
                panic!("container {id} did not reach status {want:?} within {timeout:?}; last: {got:?}\n{}", self.state(id));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// `kill <id> <signal>`.
    pub fn kill(&self, id: &str, signal: &str) -> Output {
        self.cmd(&["kill", id, signal])
    }

    /// `kill <id> <signal>`, which must succeed, then waits (up to `timeout`) for `stopped`.
    #[track_caller]
    pub fn kill_and_wait(&self, id: &str, signal: &str, timeout: Duration) {
        self.kill(id, signal).ok();
        self.wait_status(id, "stopped", timeout);
    }

    /// `kill --all <id> <signal>`.
    pub fn kill_all(&self, id: &str, signal: &str) -> Output {
        self.cmd(&["kill", "--all", id, signal])
    }

    /// `delete <id>`.
    pub fn delete(&self, id: &str) -> Output {
        self.cmd(&["delete", id])
    }

    /// `delete --force <id>`.
    pub fn delete_force(&self, id: &str) -> Output {
        self.cmd(&["delete", "--force", id])
    }

    /// `exec [opts...] <id> [args...]`.
    pub fn exec(&self, id: &str, opts: &[&str], args: &[&str]) -> Output {
        let mut a = vec!["exec"];
        a.extend_from_slice(opts);
        a.push(id);
        a.extend_from_slice(args);
        self.cmd(&a)
    }

    /// `ps --format json <id>`.
    pub fn ps_json(&self, id: &str) -> Output {
        self.cmd(&["ps", "--format", "json", id])
    }

    /// `list [args...]`.
    pub fn list(&self, args: &[&str]) -> Output {
        let mut a = vec!["list"];
        a.extend_from_slice(args);
        self.cmd(&a)
    }

    /// `pause <id>`.
    pub fn pause(&self, id: &str) -> Output {
        self.cmd(&["pause", id])
    }

    /// `resume <id>`.
    pub fn resume(&self, id: &str) -> Output {
        self.cmd(&["resume", id])
    }

    /// `update [opts...] <id>`.
    pub fn update(&self, id: &str, opts: &[&str]) -> Output {
        let mut a = vec!["update"];
        a.extend_from_slice(opts);
        a.push(id);
        self.cmd(&a)
    }

    /// Where the scratch files of this runtime's commands go.
    pub fn scratch(&self) -> &Path {
        &self.scratch
    }
}
