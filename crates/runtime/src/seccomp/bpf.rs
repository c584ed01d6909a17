//! The profile to libseccomp rules, exported as classic BPF bytes. Follows runc: one rule per
//! syscall name; rules whose action equals the default are skipped; unknown names are skipped;
//! several conditions on one argument are split into one rule each (libseccomp refuses them
//! in a single rule), which makes them alternatives (OR) instead of requirements (AND).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use libseccomp::{
    ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall,
};
use oci_spec::runtime::{
    Arch, LinuxSeccomp, LinuxSeccompAction, LinuxSeccompArg, LinuxSeccompOperator,
};

use super::validate::{label, MAX_ARG_INDEX};
use crate::error::IoContext;
use crate::{Error, Result};

/// Above this many rules, ask libseccomp for a binary-tree dispatch (as runc does; libseccomp
/// 2.5.4 and older misbehave with the tree and no rules at all).
const TREE_THRESHOLD: usize = 32;

/// Builds the filter for `seccomp` (already validated) and exports its BPF program.
pub(super) fn build(seccomp: &LinuxSeccomp) -> Result<Vec<u8>> {
    let default = action(seccomp.default_action(), seccomp.default_errno_ret());
    let mut ctx = ScmpFilterContext::new(default)
        .map_err(|e| Error::Seccomp(format!("libseccomp: create a filter: {e}")))?;
    for arch in seccomp.architectures().iter().flatten() {
        add_arch(&mut ctx, *arch)?;
    }
    let mut rules = 0;
    for (i, call) in seccomp.syscalls().iter().flatten().enumerate() {
        let act = action(call.action(), call.errno_ret());
        if act == default {
            continue;
        }
        let groups = condition_groups(call.args().as_deref().unwrap_or_default());
        for name in call.names() {
            // Unknown to this libseccomp: assume the kernel lacks it too (runc does the same).
            let Ok(syscall) = ScmpSyscall::from_name(name) else {
                continue;
            };
            for group in &groups {
                let res = if group.is_empty() {
                    ctx.add_rule(act, syscall)
                } else {
                    ctx.add_rule_conditional(act, syscall, group)
                };
                res.map_err(|e| {
                    Error::Seccomp(format!(
                        "{}: libseccomp refused the rule for {name}: {e}",
                        label(i, call)
                    ))
                })?;
                rules += 1;
            }
        }
    }
    if rules > TREE_THRESHOLD {
        // Optional speed-up; older libseccomp lacks it, which is fine.
        let _ = ctx.set_ctl_optimize(2);
    }
    export(&ctx)
}

/// Maps an OCI action (with its validated errno) to libseccomp's.
fn action(action: LinuxSeccompAction, errno: Option<u32>) -> ScmpAction {
    let data = errno.unwrap_or(libc::EPERM as u32);
    match action {
        LinuxSeccompAction::ScmpActKill | LinuxSeccompAction::ScmpActKillThread => {
            ScmpAction::KillThread
        }
        LinuxSeccompAction::ScmpActKillProcess => ScmpAction::KillProcess,
        LinuxSeccompAction::ScmpActTrap => ScmpAction::Trap,
        // `validate` bounds data to MAX_ERRNO (ERRNO) and u16 (TRACE).
        LinuxSeccompAction::ScmpActErrno => ScmpAction::Errno(data as i32),
        LinuxSeccompAction::ScmpActTrace => ScmpAction::Trace(data as u16),
        LinuxSeccompAction::ScmpActLog => ScmpAction::Log,
        LinuxSeccompAction::ScmpActNotify => ScmpAction::Notify,
        LinuxSeccompAction::ScmpActAllow => ScmpAction::Allow,
    }
}

