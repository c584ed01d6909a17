//! Helpers for the `berth compose` tests (`5x0_compose_*`): a [`Project`] is a directory
//! holding compose files below a [`Berth`] test dir, with a unique project name; its commands
//! run with the project dir as the current directory (so compose finds `compose.yaml`
//! itself), inside the test's network namespace. Dropping it (also on panic) kills the
//! background commands it started (their own process groups only), runs `compose down -v
//! --remove-orphans -t 0`, and fails the test if the project left containers, networks or
//! volumes behind; the [`Berth`] guard then checks mounts, monitors and links. Also what
//! several of those test files share: [`setup`] (a test with a busybox image), compose
//! `command:`s ([`sleeper_cmd`], [`web_cmd`]), projects of scripts ([`script_services`]),
//! HTTP probes ([`http_get`], [`wait_http`], [`in_container_get`]), output helpers
//! ([`sorted_lines`], [`strs`], [`progress`], [`assert_progress`], [`table_header`]) and
//! [`wait_logs`].

use std::cell::RefCell;
use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use serde_json::Value;

use crate::cmd::{self, Output};
use crate::engine::{Berth, ENGINE_TIMEOUT};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A container command that runs until stopped and exits at once on SIGTERM (a plain
/// `sleep` as PID 1 ignores SIGTERM, and every stop would wait for the timeout).
pub const SLEEPER: &str = "trap 'exit 0' TERM; sleep 1000 & wait";

/// One compose project of a test.
pub struct Project<'a> {
    /// The test.
    pub b: &'a Berth,
    /// The project name (`-p`), unique to this test process.
    pub name: String,
    /// The project directory (its basename is `name`); holds compose.yaml.
    pub dir: PathBuf,
    bg: RefCell<Vec<Background>>,
}

/// A berth command running in the background, in a process group of its own.
pub struct Background {
    child: Child,
    /// The command line, for messages.
    pub cmdline: String,
    stdout: PathBuf,
    stderr: PathBuf,
    status: Option<ExitStatus>,
}

impl Background {
    /// What it wrote to stdout so far.
    pub fn stdout_now(&self) -> String {
        read(&self.stdout)
    }

    /// What it wrote to stderr so far.
    pub fn stderr_now(&self) -> String {
        read(&self.stderr)
    }

