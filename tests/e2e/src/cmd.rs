//! Running one external command with a deadline, its stdout and stderr captured in files.
//!
//! Files rather than pipes: a runtime's `create` hands its stdio to the container process,
//! which outlives the runtime. A pipe would never reach EOF; a file can be read at any time.

use std::fmt;
use std::fs::{self, File};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

static SEQ: AtomicU64 = AtomicU64::new(0);

/// What one command did: exit status, captured output, how long it took.
#[derive(Clone)]
pub struct Output {
    /// The command line, for messages.
    pub cmdline: String,
    /// Exit code, or `None` when it died from a signal or timed out.
    pub code: Option<i32>,
    /// The signal that ended it, if any.
    pub signal: Option<i32>,
    /// True when the deadline passed and the harness killed it.
    pub timed_out: bool,
    /// Everything it (and anything sharing its stdout) wrote, up to when it exited.
    pub stdout: String,
    /// Same for stderr.
    pub stderr: String,
    /// Wall time until exit.
    pub elapsed: Duration,
    stdout_path: PathBuf,
    stderr_path: PathBuf,
}

impl Output {
    /// Runs `program args...` (see [`run`]) with a 60 s deadline.
    pub fn run_program(program: &Path, args: &[String], scratch: &Path) -> Output {
        run(program, args, scratch, Duration::from_secs(60))
    }

    /// Exited with code 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Asserts exit code 0 and returns self; the panic message shows everything.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert!(self.success(), "expected success:\n{self}");
        self
    }

    /// Asserts a non-zero exit (not a timeout, not a signal) and returns self.
    #[track_caller]
    pub fn fails(self) -> Self {
        assert!(
            !self.timed_out && self.code.is_some() && self.code != Some(0),
            "expected a non-zero exit code:\n{self}"
        );
        self
    }

    /// Asserts the exact exit code.
    #[track_caller]
    pub fn code_is(self, code: i32) -> Self {
        assert_eq!(self.code, Some(code), "unexpected exit code:\n{self}");
        self
    }

    /// Asserts that stderr says something (not just whitespace) and mentions one of `words`
    /// (case-insensitive): "a clear message" naming what is wrong.
    #[track_caller]
    pub fn stderr_mentions(self, words: &[&str]) -> Self {
        let all = format!("{}\n{}", self.stderr, self.stdout).to_lowercase();
        assert!(
            !self.stderr.trim().is_empty(),
            "expected an error message on stderr:\n{self}"
        );
        assert!(
            words.iter().any(|w| all.contains(&w.to_lowercase())),
            "expected the error message to mention one of {words:?}:\n{self}"
        );
        self
    }

    /// Trimmed stdout.
    pub fn out(&self) -> &str {
        self.stdout.trim()
    }

    /// Stdout lines, trimmed, without empty lines.
    pub fn lines(&self) -> Vec<String> {
        self.stdout
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// Reads the stdout file again: what a container started by this command wrote since.
    pub fn stdout_now(&self) -> String {
        fs::read(&self.stdout_path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Reads the stderr file again.
    pub fn stderr_now(&self) -> String {
        fs::read(&self.stderr_path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  command: {}", self.cmdline)?;
        let how = if self.timed_out {
            format!("TIMED OUT after {:?} (killed)", self.elapsed)
        } else if let Some(s) = self.signal {
            format!("killed by signal {s}")
        } else {
            format!("exit code {:?}", self.code)
        };
        writeln!(f, "  result:  {how} in {:?}", self.elapsed)?;
        writeln!(f, "  stdout:  {}", indent(&self.stdout))?;
        write!(f, "  stderr:  {}", indent(&self.stderr))
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn indent(s: &str) -> String {
    let s = s.trim_end();
    if s.is_empty() {
        return "(empty)".into();
    }
    s.replace('\n', "\n           ")
}

/// Runs `program args...` with stdin from /dev/null, stdout/stderr into fresh files under
/// `scratch`, in its own process group. If it is still running at `timeout`, the whole process
/// group (which we created) gets SIGKILL and the output says `timed_out`.
pub fn run(program: &Path, args: &[String], scratch: &Path, timeout: Duration) -> Output {
    run_with_stdin(program, args, scratch, timeout, None)
}

/// [`run`] with stdin read from the file `stdin` (instead of /dev/null).
pub fn run_with_stdin(
    program: &Path,
    args: &[String],
    scratch: &Path,
    timeout: Duration,
    stdin: Option<&Path>,
) -> Output {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    fs::create_dir_all(scratch).expect("create scratch dir");
    let stdout_path = scratch.join(format!("cmd-{n}.stdout"));
    let stderr_path = scratch.join(format!("cmd-{n}.stderr"));
    let out_f = File::create(&stdout_path).expect("create stdout file");
    let err_f = File::create(&stderr_path).expect("create stderr file");
    let cmdline = std::iter::once(program.display().to_string())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");

    let start = Instant::now();
    let mut child = match Command::new(program)
        .args(args)
        .stdin(match stdin {
            Some(p) => Stdio::from(File::open(p).expect("open stdin file")),
            None => Stdio::null(),
        })
        .stdout(out_f)
        .stderr(err_f)
        .process_group(0)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!("cannot start {cmdline}: {e}"),
    };
    let pgid = Pid::from_raw(child.id() as i32);

    let mut timed_out = false;
    let mut sleep = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) => {}
            Err(e) => panic!("waiting for {cmdline}: {e}"),
        }
        if start.elapsed() >= timeout {
            timed_out = true;
            // Only the group we created for this child: the runtime and what it forked.
            let _ = killpg(pgid, Signal::SIGKILL);
            break child.wait().expect("wait after kill");
        }
        thread::sleep(sleep);
        sleep = (sleep * 2).min(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    let read = |p: &Path| {
        fs::read(p)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    };
    Output {
        cmdline,
        code: if timed_out { None } else { status.code() },
        signal: status.signal(),
        timed_out,
        stdout: read(&stdout_path),
        stderr: read(&stderr_path),
        elapsed,
        stdout_path,
        stderr_path,
    }
}
