//! The engine's side of the control socket: attach to a container's monitor, start it,
//! relay stdio both ways until it exits or the user detaches.

use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::Path;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use crate::error::{Error, IoContext, Result};
use crate::proto::{self, Hello};

/// Docker's default detach sequence: Ctrl-P Ctrl-Q.
pub const DEFAULT_DETACH_KEYS: &[u8] = &[0x10, 0x11];

/// How a relay ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayEnd {
    /// The container exited with this code.
    Exited(i32),
    /// The user typed the detach keys; the container keeps running.
    Detached,
}

/// A connection to a monitor's control socket.
#[derive(Debug)]
pub struct AttachClient {
    sock: UnixStream,
}

impl AttachClient {
    /// Connects to the monitor listening on `socket`.
    pub fn connect(socket: &Path) -> Result<Self> {
        let sock = UnixStream::connect(socket)
            .ctx(|| format!("connect to container monitor {}", socket.display()))?;
        Ok(AttachClient { sock })
    }

    /// Another handle on the same connection (e.g. to send resizes from a signal thread
    /// while [`AttachClient::relay`] runs); each frame is sent with one write.
    pub fn try_clone(&self) -> Result<Self> {
        let sock = self
            .sock
            .try_clone()
            .ctx(|| "duplicate the monitor connection".into())?;
        Ok(AttachClient { sock })
    }

    fn send(&mut self, kind: u8, payload: &[u8]) -> Result<()> {
        proto::write_frame(&mut self.sock, kind, payload)
            .ctx(|| "write to the container monitor".into())
    }

    /// Says what this client wants; must be the first frame.
    pub fn hello(&mut self, h: &Hello) -> Result<()> {
        self.send(proto::HELLO, &h.encode())
    }

    /// Sends bytes to the container's stdin.
    pub fn send_stdin(&mut self, data: &[u8]) -> Result<()> {
        for chunk in data.chunks(proto::MAX_PAYLOAD) {
            self.send(proto::STDIN, chunk)?;
        }
        Ok(())
    }

    /// Closes the container's stdin (EOF for the program).
    pub fn close_stdin(&mut self) -> Result<()> {
        self.send(proto::STDIN_CLOSE, &[])
    }

    /// Resizes the container's pty.
    pub fn resize(&mut self, rows: u16, cols: u16) -> Result<()> {
        let mut p = [0u8; 4];
        p[..2].copy_from_slice(&rows.to_be_bytes());
        p[2..].copy_from_slice(&cols.to_be_bytes());
        self.send(proto::RESIZE, &p)
    }

    /// Starts the created container.
    pub fn start(&mut self) -> Result<()> {
        self.send(proto::START, &[])
    }

    /// Reads frames, discarding output, until the exit frame; returns the exit code.
    pub fn wait_exit(&mut self) -> Result<i32> {
        let mut sink = std::io::sink();
        let mut sink2 = std::io::sink();
        loop {
            if let Some(code) = self.handle_frame(&mut sink, &mut sink2)? {
                return Ok(code);
            }
        }
    }

    /// Reads one frame and acts on it; Some(code) at the exit frame.
    fn handle_frame(
        &mut self,
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
    ) -> Result<Option<i32>> {
        let frame =
            proto::read_frame(&mut self.sock).ctx(|| "read from the container monitor".into())?;
        let Some((kind, payload)) = frame else {
            return Err(Error::Protocol(
                "the monitor closed the connection without an exit status".into(),
            ));
        };
        match kind {
            proto::STDOUT => {
                stdout.write_all(&payload).ctx(|| "write stdout".into())?;
                stdout.flush().ctx(|| "write stdout".into())?;
            }
            proto::STDERR => {
                stderr.write_all(&payload).ctx(|| "write stderr".into())?;
                stderr.flush().ctx(|| "write stderr".into())?;
            }
            proto::EXIT => {
                let text = String::from_utf8_lossy(&payload);
                let code = text
                    .trim()
                    .parse()
                    .map_err(|_| Error::Protocol(format!("bad exit status {text:?}")))?;
                return Ok(Some(code));
            }
            proto::ERROR => return Err(Error::Remote(String::from_utf8_lossy(&payload).into())),
            other => return Err(Error::Protocol(format!("unknown frame kind {other}"))),
        }
        Ok(None)
    }

