//! Scheduling and memory placement of the calling process: `sched_setattr(2)`,
//! `set_mempolicy(2)` and `personality(2)`, which `nix` and `rustix` do not wrap (or not
//! with the fields the OCI runtime specification needs).

use std::io;

/// The kernel's `struct sched_attr` (include/uapi/linux/sched/types.h), 56 bytes
/// (`SCHED_ATTR_SIZE_VER1`). Older kernels that know only the 48-byte version accept the
/// larger size as long as the extra fields (`util_min`, `util_max`) are zero.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SchedAttr {
    /// Size of this structure; [`sched_setattr_self`] fills it in.
    pub size: u32,
    /// `SCHED_OTHER` (0), `SCHED_FIFO` (1), `SCHED_RR` (2), `SCHED_BATCH` (3),
    /// `SCHED_IDLE` (5) or `SCHED_DEADLINE` (6).
    pub policy: u32,
    /// `SCHED_FLAG_*` bits.
    pub flags: u64,
    /// Nice value, for `SCHED_OTHER` and `SCHED_BATCH`.
    pub nice: i32,
    /// Static priority, for `SCHED_FIFO` and `SCHED_RR`.
    pub priority: u32,
    /// `SCHED_DEADLINE` runtime, in nanoseconds.
    pub runtime: u64,
    /// `SCHED_DEADLINE` deadline, in nanoseconds.
    pub deadline: u64,
    /// `SCHED_DEADLINE` period, in nanoseconds.
    pub period: u64,
    /// Utilization clamp minimum (with `SCHED_FLAG_UTIL_CLAMP_MIN`).
    pub util_min: u32,
    /// Utilization clamp maximum (with `SCHED_FLAG_UTIL_CLAMP_MAX`).
    pub util_max: u32,
}

const _: () = assert!(std::mem::size_of::<SchedAttr>() == 56);

/// `sched_setattr(0, attr, 0)`: sets the calling thread's scheduling policy and attributes.
pub fn sched_setattr_self(attr: &SchedAttr) -> io::Result<()> {
    let mut a = *attr;
    a.size = std::mem::size_of::<SchedAttr>() as u32;
    // SAFETY: `a` is a properly laid out, initialised `struct sched_attr` whose `size` field
    // matches its real size; the kernel only reads it during the call.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_sched_setattr,
            0 as libc::pid_t,
            &a as *const SchedAttr,
            0 as libc::c_uint,
        )
    };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `set_mempolicy(mode, nodemask, maxnode)`: sets the calling thread's NUMA memory policy
/// (inherited by children and kept across `execve`). `mode` includes any `MPOL_F_*` flags;
/// `nodemask` is a bitmap of nodes, 64 per word (bit `n` of word `w` is node `64 * w + n`).
/// An empty `nodemask` passes a null mask, as `MPOL_DEFAULT` and `MPOL_LOCAL` need.
pub fn set_mempolicy(mode: i32, nodemask: &[u64]) -> io::Result<()> {
    let (ptr, maxnode) = if nodemask.is_empty() {
        (std::ptr::null(), 0)
    } else {
        // The kernel reads `maxnode - 1` bits, so one more than the bits we hold.
        (nodemask.as_ptr(), nodemask.len() as libc::c_ulong * 64 + 1)
    };
    // SAFETY: `ptr` is null (with maxnode 0) or points at `nodemask`, which holds
    // `maxnode - 1` readable bits for the duration of the call; the kernel only reads it.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_set_mempolicy,
            mode as libc::c_int,
            ptr as *const libc::c_ulong,
            maxnode,
        )
    };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `personality(persona)`: sets the process's execution domain and flags (kept across
/// `execve`). Returns the previous persona.
pub fn set_personality(persona: u32) -> io::Result<u32> {
    // SAFETY: personality takes an integer and touches no memory of ours.
    let ret = unsafe { libc::personality(persona as libc::c_ulong) };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as u32)
    }
}
