//! The readiness pipe: the monitor's stdout when spawned; moved to a close-on-exec fd at
//! once (so no child inherits it) and answered with one line, `ok <monitor pid> <container
//! pid>` or `err <message>`.

use std::os::fd::OwnedFd;

use crate::error::{IoContext, Result};

/// The write end of the readiness pipe.
pub struct Ready(OwnedFd);

/// Writes an error to stdout before the pipe was taken over (fork failure, bad usage).
pub fn early_error(msg: &str) {
    let _ = nix::unistd::write(std::io::stdout(), format!("err {msg}\n").as_bytes());
}

impl Ready {
    /// Takes the pipe from fd 1 and points fd 1 at /dev/null.
    pub fn from_stdout() -> Result<Self> {
        let fd = rustix::io::fcntl_dupfd_cloexec(std::io::stdout(), 3)
            .ctx(|| "take over the readiness pipe".into())?;
        let null = std::fs::File::options()
            .write(true)
            .open("/dev/null")
            .ctx(|| "open /dev/null".into())?;
        rustix::stdio::dup2_stdout(&null).ctx(|| "point stdout at /dev/null".into())?;
        Ok(Ready(fd))
    }

    fn send(self, line: &str) {
        let mut buf = line.as_bytes();
        while !buf.is_empty() {
            match nix::unistd::write(&self.0, buf) {
                Ok(n) => buf = &buf[n..],
                Err(nix::errno::Errno::EINTR) => {}
                Err(_) => return,
            }
        }
    }

    /// Reports success; closes the pipe.
    pub fn ok(self, monitor_pid: i32, container_pid: i32) {
        self.send(&format!("ok {monitor_pid} {container_pid}\n"));
    }

    /// Reports failure. The pipe stays open until the process exits, so the spawner's EOF
    /// means the monitor is gone.
    pub fn fail(self, msg: &str) {
        let fd = self.0.try_clone();
        self.send(&format!("err {}\n", msg.replace('\n', " ")));
        std::mem::forget(fd);
    }
}
