//! `start`: releases a created container's init to exec the user program, waits until it has,
//! then runs the poststart hooks.

use std::os::fd::AsFd;

use nix::fcntl::{open, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::stat::Mode;

use super::Globals;
use crate::error::{Error, IoContext, Result};
use crate::hooks::{self, Kind};
use crate::state::{self, Status, EXEC_FIFO};

/// Starts container `id`. Poststart hook failures are warnings (printed), as the spec says.
pub fn start(g: &Globals, id: &str) -> Result<()> {
    start_notify(g, id, None)
}

/// [`start`], then, when the container was created with a notify socket and `notify_host`
/// names the host's, waits for its `READY=1` (see [`crate::notify`]).
pub fn start_notify(g: &Globals, id: &str, notify_host: Option<&str>) -> Result<()> {
    let st = state::load(&g.root, id)?;
    let dir = state::dir(&g.root, id);
    let status = st.status(&dir);
    if status != Status::Created {
        return Err(Error::BadState {
            id: id.into(),
            status: status.to_string(),
            what: "only a created container can be started".into(),
        });
    }
    let fifo_path = dir.join(EXEC_FIFO);
    let fifo = open(
        &fifo_path,
        OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| match e {
        nix::errno::Errno::ENXIO => Error::BadState {
            id: id.into(),
            status: "stopped".into(),
            what: "the container process exited before start".into(),
        },
        e => Error::Io {
            what: format!("open {}", fifo_path.display()),
            source: e.into(),
        },
    })?;
    let notify = crate::notify::Listener::bind(&dir, notify_host)?;
    nix::unistd::write(&fifo, b"0").ctx(|| "release the container process".into())?;
    let _ = std::fs::remove_file(&fifo_path);
    // The init holds the only read end, close-on-exec: POLLERR on our end means it has
    // executed the user program (or died).
    let mut fds = [PollFd::new(fifo.as_fd(), PollFlags::empty())];
    loop {
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => break,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e).ctx(|| "wait for the container process to exec".into()),
        }
    }
    // The init failed between `create` and the user program (a startContainer hook, say):
    // the spec wants an error and a stopped container.
    let failure = std::fs::read_to_string(dir.join(state::INIT_ERROR)).unwrap_or_default();
    if !failure.is_empty() {
        if st.status(&dir) != Status::Stopped {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(st.pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        return Err(Error::from_child(failure));
    }
    if let Some(n) = notify {
        n.wait_ready(st.pid, || state::process_matches(st.pid, st.pid_start_time))?;
    }
    if !st.poststart.is_empty() {
        let json = serde_json::to_vec(&st.oci(Status::Running)).unwrap_or_default();
        hooks::run_all_warn(Kind::Poststart, &st.poststart, &json);
    }
    Ok(())
}
