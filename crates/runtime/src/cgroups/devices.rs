//! Device access rules (`linux.resources.devices`).
//!
//! cgroup v1: `devices.deny` gets `a` (deny everything), then each rule, in order, goes to
//! `devices.allow` or `devices.deny` in the kernel's format (`c 1:3 rwm`, `*` for a wildcard
//! major or minor), then the devices every container gets ([`DEFAULT_ALLOWED`], the list runc,
//! crun and youki append: Docker and containerd specs rely on it for /dev/null and friends).
//! Without a `devices` list in the spec nothing is written (the cgroup inherits its parent's).
//!
//! cgroup v2 has no device files: the same rule list is reduced, with the v1 kernel's
//! semantics ([`Effective`]), to a default plus exceptions, and enforced by an eBPF program
//! attached to the cgroup (see `devices_bpf`).

use std::path::Path;

use oci_spec::runtime::{LinuxDeviceCgroup, LinuxDeviceType};

use super::fs::{cg_err, CgroupFs};
use crate::Result;

/// mknod access bit (same values as the kernel's `BPF_DEVCG_ACC_*`).
pub const ACC_MKNOD: u8 = 1;
/// read access bit.
pub const ACC_READ: u8 = 2;
/// write access bit.
pub const ACC_WRITE: u8 = 4;

/// One device rule, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Allow (true) or deny.
    pub allow: bool,
    /// `a` (all devices), `b` (block) or `c` (character).
    pub typ: char,
    /// Major number; None is the `*` wildcard.
    pub major: Option<u32>,
    /// Minor number; None is the `*` wildcard.
    pub minor: Option<u32>,
    /// Access bits ([`ACC_READ`], [`ACC_WRITE`], [`ACC_MKNOD`]), never 0.
    pub access: u8,
}

impl Rule {
    /// A character-device allow rule (for [`DEFAULT_ALLOWED`]).
    const fn allow(typ: char, major: Option<u32>, minor: Option<u32>, access: u8) -> Self {
        Self {
            allow: true,
            typ,
            major,
            minor,
            access,
        }
    }

    /// The kernel's line format: `c 1:3 rwm`, `a *:* rwm`.
    pub fn line(&self) -> String {
        let num = |n: Option<u32>| n.map_or_else(|| "*".to_string(), |n| n.to_string());
        let mut acc = String::new();
        for (bit, c) in [(ACC_READ, 'r'), (ACC_WRITE, 'w'), (ACC_MKNOD, 'm')] {
            if self.access & bit != 0 {
                acc.push(c);
            }
        }
        format!("{} {}:{} {acc}", self.typ, num(self.major), num(self.minor))
    }

    /// Validates a spec rule (`dir` is only for the error message).
    pub fn from_spec(dir: &Path, rule: &LinuxDeviceCgroup) -> Result<Self> {
        let typ =
            match rule.typ().unwrap_or(LinuxDeviceType::A) {
                LinuxDeviceType::A => 'a',
                LinuxDeviceType::B => 'b',
                // Unbuffered character devices are character devices to the cgroup.
                LinuxDeviceType::C | LinuxDeviceType::U => 'c',
                LinuxDeviceType::P => return Err(cg_err(
                    dir,
                    "device rule type \"p\" (FIFO) cannot be expressed as a devices-cgroup rule",
                )),
            };
        let num = |n: Option<i64>, what: &str| match n {
            Some(n) if n < 0 => Ok(None),
            None => Ok(None),
            // i32 range: what an eBPF immediate compares against (real numbers are far smaller).
            Some(n) => match u32::try_from(n) {
                Ok(v) if i32::try_from(v).is_ok() => Ok(Some(v)),
                _ => Err(cg_err(
                    dir,
                    format!("device rule {what} number {n} is out of range"),
                )),
            },
        };
        let text = rule
            .access()
            .as_deref()
            .filter(|a| !a.is_empty())
            .unwrap_or("rwm");
        let mut access = 0;
        for c in text.chars() {
            access |= match c {
                'r' => ACC_READ,
                'w' => ACC_WRITE,
                'm' => ACC_MKNOD,
                _ => {
                    return Err(cg_err(
                        dir,
                        format!("device rule access {text:?}: only r, w and m are allowed"),
                    ))
                }
            };
        }
        Ok(Self {
            allow: rule.allow(),
            typ,
            major: num(rule.major(), "major")?,
            minor: num(rule.minor(), "minor")?,
            access,
        })
    }
}

