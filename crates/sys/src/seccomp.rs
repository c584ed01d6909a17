//! Loading an already compiled classic-BPF seccomp program, so that berth can cache compiled
//! filters on disk and skip libseccomp's compiler on every start.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

/// `struct sock_filter`: one classic BPF instruction (8 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SockFilter {
    /// Operation code.
    pub code: u16,
    /// Jump offset if true.
    pub jt: u8,
    /// Jump offset if false.
    pub jf: u8,
    /// Generic operand.
    pub k: u32,
}

#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

/// Decodes a program exported by `seccomp_export_bpf` (native-endian 8-byte instructions).
pub fn decode_bpf(bytes: &[u8]) -> io::Result<Vec<SockFilter>> {
    if !bytes.len().is_multiple_of(8) || bytes.is_empty() || bytes.len() / 8 > u16::MAX as usize {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "seccomp program of {} bytes is not a whole number of BPF instructions",
                bytes.len()
            ),
        ));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| SockFilter {
            code: u16::from_ne_bytes([c[0], c[1]]),
            jt: c[2],
            jf: c[3],
            k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
        })
        .collect())
}

/// Installs `program` as a seccomp filter on the calling thread with `seccomp(2)`
/// (`SECCOMP_SET_MODE_FILTER`) and the given `SECCOMP_FILTER_FLAG_*` flags. Returns the
/// syscall's non-negative result (a listener fd when `SECCOMP_FILTER_FLAG_NEW_LISTENER` is set).
pub fn load_filter(program: &[SockFilter], flags: u32) -> io::Result<i32> {
    if program.is_empty() || program.len() > u16::MAX as usize {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "empty or oversized seccomp program",
        ));
    }
    let prog = SockFprog {
        len: program.len() as u16,
        filter: program.as_ptr(),
    };
    // SAFETY: `prog` points at `program`, which outlives the call; the kernel copies the
    // program and validates every instruction before installing it.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            1 as libc::c_ulong, // SECCOMP_SET_MODE_FILTER
            flags as libc::c_ulong,
            &prog as *const SockFprog,
        )
    };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as i32)
    }
}

/// Installs `program` like [`load_filter`] with `SECCOMP_FILTER_FLAG_NEW_LISTENER` added to
/// `flags`, and returns the user-notification listener fd the kernel hands back (close-on-exec).
pub fn load_filter_listener(program: &[SockFilter], flags: u32) -> io::Result<OwnedFd> {
    let fd = load_filter(
        program,
        flags | libc::SECCOMP_FILTER_FLAG_NEW_LISTENER as u32,
    )?;
    if fd < 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "seccomp(2) returned no listener fd",
        ));
    }
    // SAFETY: with SECCOMP_FILTER_FLAG_NEW_LISTENER a successful seccomp(2) returns a new file
    // descriptor (close-on-exec) that nothing else owns; we take sole ownership of it here.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Asks the kernel whether `seccomp(SECCOMP_SET_MODE_FILTER)` accepts the given
/// `SECCOMP_FILTER_FLAG_*` combination, without installing anything: the call is made with a
/// null program, so a kernel that knows the flags fails with `EFAULT` (`Ok(true)`) and one that
/// does not fails with `EINVAL` (`Ok(false)`). Any other error (e.g. `EPERM` from an outer
/// seccomp filter) is returned as is.
pub fn filter_flags_supported(flags: u32) -> io::Result<bool> {
    // SAFETY: the program pointer is null; the kernel validates `flags` first and then fails
    // to copy the (absent) program with EFAULT, so nothing is read through the pointer and no
    // filter is installed.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            1 as libc::c_ulong, // SECCOMP_SET_MODE_FILTER
            flags as libc::c_ulong,
            std::ptr::null::<SockFprog>(),
        )
    };
    if ret >= 0 {
        // Cannot happen with a null program; treat it as "accepted".
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EFAULT) => Ok(true),
        Some(libc::EINVAL) => Ok(false),
        _ => Err(err),
    }
}
