//! The child `berth exec` process an exec runs as: its command line, its stdio (pipes, or a
//! pty for a TTY), and a thread that reaps it and records its exit code.

use std::ffi::OsString;
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::process::{ChildStderr, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;

use super::pty;
use super::registry::{Exec, ExecConfig};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};

/// The child's stdio, as this service holds it.
pub enum Io {
    /// Without a TTY: the pipes the client attached (the rest are /dev/null).
    Pipes {
        /// To its stdin.
        stdin: Option<ChildStdin>,
        /// From its stdout.
        stdout: Option<ChildStdout>,
        /// From its stderr.
        stderr: Option<ChildStderr>,
    },
    /// With one: the pty's master end.
    Pty(OwnedFd),
}

/// The child's arguments: `[--root R] exec [--interactive] [--tty] [--user=U]
/// [--workdir=W] [--env=K=V]... [--privileged] ID CMD...`.
pub fn args(root_args: Vec<OsString>, c: &ExecConfig, interactive: bool) -> Vec<OsString> {
    let mut a = root_args;
    a.push("exec".into());
    if interactive {
        a.push("--interactive".into());
    }
    if c.tty {
        a.push("--tty".into());
    }
    if !c.user.is_empty() {
        a.push(format!("--user={}", c.user).into());
    }
    if !c.workdir.is_empty() {
        a.push(format!("--workdir={}", c.workdir).into());
    }
    // `KEY` alone would be looked up in this service's environment: not passed.
    for kv in c.env.iter().filter(|kv| kv.contains('=')) {
        a.push(format!("--env={kv}").into());
    }
    if c.privileged {
        a.push("--privileged".into());
    }
    a.push(c.container_id.clone().into());
    a.extend(c.cmd.iter().map(OsString::from));
    a
}

/// Starts `ex`'s process: attached (`detach` false) with the client's streams on pipes or a
/// pty of `size`, else with nothing attached. A thread reaps it and records its exit code
/// in `ex`; its pid (and a TTY's master, for resizes) are recorded now.
pub fn spawn(ctx: &Ctx, ex: &Arc<Exec>, detach: bool, size: Option<(u16, u16)>) -> ApiResult<Io> {
    let c = &ex.config;
    let interactive = c.attach_stdin && !detach;
    let mut cmd = Command::new(&ctx.exe);
    cmd.args(args(ctx.root_args(), c, interactive));
    let failed = |e: std::io::Error| ApiError::internal(format!("start berth exec: {e}"));
    let (mut child, io) = if c.tty {
        let (rows, cols) = size.unwrap_or((24, 80));
        let p = pty::open(rows, cols).map_err(failed)?;
        cmd.stdin(Stdio::from(p.slave.try_clone().map_err(failed)?))
            .stdout(Stdio::from(p.slave.try_clone().map_err(failed)?))
            .stderr(Stdio::from(p.slave));
        let child = cmd.spawn().map_err(failed)?;
        (child, Io::Pty(p.master))
    } else {
        let pipe = |on: bool| if on { Stdio::piped() } else { Stdio::null() };
        cmd.stdin(pipe(interactive))
            .stdout(pipe(c.attach_stdout && !detach))
            .stderr(pipe(c.attach_stderr && !detach));
        let mut child = cmd.spawn().map_err(failed)?;
        let io = Io::Pipes {
            stdin: child.stdin.take(),
            stdout: child.stdout.take(),
            stderr: child.stderr.take(),
        };
        (child, io)
    };
    // The command holds our copies of the pty's slave: the master sees EOF only without them.
    drop(cmd);
    {
        let mut s = ex.state();
        s.pid = child.id() as i32;
        if let Io::Pty(m) = &io {
            s.master = m.try_clone().ok().map(Arc::new);
        }
    }
    let reaper = ex.clone();
    let reaped = std::thread::Builder::new()
        .name("exec-wait".into())
        .spawn(move || {
            let code = match child.wait() {
                Ok(st) => st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(0)),
                Err(_) => 255,
            };
            reaper.finish(code);
        });
    if let Err(e) = reaped {
        ex.finish(255);
        return Err(failed(e));
    }
    Ok(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line() {
        let c = ExecConfig {
            container_id: "abc".into(),
            cmd: vec!["sh".into(), "-c".into(), "exit 3".into()],
            env: vec!["A=1".into(), "HOME".into()],
            user: "1:2".into(),
            workdir: "/tmp".into(),
            tty: true,
            privileged: true,
            ..Default::default()
        };
        let a = args(vec!["--root".into(), "/r".into()], &c, true);
        let a: Vec<_> = a.iter().map(|s| s.to_str().unwrap()).collect();
        assert_eq!(
            a,
            [
                "--root",
                "/r",
                "exec",
                "--interactive",
                "--tty",
                "--user=1:2",
                "--workdir=/tmp",
                "--env=A=1",
                "--privileged",
                "abc",
                "sh",
                "-c",
                "exit 3"
            ]
        );
    }
}
