//! `getsockopt(2)` with a caller-filled buffer, which `nix` and `rustix` only offer for the
//! options they know (their getters hand the kernel uninitialised memory).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// `getsockopt(fd, level, name, buf)`, where `buf` carries input too (iptables'
/// `IPT_SO_GET_INFO` and `IPT_SO_GET_ENTRIES` read the table's name and size from it) and
/// the kernel writes the answer back into it. Returns the length the kernel reported.
pub fn getsockopt_in_out(
    fd: BorrowedFd<'_>,
    level: i32,
    name: i32,
    buf: &mut [u8],
) -> io::Result<usize> {
    let mut len = libc::socklen_t::try_from(buf.len())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `buf` is valid for writes of `len` bytes for the whole call and the kernel
    // writes at most `len` bytes; `len` is a valid, initialised socklen_t.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            buf.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(len as usize)
}
