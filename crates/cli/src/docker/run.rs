//! `run`, `create`, `start -a` and `attach`: containers in the foreground, with the
//! terminal in raw mode for `-t`, window-size changes and signals passed on.

use std::io::{self, IsTerminal};
use std::os::fd::{AsFd, OwnedFd};

use berth_engine::containers::ContainerRecord;
use berth_engine::Engine;
use berth_monitor::client::{AttachClient, RelayEnd, DEFAULT_DETACH_KEYS};
use berth_monitor::proto::Hello;
use nix::sys::signal::{SigSet, Signal};

use super::args::{Globals, RunArgs};
use super::engine;
use super::run_options::run_options;

/// `create`: prints the new container's ID.
pub fn create(g: &Globals, a: RunArgs) -> anyhow::Result<i32> {
    let opts = run_options(&a)?;
    let mut e = engine(g)?;
    let r = super::registry::create_pulling(
        &mut e,
        false,
        &a.image,
        &opts,
        a.pull.as_deref(),
        a.platform.as_deref(),
    )?;
    println!("{}", r.id);
    Ok(0)
}

/// `run`: create, start, and (unless `-d`) attach until the container exits.
pub fn run(g: &Globals, a: RunArgs) -> anyhow::Result<i32> {
    let opts = run_options(&a)?;
    let mut e = engine(g)?;
    let r = super::registry::create_pulling(
        &mut e,
        true,
        &a.image,
        &opts,
        a.pull.as_deref(),
        a.platform.as_deref(),
    )?;
    if a.detach {
        if let Err(err) = e.start_container(&r) {
            return Err(err.into());
        }
        println!("{}", r.id);
        return Ok(0);
    }
    let code = match e.spawn_monitor(&r) {
        Ok(_) => attach_and_start(&e, &r, a.interactive, true, a.detach_keys.as_deref()),
        Err(err) => Err(err.into()),
    };
    // Foreground --rm: remove once it exited (not when the user detached).
    if a.rm && !matches!(code, Ok(None)) {
        let _ = e.remove_container(&r, true, true);
    }
    Ok(code?.unwrap_or(0))
}

/// Attaches to a spawned container's monitor, optionally starts it, and relays stdio until
/// it exits (Some(code)) or the user detaches (None).
pub fn attach_and_start(
    e: &Engine,
    r: &ContainerRecord,
    stdin: bool,
    start: bool,
    detach_keys: Option<&str>,
) -> anyhow::Result<Option<i32>> {
    let mut client = AttachClient::connect(&e.paths.socket(&r.id))?;
    client.hello(&Hello {
        stdin,
        stdout: true,
        stderr: true,
        start,
    })?;
    let terminal = r.tty && io::stdin().is_terminal();
    let _raw = if terminal && stdin {
        Some(RawMode::enter()?)
    } else {
        None
    };
    if r.tty {
        if let Some((rows, cols)) = window_size() {
            let _ = client.resize(rows, cols);
        }
    }
    spawn_signal_thread(client.try_clone()?, e.runtime(), r.id.clone(), r.tty);
    let stdin_fd: Option<OwnedFd> = if stdin {
        Some(io::stdin().as_fd().try_clone_to_owned()?)
    } else {
        None
    };
    let keys = parse_detach_keys(detach_keys);
    let mut out = io::stdout();
    let mut err = io::stderr();
    let end = client.relay(
        stdin_fd,
        &mut out,
        &mut err,
        if r.tty || stdin { Some(&keys) } else { None },
    )?;
    Ok(match end {
        RelayEnd::Exited(c) => Some(c),
        RelayEnd::Detached => None,
    })
}

/// Docker's `--detach-keys` syntax (`ctrl-p,ctrl-q`, letters); default Ctrl-P Ctrl-Q.
fn parse_detach_keys(s: Option<&str>) -> Vec<u8> {
    let Some(s) = s else {
        return DEFAULT_DETACH_KEYS.to_vec();
    };
    let mut out = Vec::new();
    for k in s.split(',') {
        let k = k.trim();
        match k.strip_prefix("ctrl-") {
            Some(c) if c.len() == 1 => {
                let b = c.as_bytes()[0].to_ascii_lowercase();
                out.push(match b {
                    b'a'..=b'z' => b - b'a' + 1,
                    b'@' => 0,
                    b'[' => 27,
                    b'\\' => 28,
                    b']' => 29,
                    b'^' => 30,
                    b'_' => 31,
                    _ => b,
                });
            }
            _ if k.len() == 1 => out.push(k.as_bytes()[0]),
            _ => {}
        }
    }
    if out.is_empty() {
        DEFAULT_DETACH_KEYS.to_vec()
    } else {
        out
    }
}

/// The terminal's size (rows, cols), when stdout or stdin is one.
pub(crate) fn window_size() -> Option<(u16, u16)> {
    for fd in [io::stdin().as_fd(), io::stdout().as_fd()] {
        if let Ok(ws) = rustix::termios::tcgetwinsize(fd) {
            return Some((ws.ws_row, ws.ws_col));
        }
    }
    None
}

/// Forwards window-size changes to the monitor and (without a terminal) termination
/// signals to the container, as Docker's sig-proxy does.
fn spawn_signal_thread(
    mut client: AttachClient,
    rt: berth_runtime::ops::Globals,
    id: String,
    tty: bool,
) {
    let mut set = SigSet::empty();
    set.add(Signal::SIGWINCH);
    if !tty {
        for s in berth_runtime::ops::run::FORWARDED {
            set.add(s);
        }
    }
    if set.thread_block().is_err() {
        return;
    }
    std::thread::spawn(move || loop {
        let Ok(sig) = set.wait() else { return };
        if sig == Signal::SIGWINCH {
            if let Some((rows, cols)) = window_size() {
                let _ = client.resize(rows, cols);
            }
        } else {
            let _ = berth_runtime::ops::kill::kill(&rt, &id, sig, false);
        }
    });
}

/// The terminal in raw mode until dropped.
pub(super) struct RawMode {
    saved: rustix::termios::Termios,
}

impl RawMode {
    pub(super) fn enter() -> anyhow::Result<RawMode> {
        let fd = io::stdin();
        let saved = rustix::termios::tcgetattr(&fd)?;
        let mut raw = saved.clone();
        raw.make_raw();
        rustix::termios::tcsetattr(&fd, rustix::termios::OptionalActions::Now, &raw)?;
        Ok(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(
            io::stdin(),
            rustix::termios::OptionalActions::Now,
            &self.saved,
        );
    }
}
