//! Handing the seccomp user-notification listener to the agent at `listenerPath`, as the OCI
//! runtime specification describes: one connection to the `AF_UNIX`/`SOCK_STREAM` socket, the
//! container process state as JSON payload, the listener fd as `SCM_RIGHTS` on the first
//! `sendmsg`, then close.

use std::io::{IoSlice, Write};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::path::Path;

use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags, UnixAddr};
use oci_spec::runtime::{ContainerProcessState, State, SECCOMP_FD_NAME};

use crate::error::IoContext;
use crate::{Error, Result};

/// Sends `listener` (the fd [`load`](super::load) returned) to the seccomp agent listening on
/// `listener_path`, with the container process state built from `state` (the container's
/// state, whose `pid` is the container process as the runtime sees it) and `metadata` (the
/// profile's `listenerMetadata`). Runs in the runtime process, which can still reach
/// `listener_path` on the host. Every failure is an error, as the specification requires.
pub fn send_listener(
    listener: BorrowedFd<'_>,
    listener_path: &Path,
    state: &State,
    metadata: Option<&str>,
) -> Result<()> {
    let payload = process_state(state, metadata)?;
    let stream = UnixStream::connect(listener_path).ctx(|| {
        format!(
            "connect to the seccomp agent at {} (linux.seccomp.listenerPath)",
            listener_path.display()
        )
    })?;
    let fds = [listener.as_raw_fd()];
    let sent = sendmsg::<UnixAddr>(
        stream.as_raw_fd(),
        &[IoSlice::new(&payload)],
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::MSG_NOSIGNAL,
        None,
    )
    .ctx(|| format!("send the seccomp listener to {}", listener_path.display()))?;
    // A stream socket may take the payload in several writes; the fd went with the first.
    if let Some(rest) = payload.get(sent..).filter(|r| !r.is_empty()) {
        (&stream).write_all(rest).ctx(|| {
            format!(
                "send the container state to the seccomp agent at {}",
                listener_path.display()
            )
        })?;
    }
    Ok(())
}

/// The JSON "container process state" that accompanies the listener fd.
fn process_state(state: &State, metadata: Option<&str>) -> Result<Vec<u8>> {
    let mut ps = ContainerProcessState::default();
    ps.set_version(state.version().clone());
    ps.set_fds(vec![SECCOMP_FD_NAME.to_string()]);
    ps.set_pid(state.pid().unwrap_or_default());
    ps.set_metadata(metadata.map(str::to_string));
    ps.set_state(state.clone());
    serde_json::to_vec(&ps)
        .map_err(|e| Error::Seccomp(format!("serialise the container process state: {e}")))
}
