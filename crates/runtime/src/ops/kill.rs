//! `kill`: sends a signal to the container's init, or with `--all` to every process in its
//! cgroup.

use nix::sys::signal::{kill as send, Signal};
use nix::unistd::Pid;

use super::Globals;
use crate::cgroups::CgroupManager;
use crate::error::{Error, IoContext, Result};
use crate::state::{self, Status};

/// Parses a signal given as a number, a name (`KILL`), or a name with prefix (`SIGKILL`).
pub fn parse_signal(s: &str) -> Result<Signal> {
    let bad = || Error::Usage(format!("unknown signal {s:?}"));
    if let Ok(n) = s.parse::<i32>() {
        return Signal::try_from(n).map_err(|_| bad());
    }
    let upper = s.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    name.parse::<Signal>().map_err(|_| bad())
}

/// Sends `sig` to container `id`.
pub fn kill(g: &Globals, id: &str, sig: Signal, all: bool) -> Result<()> {
    let st = state::load(&g.root, id)?;
    let status = st.status(&state::dir(&g.root, id));
    let cgroup = CgroupManager::from_paths(st.cgroup.clone());
    if all {
        for pid in cgroup.pids().unwrap_or_default() {
            let _ = send(Pid::from_raw(pid), sig);
        }
    } else {
        if matches!(status, Status::Stopped | Status::Creating) {
            return Err(Error::BadState {
                id: id.into(),
                status: status.to_string(),
                what: "container not running".into(),
            });
        }
        send(Pid::from_raw(st.pid), sig).ctx(|| format!("send {sig} to pid {}", st.pid))?;
    }
    if status == Status::Paused && sig == Signal::SIGKILL {
        // A frozen process cannot die until thawed.
        let _ = cgroup.set_frozen(false);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals() {
        assert_eq!(parse_signal("9").unwrap(), Signal::SIGKILL);
        assert_eq!(parse_signal("KILL").unwrap(), Signal::SIGKILL);
        assert_eq!(parse_signal("sigterm").unwrap(), Signal::SIGTERM);
        assert!(parse_signal("BOGUS").is_err());
        assert!(parse_signal("99").is_err());
    }
}
