//! `delete`: removes a stopped (or, with force, any) container: its remaining processes,
//! cgroup and state, then runs the poststop hooks.

use std::os::fd::AsFd;
use std::time::Duration;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::Globals;
use crate::cgroups::CgroupManager;
use crate::error::{Error, Result};
use crate::hooks::{self, Kind};
use crate::state::{self, Status};

/// Deletes container `id`. With `force`, a running container is killed first, and a missing
/// container is not an error.
pub fn delete(g: &Globals, id: &str, force: bool) -> Result<()> {
    let st = match state::load(&g.root, id) {
        Ok(st) => st,
        Err(Error::NotFound(_)) if force => {
            // A create killed before writing its state leaves only the directory.
            let _ = std::fs::remove_dir_all(state::dir(&g.root, id));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let dir = state::dir(&g.root, id);
    let status = st.status(&dir);
    let cgroup = CgroupManager::from_paths(st.cgroup.clone());
    match status {
        Status::Stopped => {}
        // The spec: deleting a container that is not stopped (created included) MUST fail.
        Status::Created | Status::Creating | Status::Running | Status::Paused if force => {
            kill_and_wait(st.pid, &cgroup)
        }
        _ => {
            return Err(Error::BadState {
                id: id.into(),
                status: status.to_string(),
                what: "stop it first or use --force".into(),
            })
        }
    }
    // Every cgroup that can go goes; one that stays busy fails the delete before the state
    // is removed (naming each directory left), so that `delete --force` can be run again.
    cgroup.destroy()?;
    std::fs::remove_dir_all(&dir).map_err(|e| Error::Io {
        what: format!("remove {}", dir.display()),
        source: e,
    })?;
    if !st.poststop.is_empty() {
        let json = serde_json::to_vec(&st.oci(Status::Stopped)).unwrap_or_default();
        hooks::run_all_warn(Kind::Poststop, &st.poststop, &json);
    }
    Ok(())
}

/// SIGKILLs the init (thawing a frozen cgroup) and waits, bounded, until it is gone.
fn kill_and_wait(pid: i32, cgroup: &CgroupManager) {
    if pid <= 0 {
        return;
    }
    let pidfd = rustix::process::pidfd_open(
        rustix::process::Pid::from_raw(pid).expect("pid > 0"),
        rustix::process::PidfdFlags::empty(),
    );
    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    let _ = cgroup.set_frozen(false);
    if let Ok(fd) = pidfd {
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        let _ = poll(
            &mut fds,
            PollTimeout::try_from(Duration::from_secs(10)).unwrap_or(PollTimeout::NONE),
        );
    }
}
