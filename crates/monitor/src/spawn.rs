//! Starting a container's monitor from the engine (the CLI process).
//!
//! `spawn` runs `exe __monitor <ctr_dir>` with stdin and stderr on /dev/null and stdout on a
//! readiness pipe (the only fd it inherits: everything else of ours is close-on-exec). That
//! process forks the real monitor into its own session and exits at once; `spawn` reaps it,
//! so the monitor is never the CLI's child. The monitor creates the container, listens on
//! its control socket and writes one line to the pipe:
//!
//! - `ok <monitor pid> <container pid>`
//! - `err <message>` (then it has undone everything and exits)

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Error, IoContext, Result};

/// The monitor subcommand of the berth binary.
pub const MONITOR_ARG: &str = "__monitor";

/// What [`spawn`] started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spawned {
    /// The monitor's pid (detached, in its own session).
    pub monitor_pid: i32,
    /// The container's init pid (created, not started).
    pub container_pid: i32,
}

/// Starts the monitor for the container prepared in `ctr_dir` (with its monitor.json) and
/// waits until it has created the container and listens on its socket. On error nothing is
/// left running and the message is the monitor's (e.g. the runtime's create error).
pub fn spawn(exe: &Path, ctr_dir: &Path) -> Result<Spawned> {
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .ctx(|| "create the monitor's readiness pipe".into())?;
    let mut cmd = Command::new(exe);
    cmd.arg(MONITOR_ARG)
        .arg(ctr_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(w))
        .stderr(Stdio::null());
    let spawned = cmd.spawn();
    // The command holds our copy of the write end: drop it, or EOF never comes.
    drop(cmd);
    let mut child = spawned.ctx(|| format!("run {} {MONITOR_ARG}", exe.display()))?;
    // One line, not EOF: the created (not yet started) container init still holds a copy
    // of the pipe until it execs.
    let mut pipe = std::fs::File::from(r);
    let read = read_line(&mut pipe);
    if read.as_ref().is_ok_and(|l| l.starts_with("err ")) {
        // After an error the monitor keeps the pipe until it exits: wait for that, so
        // nothing is left running when spawn returns.
        wait_eof(&pipe);
    }
    let status = child.wait();
    let text = read.ctx(|| "read the monitor's readiness pipe".into())?;
    parse_ready(&text).map_err(|e| match (e, status) {
        (Error::Spawn(m), Ok(st)) if m.is_empty() => Error::Spawn(format!(
            "the container monitor exited without reporting ({st})"
        )),
        (e, _) => e,
    })
}

/// Reads up to the first newline (or EOF).
fn read_line(f: &mut std::fs::File) -> std::io::Result<String> {
    let mut line = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                line.extend_from_slice(&buf[..n]);
                if buf[..n].contains(&b'\n') || line.len() > 64 << 10 {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// Waits (up to 10 s) until every writer of the pipe is gone.
fn wait_eof(f: &std::fs::File) {
    use std::os::fd::AsFd;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut buf = [0u8; 256];
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
        if ms == 0 {
            return;
        }
        let mut fds = [nix::poll::PollFd::new(
            f.as_fd(),
            nix::poll::PollFlags::POLLIN,
        )];
        match nix::poll::poll(&mut fds, ms) {
            Ok(0) => return,
            Ok(_) => match nix::unistd::read(f, &mut buf) {
                Ok(0) => return,
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(_) => return,
            },
            Err(nix::errno::Errno::EINTR) => {}
            Err(_) => return,
        }
    }
}

/// Parses the monitor's readiness line.
fn parse_ready(text: &str) -> Result<Spawned> {
    let line = text.trim_end_matches('\n');
    if let Some(msg) = line.strip_prefix("err ") {
        return Err(Error::Spawn(msg.to_string()));
    }
    let mut it = line.strip_prefix("ok ").unwrap_or_default().split(' ');
    match (
        it.next().and_then(|s| s.parse().ok()),
        it.next().and_then(|s| s.parse().ok()),
    ) {
        (Some(monitor_pid), Some(container_pid)) => Ok(Spawned {
            monitor_pid,
            container_pid,
        }),
        _ if line.is_empty() => Err(Error::Spawn(String::new())),
        _ => Err(Error::Spawn(format!(
            "unexpected readiness message {line:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_lines() {
        assert_eq!(
            parse_ready("ok 10 11\n").unwrap(),
            Spawned {
                monitor_pid: 10,
                container_pid: 11
            }
        );
        assert_eq!(
            parse_ready("err boom: bad\n").unwrap_err().to_string(),
            "boom: bad"
        );
        assert!(parse_ready("").is_err());
    }
}
