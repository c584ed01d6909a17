//! A pseudo-terminal for a `berth exec -t` child, whose stdin must be a terminal. The slave
//! starts in raw mode: the process in the container has a terminal of its own, this one only
//! carries bytes (no echo, no line editing, no newline translation twice). It is nobody's
//! controlling terminal, so a resize reaches the child as a SIGWINCH the caller sends.

use std::io;
use std::os::fd::{AsFd, OwnedFd};

use rustix::fs::{Mode, OFlags};
use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
use rustix::termios::{tcgetattr, tcsetattr, tcsetwinsize, OptionalActions, Winsize};

/// Both ends of a new pty (close-on-exec).
pub struct Pty {
    /// The end this service reads and writes.
    pub master: OwnedFd,
    /// The child's stdio.
    pub slave: OwnedFd,
}

/// A new pty of `rows` x `cols`, its slave in raw mode.
pub fn open(rows: u16, cols: u16) -> io::Result<Pty> {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname(&master, Vec::new())?;
    let slave = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut t = tcgetattr(&slave)?;
    t.make_raw();
    tcsetattr(&slave, OptionalActions::Now, &t)?;
    set_size(&master, rows, cols)?;
    Ok(Pty { master, slave })
}

/// Sets the terminal's size through its master end.
pub fn set_size(master: impl AsFd, rows: u16, cols: u16) -> io::Result<()> {
    let ws = Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    tcsetwinsize(master, ws)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    #[test]
    fn raw_pty_carries_bytes_and_size() {
        let p = open(30, 100).unwrap();
        let ws = rustix::termios::tcgetwinsize(&p.slave).unwrap();
        assert_eq!((ws.ws_row, ws.ws_col), (30, 100));
        let mut m = std::fs::File::from(p.master);
        let mut s = std::fs::File::from(p.slave);
        s.write_all(b"a\n").unwrap();
        let mut buf = [0u8; 8];
        let n = m.read(&mut buf).unwrap();
        // Raw: no "\r\n" for "\n".
        assert_eq!(&buf[..n], b"a\n");
    }
}
