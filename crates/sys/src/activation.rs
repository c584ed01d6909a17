//! Socket activation (`sd_listen_fds(3)`): taking, once, the listening sockets an activator
//! (systemd, `systemd-socket-activate`) passed as fds 3, 4, ... with `LISTEN_FDS=n` and
//! `LISTEN_PID` naming this process.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

/// The first passed fd (`SD_LISTEN_FDS_START`).
pub const LISTEN_FDS_START: RawFd = 3;

/// The most fds accepted from an activator (a sanity bound on `LISTEN_FDS`).
const MAX_LISTEN_FDS: RawFd = 64;

/// Set once the passed fds have been taken, so no second [`OwnedFd`] can own them.
static TAKEN: AtomicBool = AtomicBool::new(false);

/// The variables an activator sets, removed once the fds are taken (so child processes do
/// not believe the sockets are theirs).
const VARS: [&str; 3] = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"];

/// Takes the sockets passed by socket activation: when `LISTEN_PID` is this process's pid
/// and `LISTEN_FDS` is n > 0, returns fds 3..3+n as owned fds (each made close-on-exec).
/// The activation variables are removed from the environment either way. Returns an empty
/// list when the process was not activated, and on every later call (the fds are taken
/// once).
///
/// Call it early, before other threads start (it changes the environment) and before
/// anything else could open or close fds 3 and up.
pub fn take_listen_fds() -> io::Result<Vec<OwnedFd>> {
    if TAKEN.swap(true, Ordering::SeqCst) {
        return Ok(Vec::new());
    }
    let pid = std::env::var("LISTEN_PID").ok();
    let count = std::env::var("LISTEN_FDS").ok();
    for v in VARS {
        std::env::remove_var(v);
    }
    let ours = pid
        .and_then(|p| p.trim().parse::<u32>().ok())
        .is_some_and(|p| p == std::process::id());
    let Some(count) = count.filter(|_| ours) else {
        return Ok(Vec::new());
    };
    let n: RawFd = count.trim().parse().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("LISTEN_FDS={count:?} is not a number"),
        )
    })?;
    if !(0..=MAX_LISTEN_FDS).contains(&n) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("LISTEN_FDS={n} is out of range"),
        ));
    }
    let mut fds = Vec::new();
    for fd in LISTEN_FDS_START..LISTEN_FDS_START + n {
        // SAFETY: fcntl(F_GETFD) only reads the flags of an fd number; one that is not open
        // fails with EBADF, reported before anything takes ownership of it.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        if flags < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "LISTEN_FDS={n}: fd {fd} is not open ({})",
                    io::Error::last_os_error()
                ),
            ));
        }
        // SAFETY: F_SETFD only changes the flags of this open fd; no memory is passed.
        let _ = unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) };
        // SAFETY: the fd is open (checked above); the activator passed it for this process
        // to own; `TAKEN` makes this the only time it is wrapped, so no other OwnedFd or
        // File refers to it.
        fds.push(unsafe { OwnedFd::from_raw_fd(fd) });
    }
    Ok(fds)
}

/// Whether `fd` is a unix stream socket in the listening state (what a unix `ListenStream=`
/// passes): `SO_DOMAIN` is `AF_UNIX`, `SO_TYPE` is `SOCK_STREAM` and `SO_ACCEPTCONN` is set.
pub fn is_listening_unix_stream(fd: BorrowedFd<'_>) -> io::Result<bool> {
    let opt = |name: libc::c_int| -> io::Result<libc::c_int> {
        let mut v: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `v` is a valid, writable c_int and `len` holds its size; the kernel writes
        // at most `len` bytes into it.
        let rc = unsafe {
            libc::getsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                name,
                (&mut v as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        if rc < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(v)
        }
    };
    match opt(libc::SO_DOMAIN) {
        Ok(d) if d == libc::AF_UNIX => {}
        Ok(_) => return Ok(false),
        Err(e) if e.raw_os_error() == Some(libc::ENOTSOCK) => return Ok(false),
        Err(e) => return Err(e),
    }
    Ok(opt(libc::SO_TYPE)? == libc::SOCK_STREAM && opt(libc::SO_ACCEPTCONN)? != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn listening_unix_stream_is_recognised() {
        let dir = std::env::temp_dir().join(format!("berth-sys-act-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sock");
        let _ = std::fs::remove_file(&path);
        let l = std::os::unix::net::UnixListener::bind(&path).unwrap();
        assert!(is_listening_unix_stream(l.as_fd()).unwrap());
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        assert!(!is_listening_unix_stream(a.as_fd()).unwrap());
        let f = std::fs::File::open("/dev/null").unwrap();
        assert!(!is_listening_unix_stream(f.as_fd()).unwrap());
        let t = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        assert!(!is_listening_unix_stream(t.as_fd()).unwrap());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn not_activated_without_our_pid() {
        // LISTEN_PID names another process: nothing is taken (the variables are cleared).
        std::env::set_var("LISTEN_PID", "1");
        std::env::set_var("LISTEN_FDS", "1");
        assert!(take_listen_fds().unwrap().is_empty());
        assert!(std::env::var("LISTEN_FDS").is_err());
    }
}
