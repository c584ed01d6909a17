//! The container's stdio as the monitor holds it: pipes for stdout and stderr (kept apart),
//! a stdin pipe with `-i` (else /dev/null), or with a tty the pty master received over a
//! console socket. The runtime gives the container the caller's fds 0-2, so the create helper
//! puts the container's ends there before calling it.

use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;

use nix::fcntl::{fcntl, FcntlArg, OFlag};

use crate::config::MonitorConfig;
use crate::error::{Error, IoContext, Result};

/// The monitor's ends of the container's stdio.
pub struct ContainerIo {
    tty: bool,
    want_stdin: bool,
    devnull: OwnedFd,
    /// stdout pipe: (read end, write end kept for restarts).
    out: Option<(OwnedFd, OwnedFd)>,
    /// stderr pipe: (read end, write end).
    err: Option<(OwnedFd, OwnedFd)>,
    console: Option<(UnixListener, PathBuf)>,
    /// The pty master (tty mode), once received.
    pub master: Option<OwnedFd>,
    /// The write end of the container's stdin pipe (`-i` without tty).
    pub stdin_w: Option<OwnedFd>,
    stdin_r: Option<OwnedFd>,
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC).ctx(|| "create a pipe".into())?;
    Ok((r, w))
}

/// Makes `fd` non-blocking.
pub fn set_nonblocking(fd: BorrowedFd<'_>) -> Result<()> {
    let flags = fcntl(fd, FcntlArg::F_GETFL).ctx(|| "get fd flags".into())?;
    let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
    fcntl(fd, FcntlArg::F_SETFL(flags)).ctx(|| "set O_NONBLOCK".into())?;
    Ok(())
}

fn dup012(fds: [BorrowedFd<'_>; 3]) -> Result<()> {
    rustix::stdio::dup2_stdin(fds[0]).ctx(|| "set up stdin".into())?;
    rustix::stdio::dup2_stdout(fds[1]).ctx(|| "set up stdout".into())?;
    rustix::stdio::dup2_stderr(fds[2]).ctx(|| "set up stderr".into())?;
    Ok(())
}

impl ContainerIo {
    /// Prepares the stdio described by `cfg`; the console socket (tty) is bound next to the
    /// control socket (`<socket>.tty`).
    pub fn new(cfg: &MonitorConfig) -> Result<Self> {
        let devnull: OwnedFd = File::options()
            .read(true)
            .write(true)
            .open("/dev/null")
            .ctx(|| "open /dev/null".into())?
            .into();
        let mut io = ContainerIo {
            tty: cfg.tty,
            want_stdin: cfg.stdin,
            devnull,
            out: None,
            err: None,
            console: None,
            master: None,
            stdin_w: None,
            stdin_r: None,
        };
        if cfg.tty {
            let mut p = cfg.socket.as_os_str().to_owned();
            p.push(".tty");
            let path = PathBuf::from(p);
            let _ = std::fs::remove_file(&path);
            let l = UnixListener::bind(&path)
                .ctx(|| format!("bind console socket {}", path.display()))?;
            l.set_nonblocking(true)
                .ctx(|| "make the console socket non-blocking".into())?;
            io.console = Some((l, path));
        } else {
            let out = pipe()?;
            let err = pipe()?;
            set_nonblocking(out.0.as_fd())?;
            set_nonblocking(err.0.as_fd())?;
            io.out = Some(out);
            io.err = Some(err);
        }
        Ok(io)
    }

    /// The `--console-socket` to give the runtime (tty mode).
    pub fn console_socket(&self) -> Option<PathBuf> {
        self.console.as_ref().map(|(_, p)| p.clone())
    }

    /// Prepares a create: a fresh stdin pipe with `-i`; the pty of the last run is dropped.
    pub fn before_create(&mut self) -> Result<()> {
        self.master = None;
        if self.want_stdin && !self.tty {
            let (r, w) = pipe()?;
            set_nonblocking(w.as_fd())?;
            self.stdin_w = Some(w);
            self.stdin_r = Some(r);
        }
        Ok(())
    }

    /// In the create helper: points fds 0-2 at the container's ends.
    pub fn install_child_stdio(&self) -> Result<()> {
        let n = self.devnull.as_fd();
        if self.tty {
            return dup012([n, n, n]);
        }
        let (Some(out), Some(err)) = (&self.out, &self.err) else {
            return Err(Error::Usage("stdio pipes missing".into()));
        };
        let stdin = self.stdin_r.as_ref().map_or(n, |f| f.as_fd());
        dup012([stdin, out.1.as_fd(), err.1.as_fd()])
    }

    /// After the create (whether it worked or not): drops the container's stdin end; in tty
    /// mode, receives the pty master the container's init sent.
    pub fn after_create(&mut self, created: bool) -> Result<()> {
        self.stdin_r = None;
        if created {
            if let Some((l, path)) = &self.console {
                let (s, _) = l
                    .accept()
                    .ctx(|| format!("accept on console socket {}", path.display()))?;
                let fd = recv_fd(s.as_fd())?;
                set_nonblocking(fd.as_fd())?;
                self.master = Some(fd);
            }
        }
        Ok(())
    }

    /// The fd carrying the container's stdout (the pty master with a tty).
    pub fn out_fd(&self) -> Option<BorrowedFd<'_>> {
        match &self.master {
            Some(m) => Some(m.as_fd()),
            None => self.out.as_ref().map(|p| p.0.as_fd()),
        }
    }

    /// The fd carrying the container's stderr (none with a tty).
    pub fn err_fd(&self) -> Option<BorrowedFd<'_>> {
        self.err.as_ref().map(|p| p.0.as_fd())
    }

    /// Where stdin data goes: the pty master (tty) or the stdin pipe (`-i`).
    pub fn stdin_fd(&self) -> Option<BorrowedFd<'_>> {
        if !self.want_stdin {
            return None;
        }
        match &self.master {
            Some(m) => Some(m.as_fd()),
            None => self.stdin_w.as_ref().map(|w| w.as_fd()),
        }
    }

    /// Closes the container's stdin (not the pty: that is also its output).
    pub fn close_stdin(&mut self) {
        self.stdin_w = None;
    }

    /// Removes the console socket file.
    pub fn cleanup(&mut self) {
        if let Some((_, p)) = self.console.take() {
            let _ = std::fs::remove_file(p);
        }
    }

    /// Whether output comes from a pty.
    pub fn is_tty(&self) -> bool {
        self.tty
    }
}

/// Receives one fd sent with SCM_RIGHTS over `sock`.
fn recv_fd(sock: BorrowedFd<'_>) -> Result<OwnedFd> {
    let mut buf = [0u8; 256];
    let (_, fd) =
        berth_sys::misc::recv_with_fd(sock, &mut buf).ctx(|| "receive the pty master".into())?;
    fd.ok_or_else(|| Error::Protocol("the console socket message carried no fd".into()))
}
