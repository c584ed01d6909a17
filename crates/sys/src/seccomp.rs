//! Loading an already compiled classic-BPF seccomp program, so that berth can cache compiled
//! filters on disk and skip libseccomp's compiler on every start.

use std::io;

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
    if bytes.len() % 8 != 0 || bytes.is_empty() || bytes.len() / 8 > u16::MAX as usize {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("seccomp program of {} bytes is not a whole number of BPF instructions", bytes.len()),
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
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty or oversized seccomp program"));
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
