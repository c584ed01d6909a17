//! An attached exec's stdio over the hijacked connection: the client's bytes to the
//! process (detach keys filtered out), its output back (framed without a TTY, raw with
//! one), until the process is done; the connection closes only once its exit code is
//! recorded, so the client's `GET /exec/{id}/json` that follows sees it.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::process::Io;
use super::registry::Exec;
use crate::routes::mux::{self, read_retrying, DetachFilter, Framing};

/// Where the client's bytes go: the process's stdin pipe or its terminal.
type Input = Box<dyn Write + Send>;

/// One output of the process and its stream number.
type Output = (Box<dyn Read + Send>, u8);

/// Runs the session; returns when the process has exited and its output is relayed.
/// `delay` lets the client read the response's headers on their own first (see
/// `attach::headers_first`).
pub fn run(
    ex: &Arc<Exec>,
    io: Io,
    conn: UnixStream,
    framing: Framing,
    keys: Vec<u8>,
    delay: std::time::Duration,
) {
    std::thread::sleep(delay);
    let input = match &io {
        Io::Pipes { stdin: None, .. } => None,
        Io::Pty(_) if !ex.config.attach_stdin => None,
        _ => conn.try_clone().ok(),
    };
    let (to_process, outputs): (Option<Input>, Vec<Output>) = match io {
        Io::Pipes {
            stdin,
            stdout,
            stderr,
        } => {
            let mut outs: Vec<Output> = Vec::new();
            if let Some(o) = stdout {
                outs.push((Box::new(o), mux::STDOUT));
            }
            if let Some(e) = stderr {
                outs.push((Box::new(e), mux::STDERR));
            }
            (stdin.map(|w| Box::new(w) as Input), outs)
        }
        Io::Pty(master) => {
            let writer = master
                .try_clone()
                .ok()
                .map(|m| Box::new(File::from(m)) as Input);
            (writer, vec![(Box::new(File::from(master)), mux::STDOUT)])
        }
    };
    let pump = match (input, to_process) {
        (Some(from), Some(to)) => spawn("exec-stdin", move || pump_input(from, to, keys)),
        _ => None,
    };
    let out = Arc::new(Mutex::new(conn.try_clone().ok()));
    let readers: Vec<JoinHandle<()>> = outputs
        .into_iter()
        .filter_map(|(from, stream)| {
            let out = out.clone();
            spawn("exec-output", move || {
                relay_output(from, stream, framing, &out)
            })
        })
        .collect();
    for r in readers {
        let _ = r.join();
    }
    ex.wait();
    let _ = conn.shutdown(Shutdown::Both);
    if let Some(p) = pump {
        let _ = p.join();
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Option<JoinHandle<()>> {
    std::thread::Builder::new().name(name.into()).spawn(f).ok()
}

/// The client's bytes to the process until the client's EOF (then the process's stdin
/// closes) or the detach keys (the client's stream ends; the process runs on).
fn pump_input(mut from: UnixStream, mut to: Input, keys: Vec<u8>) {
    let mut keys = DetachFilter::new(&keys);
    let mut buf = vec![0u8; 32 << 10];
    loop {
        let n = match read_retrying(&mut from, &mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let (data, detached) = keys.filter(&buf[..n]);
        if to.write_all(&data).and_then(|_| to.flush()).is_err() {
            return;
        }
        if detached {
            let _ = from.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// One output of the process to the client until its EOF (a pty's master: EIO once the
/// last slave is closed). A client that went away stops the relay, not the reading: the
/// process must not block on a full pipe.
fn relay_output(
    mut from: Box<dyn Read + Send>,
    stream: u8,
    framing: Framing,
    out: &Mutex<Option<UnixStream>>,
) {
    let mut buf = vec![0u8; 32 << 10];
    loop {
        let n = match read_retrying(&mut from, &mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let mut guard = out.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = guard.as_mut() {
            if framing.write(w, stream, &buf[..n]).is_err() {
                *guard = None;
            }
        }
    }
}

/// Reads a detached exec's terminal until it closes.
pub fn drain(master: OwnedFd) {
    let _ = io::copy(&mut File::from(master), &mut io::sink());
}