/// Adds an architecture to the filter (the native one is always there).
fn add_arch(ctx: &mut ScmpFilterContext, arch: Arch) -> Result<()> {
    let scmp = match arch {
        Arch::ScmpArchNative => return Ok(()),
        Arch::ScmpArchX86 => ScmpArch::X86,
        Arch::ScmpArchX86_64 => ScmpArch::X8664,
        Arch::ScmpArchX32 => ScmpArch::X32,
        Arch::ScmpArchArm => ScmpArch::Arm,
        Arch::ScmpArchAarch64 => ScmpArch::Aarch64,
        Arch::ScmpArchMips => ScmpArch::Mips,
        Arch::ScmpArchMips64 => ScmpArch::Mips64,
        Arch::ScmpArchMips64n32 => ScmpArch::Mips64N32,
        Arch::ScmpArchMipsel => ScmpArch::Mipsel,
        Arch::ScmpArchMipsel64 => ScmpArch::Mipsel64,
        Arch::ScmpArchMipsel64n32 => ScmpArch::Mipsel64N32,
        Arch::ScmpArchPpc => ScmpArch::Ppc,
        Arch::ScmpArchPpc64 => ScmpArch::Ppc64,
        Arch::ScmpArchPpc64le => ScmpArch::Ppc64Le,
        Arch::ScmpArchS390 => ScmpArch::S390,
        Arch::ScmpArchS390x => ScmpArch::S390X,
        Arch::ScmpArchRiscv64 => ScmpArch::Riscv64,
    };
    let present = ctx.is_arch_present(scmp).unwrap_or(false);
    if !present {
        ctx.add_arch(scmp)
            .map_err(|e| Error::Seccomp(format!("architectures: add {arch}: {e}")))?;
    }
    Ok(())
}

/// The conditions of one entry as groups, each group becoming one rule: all conditions in one
/// group, unless two of them test the same argument, in which case one group per condition.
fn condition_groups(args: &[LinuxSeccompArg]) -> Vec<Vec<ScmpArgCompare>> {
    let conditions: Vec<ScmpArgCompare> = args.iter().map(condition).collect();
    let mut per_index = [0usize; MAX_ARG_INDEX + 1];
    for arg in args {
        // Indexes were validated to be at most MAX_ARG_INDEX.
        if let Some(n) = per_index.get_mut(arg.index()) {
            *n += 1;
        }
    }
    if per_index.iter().any(|&n| n > 1) {
        conditions.into_iter().map(|c| vec![c]).collect()
    } else {
        vec![conditions]
    }
}

/// One OCI argument condition. For `SCMP_CMP_MASKED_EQ`, `value` is the mask and `valueTwo`
/// the value the masked argument must equal (libseccomp's datum_a and datum_b).
fn condition(arg: &LinuxSeccompArg) -> ScmpArgCompare {
    let index = arg.index() as u32;
    let (op, datum) = match arg.op() {
        LinuxSeccompOperator::ScmpCmpNe => (ScmpCompareOp::NotEqual, arg.value()),
        LinuxSeccompOperator::ScmpCmpLt => (ScmpCompareOp::Less, arg.value()),
        LinuxSeccompOperator::ScmpCmpLe => (ScmpCompareOp::LessOrEqual, arg.value()),
        LinuxSeccompOperator::ScmpCmpEq => (ScmpCompareOp::Equal, arg.value()),
        LinuxSeccompOperator::ScmpCmpGe => (ScmpCompareOp::GreaterEqual, arg.value()),
        LinuxSeccompOperator::ScmpCmpGt => (ScmpCompareOp::Greater, arg.value()),
        LinuxSeccompOperator::ScmpCmpMaskedEq => (
            ScmpCompareOp::MaskedEqual(arg.value()),
            arg.value_two().unwrap_or(0),
        ),
    };
    ScmpArgCompare::new(index, op, datum)
}

/// Exports the program through a memfd (libseccomp 2.5 only writes BPF to a file descriptor).
fn export(ctx: &ScmpFilterContext) -> Result<Vec<u8>> {
    let fd = rustix::fs::memfd_create("berth-seccomp-bpf", rustix::fs::MemfdFlags::CLOEXEC)
        .ctx(|| "create a memfd for the seccomp program".into())?;
    ctx.export_bpf(&fd)
        .map_err(|e| Error::Seccomp(format!("libseccomp: export the BPF program: {e}")))?;
    let mut file = File::from(fd);
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_end(&mut bytes))
        .ctx(|| "read back the exported seccomp program".into())?;
    Ok(bytes)
}