    /// Pumps `stdin` (if given) to the container and its output to `stdout`/`stderr` until
    /// the container exits or the user types `detach_keys`. At EOF on `stdin` the
    /// container's stdin is closed and output keeps flowing.
    pub fn relay(
        &mut self,
        stdin: Option<OwnedFd>,
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
        detach_keys: Option<&[u8]>,
    ) -> Result<RelayEnd> {
        let mut stdin = stdin;
        let mut keys = DetachFilter::new(detach_keys.unwrap_or_default());
        let mut buf = vec![0u8; 32 << 10];
        loop {
            let (sock_ready, in_ready) = {
                let mut fds = vec![PollFd::new(self.sock.as_fd(), PollFlags::POLLIN)];
                if let Some(fd) = &stdin {
                    fds.push(PollFd::new(fd.as_fd(), PollFlags::POLLIN));
                }
                match poll(&mut fds, PollTimeout::NONE) {
                    Ok(_) => {}
                    Err(nix::errno::Errno::EINTR) => continue,
                    Err(e) => return Err(e).ctx(|| "poll stdin and the monitor".into()),
                }
                let ready = |f: &PollFd| f.revents().is_some_and(|r| !r.is_empty());
                (ready(&fds[0]), fds.get(1).is_some_and(ready))
            };
            if sock_ready {
                if let Some(code) = self.handle_frame(stdout, stderr)? {
                    return Ok(RelayEnd::Exited(code));
                }
                continue;
            }
            if in_ready {
                let Some(fd) = &stdin else { continue };
                let n = match nix::unistd::read(fd, &mut buf) {
                    Ok(n) => n,
                    Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => continue,
                    Err(e) => return Err(e).ctx(|| "read stdin".into()),
                };
                if n == 0 {
                    stdin = None;
                    self.close_stdin()?;
                    continue;
                }
                let (data, detached) = keys.filter(&buf[..n]);
                if !data.is_empty() {
                    self.send_stdin(&data)?;
                }
                if detached {
                    return Ok(RelayEnd::Detached);
                }
            }
        }
    }
}

/// Finds the detach sequence in a client's input, holding back a partial match across
/// reads (for `berth run`/`attach` and the API's attach and exec).
#[derive(Debug, Clone)]
pub struct DetachFilter {
    keys: Vec<u8>,
    held: usize,
}

impl DetachFilter {
    /// A filter for `keys` (none: everything passes).
    pub fn new(keys: &[u8]) -> Self {
        DetachFilter {
            keys: keys.to_vec(),
            held: 0,
        }
    }

    /// The bytes to pass on, and whether the whole sequence was typed (what follows it in
    /// `input` is dropped).
    pub fn filter(&mut self, input: &[u8]) -> (Vec<u8>, bool) {
        if self.keys.is_empty() {
            return (input.to_vec(), false);
        }
        let mut out = Vec::with_capacity(input.len());
        for &b in input {
            if b == self.keys[self.held] {
                self.held += 1;
                if self.held == self.keys.len() {
                    self.held = 0;
                    return (out, true);
                }
                continue;
            }
            out.extend_from_slice(&self.keys[..self.held]);
            self.held = usize::from(b == self.keys[0]);
            if self.held == 0 {
                out.push(b);
            }
        }
        (out, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_keys() {
        let mut d = DetachFilter::new(DEFAULT_DETACH_KEYS);
        assert_eq!(d.filter(b"ab"), (b"ab".to_vec(), false));
        assert_eq!(d.filter(b"x\x10"), (b"x".to_vec(), false));
        assert_eq!(d.filter(b"\x11rest"), (Vec::new(), true));
        let mut d = DetachFilter::new(DEFAULT_DETACH_KEYS);
        assert_eq!(d.filter(b"\x10a\x10\x10"), (b"\x10a\x10".to_vec(), false));
        let mut d = DetachFilter::new(&[]);
        assert_eq!(d.filter(b"\x10\x11"), (b"\x10\x11".to_vec(), false));
    }
}
