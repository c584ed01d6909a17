//! The parent/child handshake during `create`: a SOCK_SEQPACKET socket pair over which the
//! runtime and the container's init exchange small messages, so each waits for exactly the
//! steps it depends on and the init's setup errors reach the runtime's stderr.

use std::io::IoSlice;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use nix::sys::socket::{
    sendmsg, socketpair, AddressFamily, ControlMessage, MsgFlags, SockFlag, SockType,
};

use crate::error::{Error, IoContext, Result};

/// One handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// Parent → child: the cgroup is joined and id mappings are written; go on.
    Go,
    /// Child → parent: the child unshared a user namespace; please write its id mappings.
    NeedMaps,
    /// Parent → child: the mappings are written.
    MapsDone,
    /// Child → parent: mounts are done; run prestart and createRuntime hooks now.
    MountsDone,
    /// Parent → child: hooks done, continue to pivot_root.
    Continue,
    /// Child → parent: setup is complete; the child now waits for `start`.
    Ready,
    /// Child → parent: setup failed with this message; the child exits.
    Error(String),
    /// Child → parent: the seccomp notify listener fd travels with this message.
    SeccompListener,
}

impl Msg {
    fn encode(&self) -> Vec<u8> {
        let (tag, payload): (u8, &[u8]) = match self {
            Msg::Go => (1, b""),
            Msg::NeedMaps => (2, b""),
            Msg::MapsDone => (3, b""),
            Msg::MountsDone => (4, b""),
            Msg::Continue => (5, b""),
            Msg::Ready => (6, b""),
            Msg::Error(s) => (7, s.as_bytes()),
            Msg::SeccompListener => (8, b""),
        };
        let mut v = Vec::with_capacity(1 + payload.len());
        v.push(tag);
        v.extend_from_slice(payload);
        v
    }

    fn decode(buf: &[u8]) -> Option<Msg> {
        Some(match *buf.first()? {
            1 => Msg::Go,
            2 => Msg::NeedMaps,
            3 => Msg::MapsDone,
            4 => Msg::MountsDone,
            5 => Msg::Continue,
            6 => Msg::Ready,
            7 => Msg::Error(String::from_utf8_lossy(&buf[1..]).into_owned()),
            8 => Msg::SeccompListener,
            _ => return None,
        })
    }
}

/// One end of the handshake channel.
#[derive(Debug)]
pub struct Channel(OwnedFd);

/// Makes a connected pair: (parent end, child end). Both are close-on-exec.
pub fn pair() -> Result<(Channel, Channel)> {
    let (a, b) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .ctx(|| "create the init sync socket".into())?;
    Ok((Channel(a), Channel(b)))
}

impl Channel {
    /// Sends one message.
    pub fn send(&self, msg: &Msg) -> Result<()> {
        let bytes = msg.encode();
        loop {
            match nix::unistd::write(self.0.as_fd(), &bytes) {
                Ok(_) => return Ok(()),
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e).ctx(|| "send to init sync socket".into()),
            }
        }
    }

    /// Sends one message with a file descriptor attached (SCM_RIGHTS).
    pub fn send_fd(&self, msg: &Msg, fd: BorrowedFd<'_>) -> Result<()> {
        let bytes = msg.encode();
        let fds = [fd.as_raw_fd()];
        sendmsg::<()>(
            self.0.as_raw_fd(),
            &[IoSlice::new(&bytes)],
            &[ControlMessage::ScmRights(&fds)],
            MsgFlags::MSG_NOSIGNAL,
            None,
        )
        .ctx(|| "send an fd over the init sync socket".into())?;
        Ok(())
    }

    /// Receives one message; `Ok(None)` when the other side closed the channel (exited).
    pub fn recv(&self) -> Result<Option<Msg>> {
        Ok(self.recv_with_fd()?.map(|(m, _)| m))
    }

    /// Receives one message and the fd attached to it, if any.
    pub fn recv_with_fd(&self) -> Result<Option<(Msg, Option<OwnedFd>)>> {
        // Messages are a tag plus at most an error text: a page is plenty, and lives on the
        // stack (this runs twice per container start).
        let mut buf = [0u8; 4096];
        let (n, fd) = berth_sys::misc::recv_with_fd(self.0.as_fd(), &mut buf)
            .ctx(|| "read from init sync socket".into())?;
        if n == 0 {
            return Ok(None);
        }
        let msg = Msg::decode(&buf[..n])
            .ok_or_else(|| Error::Init("garbled message on the sync socket".into()))?;
        Ok(Some((msg, fd)))
    }

    /// Receives and requires `want`; an `Error` message or EOF becomes an error.
    pub fn expect(&self, want: Msg) -> Result<()> {
        match self.recv()? {
            Some(m) if m == want => Ok(()),
            Some(Msg::Error(e)) => Err(Error::from_child(e)),
            Some(other) => Err(Error::Init(format!(
                "expected {want:?} on the sync socket, got {other:?}"
            ))),
            None => Err(Error::Init(
                "the container process exited during setup".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let (a, b) = pair().unwrap();
        for m in [Msg::Go, Msg::Ready, Msg::Error("boom: x".into())] {
            a.send(&m).unwrap();
            assert_eq!(b.recv().unwrap(), Some(m));
        }
        drop(a);
        assert_eq!(b.recv().unwrap(), None);
    }
}
