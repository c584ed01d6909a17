//! `linux.personality`: the execution domain (`LINUX`, `LINUX32`) and flags, set with
//! personality(2) right before `execve` (the persona is kept across it).

use oci_spec::runtime::{LinuxPersonality, LinuxPersonalityDomain, Spec};

use crate::error::{Error, IoContext, Result};

/// `PER_LINUX32` (include/uapi/linux/personality.h); `PER_LINUX` is 0.
const PER_LINUX32: u32 = 0x0008;

/// The personality(2) flags, by their names in include/uapi/linux/personality.h.
const FLAGS: &[(&str, u32)] = &[
    ("UNAME26", 0x0020000),
    ("ADDR_NO_RANDOMIZE", 0x0040000),
    ("FDPIC_FUNCPTRS", 0x0080000),
    ("MMAP_PAGE_ZERO", 0x0100000),
    ("ADDR_COMPAT_LAYOUT", 0x0200000),
    ("READ_IMPLIES_EXEC", 0x0400000),
    ("ADDR_LIMIT_32BIT", 0x0800000),
    ("SHORT_INODE", 0x1000000),
    ("WHOLE_SECONDS", 0x2000000),
    ("STICKY_TIMEOUTS", 0x4000000),
    ("ADDR_LIMIT_3GB", 0x8000000),
];

/// The persona value `p` asks for; unknown flags are an error.
pub fn persona(p: &LinuxPersonality) -> Result<u32> {
    let mut v = match p.domain() {
        LinuxPersonalityDomain::PerLinux => 0,
        LinuxPersonalityDomain::PerLinux32 => PER_LINUX32,
    };
    for f in p.flags().iter().flatten() {
        let bit = FLAGS
            .iter()
            .find(|(name, _)| name == f)
            .map(|(_, bit)| *bit)
            .ok_or_else(|| {
                let known: Vec<&str> = FLAGS.iter().map(|(n, _)| *n).collect();
                Error::Spec(format!(
                    "linux.personality.flags: unknown flag {f:?} (known: {})",
                    known.join(", ")
                ))
            })?;
        v |= bit;
    }
    Ok(v)
}

/// Checks `linux.personality` without applying it (for the runtime, before it forks).
pub fn validate(spec: &Spec) -> Result<()> {
    if let Some(p) = spec.linux().as_ref().and_then(|l| l.personality().as_ref()) {
        persona(p)?;
    }
    Ok(())
}

/// Applies `linux.personality` to the calling process.
pub fn apply(spec: &Spec) -> Result<()> {
    let Some(p) = spec.linux().as_ref().and_then(|l| l.personality().as_ref()) else {
        return Ok(());
    };
    let v = persona(p)?;
    berth_sys::sched::set_personality(v).ctx(|| {
        let flags = p.flags().clone().unwrap_or_default();
        format!("set personality {} flags [{}]", p.domain(), flags.join(","))
    })?;
    Ok(())
}
