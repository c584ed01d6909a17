//! The receiving end of `--console-socket`: a unix socket the runtime connects to, sending
//! the pty master as SCM_RIGHTS; the harness then reads the container's terminal output.

use std::fs::File;
use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// What the receiver thread ended with.
#[derive(Debug)]
pub enum Console {
    /// The pty master arrived; this is everything read from it until EOF/EIO.
    Output(String),
    /// Something failed (no connection, no fd in the message, ...).
    Error(String),
}

/// A listening console socket with a thread that accepts one connection, takes the fd and
/// reads from it until the terminal closes or the deadline passes.
pub struct ConsoleSocket {
    /// The socket path to pass as `--console-socket`.
    pub path: PathBuf,
    rx: Receiver<Console>,
}

impl ConsoleSocket {
    /// Binds `path` and starts the receiver; it gives up after `deadline`.
    pub fn listen(path: &Path, deadline: Duration) -> ConsoleSocket {
        let listener =
            UnixListener::bind(path).unwrap_or_else(|e| panic!("bind {}: {e}", path.display()));
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(receive(listener, deadline));
        });
        ConsoleSocket {
            path: path.to_path_buf(),
            rx,
        }
    }

    /// Waits for the receiver (up to `timeout`) and returns what it got.
    pub fn wait(&self, timeout: Duration) -> Console {
        self.rx
            .recv_timeout(timeout)
            .unwrap_or_else(|e| Console::Error(format!("console receiver: {e}")))
    }
}

fn receive(listener: UnixListener, deadline: Duration) -> Console {
    let start = Instant::now();
    let stream = loop {
        match listener.accept() {
            Ok((s, _)) => break s,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if start.elapsed() > deadline {
                    return Console::Error("nobody connected to the console socket".into());
                }
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Console::Error(format!("accept: {e}")),
        }
    };
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(deadline));
    let mut buf = [0u8; 4096];
    let mut master = match berth_sys::misc::recv_with_fd(stream.as_fd(), &mut buf) {
        Ok((_, Some(fd))) => File::from(fd),
        Ok((_, None)) => {
            return Console::Error("the console socket message carried no fd (SCM_RIGHTS)".into())
        }
        Err(e) => return Console::Error(format!("recvmsg: {e}")),
    };
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    // Reads end with EIO once the last slave fd (the container's) is closed.
    loop {
        if start.elapsed() > deadline {
            break;
        }
        match master.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
        }
    }
    Console::Output(String::from_utf8_lossy(&out).into_owned())
}
