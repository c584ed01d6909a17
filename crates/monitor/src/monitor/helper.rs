//! Runtime operations run in a short-lived forked helper, so the code and memory they touch
//! (spec parsing, namespaces, cgroups, seccomp) never become part of the long-lived monitor's
//! resident set. The monitor is a child subreaper: the container init, a child of the helper,
//! is reparented to the monitor when the helper exits.

use std::io::Read;

use berth_sys::CloneResult;
use nix::fcntl::OFlag;
use nix::sys::wait::waitpid;
use nix::unistd::Pid;

use crate::error::{Error, IoContext, Result};

/// Runs `f` in a forked child and returns the text it produced (or its error).
pub fn in_helper(what: &str, f: impl FnOnce() -> Result<String>) -> Result<String> {
    let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC).ctx(|| format!("{what}: pipe"))?;
    match berth_sys::clone3(0, None).ctx(|| format!("{what}: fork"))? {
        CloneResult::Child => {
            drop(r);
            let line = match f() {
                Ok(s) => format!("ok {s}\n"),
                Err(e) => format!("err {}\n", e.to_string().replace('\n', " ")),
            };
            let mut buf = line.as_bytes();
            while !buf.is_empty() {
                match nix::unistd::write(&w, buf) {
                    Ok(n) => buf = &buf[n..],
                    Err(nix::errno::Errno::EINTR) => {}
                    Err(_) => break,
                }
            }
            berth_sys::misc::exit_now(0)
        }
        CloneResult::Parent(pid) => {
            drop(w);
            // One line, not EOF: a created container init holds a copy of the pipe until it
            // execs.
            let mut f = std::fs::File::from(r);
            let mut line = Vec::new();
            let mut buf = [0u8; 1024];
            loop {
                match f.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        line.extend_from_slice(&buf[..n]);
                        if buf[..n].contains(&b'\n') {
                            break;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            while let Err(nix::errno::Errno::EINTR) = waitpid(Pid::from_raw(pid), None) {}
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches('\n');
            if let Some(ok) = text.strip_prefix("ok ") {
                return Ok(ok.to_string());
            }
            Err(Error::Spawn(match text.strip_prefix("err ") {
                Some(e) => e.to_string(),
                None => format!("{what}: the helper process died"),
            }))
        }
    }
}
