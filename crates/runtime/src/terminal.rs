//! `process.terminal`: a pseudo-terminal made inside the container (on its own devpts), whose
//! master end is sent to the caller's `--console-socket` and whose slave end becomes the
//! process's stdio, controlling terminal and /dev/console.

use std::io::IoSlice;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;

use nix::fcntl::{open, OFlag};
use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags};
use nix::sys::stat::Mode;
use oci_spec::runtime::Process;

use crate::error::{IoContext, Result};

/// Opens a pty pair; returns (master, slave, slave path).
fn open_pty() -> Result<(OwnedFd, OwnedFd, String)> {
    let master = nix::pty::posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)
        .ctx(|| "open /dev/ptmx".into())?;
    nix::pty::grantpt(&master).ctx(|| "grantpt".into())?;
    nix::pty::unlockpt(&master).ctx(|| "unlockpt".into())?;
    let name = nix::pty::ptsname_r(&master).ctx(|| "ptsname".into())?;
    let slave = open(
        Path::new(&name),
        OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .ctx(|| format!("open {name}"))?;
    let master: OwnedFd = master.into();
    Ok((master, slave, name))
}

/// Sends `fd` over the unix socket `socket` with SCM_RIGHTS, the pty name as payload
/// (as runc does).
pub fn send_fd(socket: BorrowedFd<'_>, fd: BorrowedFd<'_>, name: &str) -> Result<()> {
    let fds = [fd.as_raw_fd()];
    let cmsg = [ControlMessage::ScmRights(&fds)];
    let iov = [IoSlice::new(name.as_bytes())];
    sendmsg::<()>(socket.as_raw_fd(), &iov, &cmsg, MsgFlags::empty(), None)
        .ctx(|| "send the pty master to the console socket".into())?;
    Ok(())
}

/// Makes the pty, sets the window size and sends its master to the console socket;
/// returns the slave and its path.
fn pty_to_socket(socket: BorrowedFd<'_>, process: &Process) -> Result<(OwnedFd, String)> {
    let (master, slave, name) = open_pty()?;
    if let Some(size) = process.console_size() {
        let ws = rustix::termios::Winsize {
            ws_row: size.height() as u16,
            ws_col: size.width() as u16,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        rustix::termios::tcsetwinsize(&slave, ws).ctx(|| "set the console size".into())?;
    }
    send_fd(socket, master.as_fd(), &name)?;
    Ok((slave, name))
}

/// For the container's init: the pty's slave is bound on /dev/console and becomes the
/// controlling terminal and stdio. Runs after pivot_root, so the pty belongs to the
/// container's devpts.
///
/// `bind` is false when the container shares the runtime's mount namespace: then nothing is
/// mounted (the bind would land on the host's /dev/console).
pub fn setup_console(socket: BorrowedFd<'_>, process: &Process, bind: bool) -> Result<()> {
    let (slave, name) = pty_to_socket(socket, process)?;
    if bind {
        bind_console(&name)?;
    }
    become_terminal_owner(slave)
}

/// For `exec --tty`: like [`setup_console`] without the /dev/console bind.
pub fn setup_exec_terminal(socket: BorrowedFd<'_>, process: &Process) -> Result<()> {
    let (slave, _) = pty_to_socket(socket, process)?;
    become_terminal_owner(slave)
}

/// Bind-mounts the pty slave on /dev/console (creating the file if needed).
fn bind_console(slave_path: &str) -> Result<()> {
    let console = Path::new("/dev/console");
    if !console.exists() {
        std::fs::File::create(console).ctx(|| "create /dev/console".into())?;
    }
    nix::mount::mount(
        Some(Path::new(slave_path)),
        console,
        None::<&str>,
        nix::mount::MsFlags::MS_BIND,
        None::<&str>,
    )
    .ctx(|| format!("bind {slave_path} on /dev/console"))
}

/// New session, `slave` as controlling terminal, and as fds 0, 1 and 2.
pub fn become_terminal_owner(slave: OwnedFd) -> Result<()> {
    nix::unistd::setsid().ctx(|| "setsid".into())?;
    rustix::process::ioctl_tiocsctty(&slave)
        .ctx(|| "make the pty the controlling terminal".into())?;
    rustix::stdio::dup2_stdin(&slave).ctx(|| "dup pty to stdin".into())?;
    rustix::stdio::dup2_stdout(&slave).ctx(|| "dup pty to stdout".into())?;
    rustix::stdio::dup2_stderr(&slave).ctx(|| "dup pty to stderr".into())?;
    Ok(())
}