/// Rules appended after the spec's: mknod of any device, /dev/null, random, full, tty, zero,
/// urandom, pty slaves, ptmx, tun (runc's `AllowedDevices`).
pub const DEFAULT_ALLOWED: &[Rule] = &[
    Rule::allow('c', None, None, ACC_MKNOD),
    Rule::allow('b', None, None, ACC_MKNOD),
    Rule::allow('c', Some(1), Some(3), 7),
    Rule::allow('c', Some(1), Some(8), 7),
    Rule::allow('c', Some(1), Some(7), 7),
    Rule::allow('c', Some(5), Some(0), 7),
    Rule::allow('c', Some(1), Some(5), 7),
    Rule::allow('c', Some(1), Some(9), 7),
    Rule::allow('c', Some(136), None, 7),
    Rule::allow('c', Some(5), Some(2), 7),
    Rule::allow('c', Some(10), Some(200), 7),
];

/// The full rule list for a spec: deny all, the spec's rules in order, the defaults. All
/// rules are checked before anything is written.
pub fn rule_list(dir: &Path, spec: &[LinuxDeviceCgroup]) -> Result<Vec<Rule>> {
    let mut rules = vec![Rule {
        allow: false,
        typ: 'a',
        major: None,
        minor: None,
        access: 7,
    }];
    for r in spec {
        rules.push(Rule::from_spec(dir, r)?);
    }
    rules.extend_from_slice(DEFAULT_ALLOWED);
    Ok(rules)
}

/// Applies the rules to a v1 devices cgroup (the first, deny-all, rule is written as `a`).
pub fn apply_v1(fs: &CgroupFs, dir: &Path, spec: &[LinuxDeviceCgroup]) -> Result<()> {
    let rules = rule_list(dir, spec)?;
    fs.write(dir, "devices.deny", "a")?;
    for r in &rules[1..] {
        fs.write(
            dir,
            if r.allow {
                "devices.allow"
            } else {
                "devices.deny"
            },
            &r.line(),
        )?;
    }
    Ok(())
}

/// What a rule list amounts to, computed as the v1 kernel does: a default (allow or deny) and
/// exceptions to it. An `a` rule resets both; a rule of the other polarity adds (or widens) an
/// exception; a rule of the default's polarity removes access from the exception with the
/// very same type and numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    /// Whether devices not covered by an exception are allowed.
    pub default_allow: bool,
    /// Exceptions (all of polarity `!default_allow`), each type `b` or `c`.
    pub exceptions: Vec<Rule>,
}

impl Effective {
    /// Reduces `rules` (starting from "allow all", the state of a fresh cgroup).
    pub fn of(rules: &[Rule]) -> Self {
        let mut e = Self {
            default_allow: true,
            exceptions: Vec::new(),
        };
        for r in rules {
            let same = |x: &Rule| x.typ == r.typ && x.major == r.major && x.minor == r.minor;
            if r.typ == 'a' {
                e = Self {
                    default_allow: r.allow,
                    exceptions: Vec::new(),
                };
            } else if r.allow != e.default_allow {
                match e.exceptions.iter_mut().find(|x| same(x)) {
                    Some(x) => x.access |= r.access,
                    None => e.exceptions.push(*r),
                }
            } else {
                for x in e.exceptions.iter_mut().filter(|x| same(x)) {
                    x.access &= !r.access;
                }
                e.exceptions.retain(|x| x.access != 0);
            }
        }
        e
    }
}