    /// Its exit status, if it has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Waits up to `timeout` for it to exit by itself; `None` if it is still running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(s) = self.exited() {
                return Some(s);
            }
            if start.elapsed() > timeout {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything about it, for assertion messages.
    pub fn describe(&mut self) -> String {
        let status = self.exited();
        format!(
            "  command: {}\n  status:  {:?}\n  stdout:  {}\n  stderr:  {}",
            self.cmdline,
            status,
            self.stdout_now().trim_end().replace('\n', "\n           "),
            self.stderr_now().trim_end().replace('\n', "\n           ")
        )
    }

    /// Kills its process group (the one this harness created for it) if it still runs.
    pub fn kill(&mut self) {
        if self.exited().is_none() {
            let _ = killpg(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL);
            self.status = self.child.wait().ok();
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.kill();
    }
}

fn read(p: &Path) -> String {
    fs::read(p)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

impl<'a> Project<'a> {
    /// A project `<short>-<pid>-<n>` whose compose.yaml is `compose_yaml`.
    pub fn new(b: &'a Berth, short: &str, compose_yaml: &str) -> Project<'a> {
        let name = format!(
            "{short}-{}-{}",
            std::process::id() % 100_000,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let dir = b.dir.join("projects").join(&name);
        fs::create_dir_all(&dir).expect("create the project dir");
        let p = Project {
            b,
            name,
            dir,
            bg: RefCell::new(Vec::new()),
        };
        p.write("compose.yaml", compose_yaml);
        p
    }

    /// Writes `text` to `rel` below the project dir (parents made); returns the path.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.dir.join(rel);
        fs::create_dir_all(path.parent().unwrap()).expect("create parent dir");
        fs::write(&path, text).expect("write project file");
        path
    }

    /// `berth --root R compose -p <name> args...` from the project dir.
    pub fn compose(&self, args: &[&str]) -> Output {
        self.compose_env(&[], args)
    }

    /// [`Project::compose`] with extra environment variables.
    pub fn compose_env(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        let mut all = vec!["-p", self.name.as_str()];
        all.extend_from_slice(args);
        self.compose_in(&self.dir, env, &all)
    }

    /// [`Project::compose`], which must succeed and leave the project no containers (in any
    /// state, one-off ones included); returns its output.
    #[track_caller]
    pub fn compose_removing_all(&self, args: &[&str]) -> Output {
        let o = self.compose(args).ok();
        assert_eq!(
            self.ids(),
            Vec::<String>::new(),
            "`compose {}` left containers:\n{o}",
            args.join(" ")
        );
        o
    }

    /// `berth --root R compose args...` (no `-p` added) from `cwd`, with `env` added.
    pub fn compose_in(&self, cwd: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
        self.compose_in_timeout(cwd, env, args, ENGINE_TIMEOUT)
    }

    fn command_line(&self, cwd: &Path, env: &[(&str, &str)], args: &[&str]) -> Vec<String> {
        // `env -C DIR K=V... berth --root R compose ...`: the harness's runner has no cwd.
        let mut v = vec!["-C".to_string(), cwd.display().to_string()];
        v.extend(env.iter().map(|(k, val)| format!("{k}={val}")));
        v.push(self.b.bin.display().to_string());
        v.push("--root".into());
        v.push(self.b.root.display().to_string());
        v.push("compose".into());
        v.extend(args.iter().map(|s| s.to_string()));
        v
    }

    fn compose_in_timeout(
        &self,
        cwd: &Path,
        env: &[(&str, &str)],
        args: &[&str],
        timeout: Duration,
    ) -> Output {
        cmd::run(
            Path::new("/usr/bin/env"),
            &self.command_line(cwd, env, args),
            &self.b.dir.join("out"),
            timeout,
        )
    }

    /// Starts `compose -p <name> args...` in the background (killed, if still running, when
    /// the project is dropped); returns its index for [`Project::bg`].
    pub fn spawn(&self, args: &[&str]) -> usize {
        let mut all = vec!["-p", self.name.as_str()];
        all.extend_from_slice(args);
        let argv = self.command_line(&self.dir, &[], &all);
        let mut bg = self.bg.borrow_mut();
        let n = bg.len();
        let out_dir = self.b.dir.join("bg");
        fs::create_dir_all(&out_dir).expect("create bg dir");
        let stdout = out_dir.join(format!("{}-{n}.stdout", self.name));
        let stderr = out_dir.join(format!("{}-{n}.stderr", self.name));
        let child = Command::new("/usr/bin/env")
            .args(&argv)
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).expect("create stdout file"))
            .stderr(File::create(&stderr).expect("create stderr file"))
            .process_group(0)
            .spawn()
            .expect("spawn berth compose");
        bg.push(Background {
            child,
            cmdline: format!("env {}", argv.join(" ")),
            stdout,
            stderr,
            status: None,
        });
        n
    }

    /// Runs `f` on background command `n`.
    pub fn bg<R>(&self, n: usize, f: impl FnOnce(&mut Background) -> R) -> R {
        f(&mut self.bg.borrow_mut()[n])
    }

    /// `<project>-<service>-<n>`.
    pub fn container(&self, service: &str, n: u32) -> String {
        format!("{}-{service}-{n}", self.name)
    }

    /// `berth exec <project>-<service>-1 args...`: the engine's exec, for tests whose
    /// subject is not `compose exec`.
    pub fn exec(&self, service: &str, args: &[&str]) -> Output {
        let c = self.container(service, 1);
        let mut all = vec!["exec", c.as_str()];
        all.extend_from_slice(args);
        self.b.cmd(&all)
    }

    /// `<project>_<name>` (networks and volumes).
    pub fn scoped(&self, name: &str) -> String {
        format!("{}_{name}", self.name)
    }

    /// Full IDs of the project's containers (all states, one-off ones included), sorted.
    pub fn ids(&self) -> Vec<String> {
        let filter = format!("label=com.docker.compose.project={}", self.name);
        let mut v = self
            .b
            .cmd(&["ps", "-a", "-q", "--no-trunc", "--filter", &filter])
            .ok()
            .lines();
        v.sort();
        v
    }

    /// Names of the project's containers (all states), sorted.
    #[track_caller]
    pub fn names(&self) -> Vec<String> {
        self.names_lenient(true)
    }

    fn names_lenient(&self, strict: bool) -> Vec<String> {
        let filter = format!("label=com.docker.compose.project={}", self.name);
        let o = self
            .b
            .cmd(&["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"]);
        let mut v = if strict { o.ok().lines() } else { o.lines() };
        v.sort();
        v
    }

    /// `berth inspect <what>`, the first element, or `None` when it does not exist.
    pub fn try_inspect(&self, what: &str) -> Option<Value> {
        let o = self.b.cmd(&["inspect", what]);
        if !o.success() {
            return None;
        }
        let v: Value = serde_json::from_str(&o.stdout)
            .unwrap_or_else(|e| panic!("inspect {what} printed no JSON ({e}):\n{o}"));
        Some(v[0].clone())
    }

    /// `berth inspect <what>`, the first element; panics when it fails.
    #[track_caller]
    pub fn inspect(&self, what: &str) -> Value {
        self.try_inspect(what)
            .unwrap_or_else(|| panic!("inspect {what}:\n{}", self.b.cmd(&["inspect", what])))
    }

    /// The full ID of container `name`.
    #[track_caller]
    pub fn id_of(&self, name: &str) -> String {
        self.inspect(name)["Id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// A label of container `name` ("" when unset).
    #[track_caller]
    pub fn label(&self, name: &str, key: &str) -> String {
        self.inspect(name)["Config"]["Labels"][key]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// `.State.Status` of container `name`, `None` when it does not exist.
    pub fn status(&self, name: &str) -> Option<String> {
        self.try_inspect(name).map(|v| {
            v["State"]["Status"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
    }

    /// Whether container `name` exists and runs.
    pub fn running(&self, name: &str) -> bool {
        self.status(name).as_deref() == Some("running")
    }

    /// Names of berth's networks that belong to the project (`<project>_...`), sorted.
    #[track_caller]
    pub fn networks(&self) -> Vec<String> {
        self.scoped_list("network", true)
    }

    /// Names of berth's volumes that belong to the project (`<project>_...`), sorted.
    #[track_caller]
    pub fn volumes(&self) -> Vec<String> {
        self.scoped_list("volume", true)
    }

    fn scoped_list(&self, kind: &str, strict: bool) -> Vec<String> {
        let prefix = format!("{}_", self.name);
        let o = self.b.cmd(&[kind, "ls", "--format", "{{.Name}}"]);
        let o = if strict { o.ok() } else { o };
        let mut v: Vec<String> = o
            .lines()
            .into_iter()
            .filter(|n| n.starts_with(&prefix))
            .collect();
        v.sort();
        v
    }

    /// `compose ps --format json` parsed: one object per container (compose prints one
    /// JSON object per line; an array is accepted too).
    #[track_caller]
    pub fn ps_json(&self, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["ps", "--format", "json"];
        args.extend_from_slice(extra);
        let o = self.compose(&args).ok();
        parse_json_rows(&o)
    }

    /// Polls `cond` every 50 ms up to `timeout`; panics with `what` when it never holds.
    #[track_caller]
    pub fn wait_for(&self, what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
        assert!(
            crate::wait_until(timeout, || {
                let ok = cond();
                if !ok {
                    std::thread::sleep(Duration::from_millis(30));
                }
                ok
            }),
            "{}: gave up after {timeout:?} waiting for {what}",
            self.name
        );
    }

    /// Everything of the project that is still there: containers, networks, volumes.
    pub fn leftovers(&self) -> Vec<String> {
        let mut out: Vec<String> = (self.names_lenient(false).into_iter())
            .map(|n| format!("container {n}"))
            .collect();
        out.extend(
            (self.scoped_list("network", false).into_iter()).map(|n| format!("network {n}")),
        );
        out.extend((self.scoped_list("volume", false).into_iter()).map(|n| format!("volume {n}")));
        out
    }
}

/// JSON rows of a `--format json` output: one object per line, or one array.
#[track_caller]
pub fn parse_json_rows(o: &Output) -> Vec<Value> {
    let text = o.stdout.trim();
    if text.is_empty() {
        return Vec::new();
    }
    if let Ok(Value::Array(a)) = serde_json::from_str::<Value>(text) {
        return a;
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}\n{o}"))
        })
        .collect()
}

impl Drop for Project<'_> {
    fn drop(&mut self) {
        for b in self.bg.borrow_mut().iter_mut() {
            b.kill();
        }
        let args = [
            "-p",
            self.name.as_str(),
            "down",
            "-v",
            "--remove-orphans",
            "-t",
            "0",
        ];
        let timeout = Duration::from_secs(60);
        let down = self.compose_in_timeout(&self.dir, &[], &args, timeout);
        let mut left = self.leftovers();
        if !down.success() && !left.is_empty() {
            // The project's files may be what is broken: down by the project name alone.
            let empty = self.b.dir.join("no-project-files");
            let _ = fs::create_dir_all(&empty);
            let _ = self.compose_in_timeout(&empty, &[], &args, timeout);
            left = self.leftovers();
        }
        if !left.is_empty() && !std::thread::panicking() {
            panic!(
                "{}: `compose down -v --remove-orphans` left behind:\n  {}\n{down}",
                self.name,
                left.join("\n  ")
            );
        }
    }
}

/// How long the polling helpers here, and the tests' own waits, give things to happen.
pub const LONG: Duration = Duration::from_secs(30);

/// A test with a busybox image `bb:1` (CMD ["sh"]).
pub fn setup(name: &str) -> Option<Berth> {
    let b = Berth::new(name)?;
    b.busybox_image("bb:1");
    Some(b)
}

/// A compose `command:` running busybox httpd on port 80 serving `text`, then [`SLEEPER`].
pub fn web_cmd(text: &str) -> String {
    format!(
        r#"["sh", "-c", "mkdir -p /www && echo {text} > /www/index.html && httpd -p 80 -h /www; {SLEEPER}"]"#
    )
}

/// A compose `command:` that just runs until stopped.
pub fn sleeper_cmd() -> String {
    format!(r#"["sh", "-c", "{SLEEPER}"]"#)
}

/// A compose.yaml of services on `bb:1` that each run a shell script: `(service, script)`
/// pairs, in this order. A script goes into a double-quoted YAML string as it is, so it must
/// hold no `"` or `\`.
pub fn script_services(services: &[(&str, &str)]) -> String {
    let mut yaml = String::from("services:\n");
    for (name, script) in services {
        assert!(
            !script.contains(['"', '\\']),
            "a script with a quote or backslash: {script}"
        );
        yaml +=
            &format!("  {name}:\n    image: bb:1\n    command: [\"sh\", \"-c\", \"{script}\"]\n");
    }
    yaml
}

/// An HTTP GET of `/` at 127.0.0.1:`port` from the test's network namespace (busybox nc).
pub fn http_get(b: &Berth, port: u16) -> String {
    let script = format!("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 127.0.0.1 {port}");
    b.in_netns(&["sh", "-c", &script]).stdout
}

/// Polls [`http_get`] until the answer contains `want`; panics with the last answer.
#[track_caller]
pub fn wait_http(b: &Berth, port: u16, want: &str) {
    let mut last = String::new();
    let ok = crate::wait_until(LONG, || {
        last = http_get(b, port);
        last.contains(want)
    });
    assert!(
        ok,
        "127.0.0.1:{port} never answered {want:?}; last answer: {last:?}"
    );
}

/// A shell command for inside a container: an HTTP GET of `/` at `host`:80 (busybox nc;
/// busybox-static's wget crashes).
pub fn in_container_get(host: &str) -> String {
    format!("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 {host} 80")
}

/// Sorted, trimmed, non-empty stdout lines.
pub fn sorted_lines(o: &Output) -> Vec<String> {
    let mut v = o.lines();
    v.sort();
    v
}

/// `v` as owned strings (for comparing with [`sorted_lines`] and the like).
pub fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Whether a progress line on stderr says `<kind> <name>` reached `state` (`Started`, ...).
pub fn progress(o: &Output, kind: &str, name: &str, state: &str) -> Option<usize> {
    let needle = format!("{kind} {name} ");
    let quoted = format!("{kind} \"{name}\" ");
    o.stderr
        .lines()
        .position(|l| (l.contains(&needle) || l.contains(&quoted)) && l.trim_end().ends_with(state))
}

/// Asserts that a progress line on stderr says `<kind> <name>` reached `state` (see
/// [`progress`]).
#[track_caller]
pub fn assert_progress(o: &Output, kind: &str, name: &str, state: &str) {
    assert!(
        progress(o, kind, name, state).is_some(),
        "no `{kind} {name}  {state}`:\n{o}"
    );
}

/// The column names of a table's header: the first stdout line, split at white space.
pub fn table_header(o: &Output) -> Vec<&str> {
    o.stdout
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect()
}

/// `compose logs --no-color <service>`, polled until it contains `want`.
#[track_caller]
pub fn wait_logs(p: &Project, service: &str, want: &str) -> String {
    let mut last = String::new();
    let ok = crate::wait_until(LONG, || {
        last = p.compose(&["logs", "--no-color", service]).ok().stdout;
        last.contains(want)
    });
    assert!(ok, "logs of {service} never showed {want:?}:\n{last}");
    last
}
