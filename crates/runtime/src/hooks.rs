//! Lifecycle hooks: each hook is executed with its args and env, given the container state
//! JSON on stdin, and killed if it outlives its timeout.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use oci_spec::runtime::{Hook, Spec};

use crate::error::{Error, Result};

/// Which hook list a hook comes from (used in messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Deprecated `prestart` hooks (runtime namespace, during create).
    Prestart,
    /// `createRuntime` hooks (runtime namespace, during create).
    CreateRuntime,
    /// `createContainer` hooks (container namespace, before pivot_root).
    CreateContainer,
    /// `startContainer` hooks (container namespace, before the user process).
    StartContainer,
    /// `poststart` hooks (runtime namespace, after the user process started).
    Poststart,
    /// `poststop` hooks (runtime namespace, during delete).
    Poststop,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Prestart => "prestart",
            Kind::CreateRuntime => "createRuntime",
            Kind::CreateContainer => "createContainer",
            Kind::StartContainer => "startContainer",
            Kind::Poststart => "poststart",
            Kind::Poststop => "poststop",
        }
    }
}

/// The hooks of one kind in `spec`.
#[allow(deprecated)]
pub fn of(spec: &Spec, kind: Kind) -> Vec<Hook> {
    let Some(h) = spec.hooks() else {
        return Vec::new();
    };
    let list = match kind {
        Kind::Prestart => h.prestart(),
        Kind::CreateRuntime => h.create_runtime(),
        Kind::CreateContainer => h.create_container(),
        Kind::StartContainer => h.start_container(),
        Kind::Poststart => h.poststart(),
        Kind::Poststop => h.poststop(),
    };
    list.clone().unwrap_or_default()
}

/// Runs `hooks` in order with `state_json` on stdin; the first failure stops the list.
pub fn run_all(kind: Kind, hooks: &[Hook], state_json: &[u8]) -> Result<()> {
    for hook in hooks {
        run_one(kind, hook, state_json)?;
    }
    Ok(())
}

/// Runs every hook of `hooks`, turning failures into warnings on stderr: for poststart and
/// poststop, where the specification says the remaining hooks and the lifecycle continue.
pub fn run_all_warn(kind: Kind, hooks: &[Hook], state_json: &[u8]) {
    for hook in hooks {
        if let Err(e) = run_one(kind, hook, state_json) {
            eprintln!("warning: {e}");
        }
    }
}

fn run_one(kind: Kind, hook: &Hook, state_json: &[u8]) -> Result<()> {
    let path = hook.path().display().to_string();
    let err = |msg: String| Error::Hook {
        kind: kind.name().into(),
        path: path.clone(),
        msg,
    };
    let args = hook.args().clone().unwrap_or_default();
    let mut cmd = Command::new(hook.path());
    if let Some(argv0) = args.first() {
        cmd.arg0(argv0);
    }
    cmd.args(args.iter().skip(1))
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    for kv in hook.env().iter().flatten() {
        if let Some((k, v)) = kv.split_once('=') {
            cmd.env(k, v);
        }
    }
    let mut child = cmd.spawn().map_err(|e| err(format!("cannot start: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A hook that does not read its stdin is fine: ignore EPIPE.
        let _ = stdin.write_all(state_json);
    }
    let deadline = hook
        .timeout()
        .filter(|t| *t > 0)
        .map(|t| Instant::now() + Duration::from_secs(t as u64));
    let mut pause = Duration::from_micros(200);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(err(format!("failed: {status}"))),
            Ok(None) => {}
            Err(e) => return Err(err(format!("wait: {e}"))),
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(err(format!(
                "timed out after {}s",
                hook.timeout().unwrap_or(0)
            )));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(json: &str) -> Hook {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn stdin_args_and_failure() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let h = hook(&format!(
            r#"{{"path":"/bin/sh","args":["sh","-c","cat > {}; echo $X >> {}"],"env":["X=42"]}}"#,
            out.display(),
            out.display()
        ));
        run_all(Kind::Poststop, &[h], b"{\"id\":\"x\"}\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "{\"id\":\"x\"}\n42\n"
        );
        let bad = hook(r#"{"path":"/bin/false"}"#);
        assert!(run_all(Kind::Prestart, &[bad], b"")
            .unwrap_err()
            .to_string()
            .contains("prestart"));
        let slow = hook(r#"{"path":"/bin/sleep","args":["sleep","5"],"timeout":1}"#);
        assert!(run_all(Kind::Poststart, &[slow], b"")
            .unwrap_err()
            .to_string()
            .contains("timed out"));
    }
}
