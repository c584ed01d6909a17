//! Clients connected to the control socket.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use nix::sys::socket::{recv, MsgFlags};

use crate::proto::{self, Decoder, Hello};

/// A client blocked this long on a write is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Input from one client waiting to be handled stops being read past this size.
pub const MAX_BACKLOG: usize = 256 << 10;

/// One connected client.
pub struct Client {
    /// The connection (blocking, with a write timeout; reads use MSG_DONTWAIT).
    pub sock: UnixStream,
    /// Frames not yet complete.
    pub dec: Decoder,
    /// What it asked for (None before its hello).
    pub hello: Option<Hello>,
    /// Set when the connection broke; the client is removed.
    pub dead: bool,
}

impl Client {
    /// Wraps an accepted connection.
    pub fn new(sock: UnixStream) -> Self {
        let _ = sock.set_nonblocking(false);
        let _ = sock.set_write_timeout(Some(WRITE_TIMEOUT));
        Client {
            sock,
            dec: Decoder::default(),
            hello: None,
            dead: false,
        }
    }

    /// Reads what is available; false at EOF or on error.
    pub fn fill(&mut self) -> bool {
        let mut buf = [0u8; 8192];
        loop {
            match recv(self.sock.as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT) {
                Ok(0) => return false,
                Ok(n) => {
                    self.dec.push(&buf[..n]);
                    if self.dec.backlog() >= MAX_BACKLOG {
                        return true;
                    }
                }
                Err(nix::errno::Errno::EINTR) => {}
                Err(nix::errno::Errno::EAGAIN) => return true,
                Err(_) => return false,
            }
        }
    }

    /// Sends a frame; marks the client dead on failure.
    pub fn send(&mut self, kind: u8, payload: &[u8]) {
        if self.dead {
            return;
        }
        if proto::write_frame(&mut self.sock, kind, payload).is_err() {
            self.dead = true;
        }
        let _ = self.sock.flush();
    }

    /// Whether it wants stdout (`stderr == false`) or stderr frames.
    pub fn wants(&self, stderr: bool) -> bool {
        self.hello
            .is_some_and(|h| if stderr { h.stderr } else { h.stdout })
    }
}
