//! `exec` in the foreground: the process is started in the background of this process and
//! waited for here, so that stdio can be relayed. With `-t` its terminal's master end (from
//! the runtime's console socket) is relayed to ours in raw mode, window-size changes
//! follow; with `-i` alone stdin goes to the process through a pipe; without `-i` it reads
//! /dev/null. Signals sent to berth are passed on; its exit code is the process's.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::mpsc;
use std::time::Duration;

use berth_engine::containers::exec::{wait_exec, ExecRequest};
use berth_engine::containers::ContainerRecord;
use berth_engine::Engine;
use nix::sys::signal::{SigSet, Signal};

use super::run::{window_size, RawMode};

/// How long output may still drain after the process exited.
const DRAIN: Duration = Duration::from_millis(500);

/// Runs `req` in `r` (foreground unless `req.detach`); returns the process's exit code.
pub fn exec(
    e: &Engine,
    r: &ContainerRecord,
    req: &ExecRequest,
    interactive: bool,
) -> anyhow::Result<i32> {
    if req.detach {
        return Ok(e.exec_in(r, req)?);
    }
    // Blocked before any thread starts: every thread inherits the mask and only the signal
    // thread takes these signals.
    let signals = signal_set();
    signals.thread_block()?;
    let saved_stdin = io::stdin().as_fd().try_clone_to_owned()?;
    let mut to_process = None;
    // Without a terminal the process's stdout and stderr are pipes relayed here (as Docker
    // does): it never gets a descriptor of the caller's terminal.
    let mut outputs = None;
    if !req.tty {
        // The process inherits fd 0 when it is forked: a pipe for -i, else /dev/null.
        if interactive {
            let (rd, wr) = io::pipe()?;
            rustix::stdio::dup2_stdin(&rd)?;
            to_process = Some(wr);
        } else {
            rustix::stdio::dup2_stdin(File::open("/dev/null")?)?;
        }
        outputs = Some(OutputPipes::install()?);
    }
    let started = e.exec_start(r, req);
    rustix::stdio::dup2_stdin(&saved_stdin)?;
    let relays = match outputs {
        Some(o) => Some(o.restore_and_relay()?),
        None => None,
    };
    let started = started?;
    let pid = started.pid;
    let Some(master) = started.master else {
        if let Some(mut wr) = to_process {
            let mut input = File::from(saved_stdin);
            std::thread::spawn(move || io::copy(&mut input, &mut wr));
        }
        spawn_signal_thread(signals, pid, None);
        let code = wait_exec(pid)?;
        if let Some(done) = relays {
            // Both pipes reach EOF when the process (and anything it left behind) is done.
            for _ in 0..2 {
                let _ = done.recv_timeout(DRAIN);
            }
        }
        return Ok(code);
    };
    if let Some((rows, cols)) = window_size() {
        let _ = resize(&master, rows, cols);
    }
    let _raw = if interactive && io::stdin().is_terminal() {
        Some(RawMode::enter()?)
    } else {
        None
    };
    if interactive {
        let mut input = File::from(saved_stdin);
        let mut m = File::from(master.try_clone()?);
        std::thread::spawn(move || io::copy(&mut input, &mut m));
    }
    let (done_tx, done_rx) = mpsc::channel();
    let mut from = File::from(master.try_clone()?);
    std::thread::spawn(move || {
        relay_output(&mut from);
        let _ = done_tx.send(());
    });
    spawn_signal_thread(signals, pid, Some(master));
    let code = wait_exec(pid)?;
    let _ = done_rx.recv_timeout(DRAIN);
    Ok(code)
}

/// stdout and stderr replaced by pipes while the exec process is forked.
struct OutputPipes {
    saved_out: OwnedFd,
    saved_err: OwnedFd,
    out_rd: OwnedFd,
    err_rd: OwnedFd,
}

impl OutputPipes {
    /// Points fds 1 and 2 at fresh pipes (the next forked process inherits them).
    fn install() -> io::Result<OutputPipes> {
        let saved_out = io::stdout().as_fd().try_clone_to_owned()?;
        let saved_err = io::stderr().as_fd().try_clone_to_owned()?;
        let (out_rd, out_wr) = io::pipe()?;
        let (err_rd, err_wr) = io::pipe()?;
        rustix::stdio::dup2_stdout(&out_wr)?;
        rustix::stdio::dup2_stderr(&err_wr)?;
        Ok(OutputPipes {
            saved_out,
            saved_err,
            out_rd: out_rd.into(),
            err_rd: err_rd.into(),
        })
    }

    /// Puts fds 1 and 2 back and copies each pipe to where they pointed, in two threads; each
    /// sends on the channel when its pipe reached EOF.
    fn restore_and_relay(self) -> io::Result<mpsc::Receiver<()>> {
        rustix::stdio::dup2_stdout(&self.saved_out)?;
        rustix::stdio::dup2_stderr(&self.saved_err)?;
        let (tx, rx) = mpsc::channel();
        for (from, to) in [(self.out_rd, self.saved_out), (self.err_rd, self.saved_err)] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let _ = io::copy(&mut File::from(from), &mut File::from(to));
                let _ = tx.send(());
            });
        }
        Ok(rx)
    }
}

/// Copies the terminal's output to stdout until it closes (EIO once the process is gone).
fn relay_output(master: &mut File) {
    let mut buf = [0u8; 8192];
    let mut out = io::stdout();
    loop {
        match master.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if out.write_all(&buf[..n]).and_then(|_| out.flush()).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// The signals berth passes on (and SIGWINCH, which resizes the terminal instead).
fn signal_set() -> SigSet {
    let mut set = SigSet::empty();
    for s in berth_runtime::ops::run::FORWARDED {
        set.add(s);
    }
    set
}

/// Waits for `set`: window changes resize `master`, other signals go to `pid`.
fn spawn_signal_thread(set: SigSet, pid: i32, master: Option<OwnedFd>) {
    std::thread::spawn(move || loop {
        let Ok(sig) = set.wait() else { return };
        if sig == Signal::SIGWINCH {
            if let (Some(m), Some((rows, cols))) = (&master, window_size()) {
                let _ = resize(m, rows, cols);
            }
        } else {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig);
        }
    });
}

/// Sets the terminal's window size (the process gets SIGWINCH from the kernel).
fn resize(master: &OwnedFd, rows: u16, cols: u16) -> io::Result<()> {
    let ws = rustix::termios::Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    rustix::termios::tcsetwinsize(master, ws)?;
    Ok(())
}
