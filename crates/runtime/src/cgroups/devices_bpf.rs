//! cgroup v2 device rules: the rule list, reduced to a default plus exceptions
//! ([`Effective`]), compiled to a `BPF_PROG_TYPE_CGROUP_DEVICE` program and attached to the
//! container's cgroup, replacing any device program berth attached there before. The
//! program's shape follows runc's `devicefilter`.
//!
//! The program sees `struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }`
//! where `access_type` is the device type (low 16 bits) and the requested access (high 16).

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use berth_sys::bpf::{self, BpfInsn};
use oci_spec::runtime::LinuxDeviceCgroup;

use super::devices::{rule_list, Effective};
use super::fs::{cg_err, CgroupFs};
use crate::Result;

const LDX_MEM_W: u8 = 0x61;
const ALU32_AND_K: u8 = 0x54;
const ALU32_RSH_K: u8 = 0x74;
const ALU32_MOV_K: u8 = 0xb4;
const ALU32_MOV_X: u8 = 0xbc;
const JMP_JEQ_K: u8 = 0x15;
const JMP_JNE_K: u8 = 0x55;
const JMP_JNE_X: u8 = 0x5d;
const JMP_EXIT: u8 = 0x95;
/// `BPF_DEVCG_DEV_BLOCK` / `BPF_DEVCG_DEV_CHAR`.
const DEV_BLOCK: i32 = 1;
const DEV_CHAR: i32 = 2;

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> BpfInsn {
    BpfInsn {
        code,
        regs: (src << 4) | (dst & 0xf),
        off,
        imm,
    }
}

/// Compiles the effective rules: R2 = type, R3 = access, R4 = major, R5 = minor; one block per
/// exception that returns the exception's verdict on a match; the default verdict at the end.
/// Allow exceptions need every requested access bit; deny exceptions any of them (as v1).
pub fn program(e: &Effective) -> Vec<BpfInsn> {
    let mut p = vec![
        insn(LDX_MEM_W, 2, 1, 0, 0),
        insn(ALU32_AND_K, 2, 0, 0, 0xFFFF),
        insn(LDX_MEM_W, 3, 1, 0, 0),
        insn(ALU32_RSH_K, 3, 0, 0, 16),
        insn(LDX_MEM_W, 4, 1, 4, 0),
        insn(LDX_MEM_W, 5, 1, 8, 0),
    ];
    for x in &e.exceptions {
        // (instruction, jumps to the next block)
        let mut block = vec![(
            insn(
                JMP_JNE_K,
                2,
                0,
                0,
                if x.typ == 'b' { DEV_BLOCK } else { DEV_CHAR },
            ),
            true,
        )];
        if x.access != 7 {
            block.push((insn(ALU32_MOV_X, 1, 3, 0, 0), false));
            block.push((insn(ALU32_AND_K, 1, 0, 0, i32::from(x.access)), false));
            if e.default_allow {
                block.push((insn(JMP_JEQ_K, 1, 0, 0, 0), true));
            } else {
                block.push((insn(JMP_JNE_X, 1, 3, 0, 0), true));
            }
        }
        for (reg, num) in [(4, x.major), (5, x.minor)] {
            if let Some(n) = num.and_then(|n| i32::try_from(n).ok()) {
                block.push((insn(JMP_JNE_K, reg, 0, 0, n), true));
            }
        }
        block.push((
            insn(ALU32_MOV_K, 0, 0, 0, i32::from(!e.default_allow)),
            false,
        ));
        block.push((insn(JMP_EXIT, 0, 0, 0, 0), false));
        let len = block.len();
        for (i, (mut ins, jump)) in block.into_iter().enumerate() {
            if jump {
                ins.off = i16::try_from(len - i - 1).unwrap_or(i16::MAX);
            }
            p.push(ins);
        }
    }
    p.push(insn(ALU32_MOV_K, 0, 0, 0, i32::from(e.default_allow)));
    p.push(insn(JMP_EXIT, 0, 0, 0, 0));
    p
}

/// A readable summary of the effective rules (recorded in fake mode, used in errors).
pub fn describe(e: &Effective) -> String {
    let mut s = if e.default_allow {
        "default allow"
    } else {
        "default deny"
    }
    .to_string();
    for x in &e.exceptions {
        s.push_str(&format!(
            "; {} {}",
            if x.allow { "allow" } else { "deny" },
            x.line()
        ));
    }
    s
}

/// Builds the device program for `spec` and attaches it to the v2 cgroup `dir`, then detaches
/// the device programs that were attached there before (on update).
pub fn apply(fs: &CgroupFs, dir: &Path, spec: &[LinuxDeviceCgroup]) -> Result<()> {
    let eff = Effective::of(&rule_list(dir, spec)?);
    if fs.is_fake() {
        fs.record(dir.join("<bpf device program>"), &describe(&eff));
        return Ok(());
    }
    let fail = |what: &str, e: std::io::Error| {
        cg_err(
            dir,
            format!("{what} device filter ({}): {e}", describe(&eff)),
        )
    };
    let cgroup: OwnedFd = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY)
        .open(dir)
        .map_err(|e| fail("open the cgroup for its", e))?
        .into();
    let prog =
        bpf::load_cgroup_device_prog(&program(&eff), c"Apache").map_err(|e| fail("load", e))?;
    let old = bpf::query_cgroup_device(cgroup.as_fd()).unwrap_or_default();
    bpf::attach_cgroup_device(cgroup.as_fd(), prog.as_fd()).map_err(|e| fail("attach", e))?;
    for id in old {
        if let Ok(fd) = bpf::prog_fd_by_id(id) {
            let _ = bpf::detach_cgroup_device(cgroup.as_fd(), fd.as_fd());
        }
    }
    Ok(())
}
