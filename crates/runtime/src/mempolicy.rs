//! `linux.memoryPolicy`: the NUMA memory policy (mode, nodes, flags), set with
//! set_mempolicy(2) before `execve` (the policy is inherited and kept across it).

use oci_spec::runtime::{LinuxMemoryPolicy, MemoryPolicyFlagType, MemoryPolicyModeType, Spec};

use crate::error::{Error, IoContext, Result};
use crate::ranges;

/// The kernel's mode number (include/uapi/linux/mempolicy.h).
fn mode_number(mode: MemoryPolicyModeType) -> i32 {
    use MemoryPolicyModeType::*;
    match mode {
        MpolDefault => 0,
        MpolPreferred => 1,
        MpolBind => 2,
        MpolInterleave => 3,
        MpolLocal => 4,
        MpolPreferredMany => 5,
        MpolWeightedInterleave => 6,
    }
}

/// The kernel's `MPOL_F_*` mode flag.
fn flag_bit(flag: MemoryPolicyFlagType) -> i32 {
    use MemoryPolicyFlagType::*;
    match flag {
        MpolFNumaBalancing => 1 << 13,
        MpolFRelativeNodes => 1 << 14,
        MpolFStaticNodes => 1 << 15,
    }
}

/// The mode (with flags) and node mask `p` asks for, checked as far as it can be without
/// the kernel.
pub fn plan(p: &LinuxMemoryPolicy) -> Result<(i32, Vec<u64>)> {
    use MemoryPolicyModeType::*;
    let nodes = p.nodes().as_deref().filter(|n| !n.trim().is_empty());
    let mask = match nodes {
        Some(n) => ranges::bitmap(n, "linux.memoryPolicy.nodes")?,
        None => Vec::new(),
    };
    let flags = p.flags().iter().flatten().fold(0, |m, f| m | flag_bit(*f));
    match p.mode() {
        MpolDefault | MpolLocal => {
            if !mask.is_empty() || flags != 0 {
                return Err(Error::Spec(format!(
                    "linux.memoryPolicy: {} takes no nodes and no flags",
                    p.mode()
                )));
            }
        }
        MpolBind | MpolInterleave | MpolPreferredMany | MpolWeightedInterleave => {
            if mask.is_empty() {
                return Err(Error::Spec(format!(
                    "linux.memoryPolicy: {} needs nodes",
                    p.mode()
                )));
            }
        }
        MpolPreferred => {}
    }
    Ok((mode_number(p.mode()) | flags, mask))
}

/// Checks `linux.memoryPolicy` without applying it (for the runtime, before it forks).
pub fn validate(spec: &Spec) -> Result<()> {
    if let Some(p) = spec
        .linux()
        .as_ref()
        .and_then(|l| l.memory_policy().as_ref())
    {
        plan(p)?;
    }
    Ok(())
}

/// Applies `linux.memoryPolicy` to the calling process.
pub fn apply(spec: &Spec) -> Result<()> {
    let Some(p) = spec
        .linux()
        .as_ref()
        .and_then(|l| l.memory_policy().as_ref())
    else {
        return Ok(());
    };
    let (mode, mask) = plan(p)?;
    berth_sys::sched::set_mempolicy(mode, &mask).ctx(|| {
        let flags: Vec<String> = p.flags().iter().flatten().map(|f| f.to_string()).collect();
        format!(
            "set memory policy {} nodes {:?} flags [{}]",
            p.mode(),
            p.nodes().as_deref().unwrap_or(""),
            flags.join(",")
        )
    })
}
