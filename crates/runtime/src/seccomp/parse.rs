//! `linux.seccomp` from JSON with errors that name the offending entry. Deserialising straight
//! into [`LinuxSeccomp`] reports an unknown action as "unknown variant ... at line L column C";
//! this walks the JSON first so that the message says which entry and what is allowed.

use oci_spec::runtime::LinuxSeccomp;
use serde_json::{Map, Value};

use super::validate::MAX_ARG_INDEX;
use crate::{Error, Result};

/// Actions of the OCI runtime specification.
const ACTIONS: &[&str] = &[
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW",
    "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",
];

/// Argument comparison operators.
const OPS: &[&str] = &[
    "SCMP_CMP_NE",
    "SCMP_CMP_LT",
    "SCMP_CMP_LE",
    "SCMP_CMP_EQ",
    "SCMP_CMP_GE",
    "SCMP_CMP_GT",
    "SCMP_CMP_MASKED_EQ",
];

/// Filter flags this build can pass to the kernel.
const FLAGS: &[&str] = &[
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
];

/// Architectures this build knows.
const ARCHES: &[&str] = &[
    "SCMP_ARCH_NATIVE",
    "SCMP_ARCH_X86",
    "SCMP_ARCH_X86_64",
    "SCMP_ARCH_X32",
    "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",
    "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",
    "SCMP_ARCH_PPC64LE",
    "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",
    "SCMP_ARCH_RISCV64",
];

/// Parses the value of `linux.seccomp` (an OCI profile) into [`LinuxSeccomp`], reporting an
/// unknown action, operator, flag or architecture, or an argument index above 5, as
/// [`Error::Seccomp`] naming the entry (e.g. `syscalls[2] (mkdir): unknown action ...`).
/// Use it on the raw JSON when deserialising config.json as a whole failed, or to pre-check.
pub fn parse(value: &Value) -> Result<LinuxSeccomp> {
    let obj = value
        .as_object()
        .ok_or_else(|| Error::Seccomp("linux.seccomp must be a JSON object".into()))?;
    match obj.get("defaultAction") {
        None => return Err(Error::Seccomp("defaultAction is missing".into())),
        Some(v) => one_of("defaultAction", "action", v, ACTIONS)?,
    }
    for (i, v) in list(obj, "flags")?.iter().enumerate() {
        if v.as_str() == Some("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") {
            return Err(Error::Seccomp(format!(
                "flags[{i}]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported by berth yet"
            )));
        }
        one_of(&format!("flags[{i}]"), "flag", v, FLAGS)?;
    }
    for (i, v) in list(obj, "architectures")?.iter().enumerate() {
        one_of(&format!("architectures[{i}]"), "architecture", v, ARCHES)?;
    }
    for (i, call) in list(obj, "syscalls")?.iter().enumerate() {
        check_syscall(i, call)?;
    }
    serde_json::from_value(value.clone()).map_err(|e| Error::Seccomp(format!("linux.seccomp: {e}")))
}

/// Checks one `syscalls` entry.
fn check_syscall(i: usize, call: &Value) -> Result<()> {
    let Some(obj) = call.as_object() else {
        return Err(Error::Seccomp(format!(
            "syscalls[{i}] must be a JSON object"
        )));
    };
    let names = list(obj, "names")?
        .iter()
        .take(3)
        .map(|n| n.as_str().unwrap_or("?"))
        .collect::<Vec<_>>()
        .join(", ");
    let what = format!("syscalls[{i}] ({names})");
    match obj.get("action") {
        None => return Err(Error::Seccomp(format!("{what}: action is missing"))),
        Some(v) => one_of(&what, "action", v, ACTIONS)?,
    }
    for (j, arg) in list(obj, "args")?.iter().enumerate() {
        let at = format!("{what}: args[{j}]");
        match arg.get("op") {
            None => return Err(Error::Seccomp(format!("{at}: op is missing"))),
            Some(v) => one_of(&at, "op", v, OPS)?,
        }
        if let Some(index) = arg.get("index").and_then(Value::as_u64) {
            if index > MAX_ARG_INDEX as u64 {
                return Err(Error::Seccomp(format!(
                    "{at}: index is {index}; syscall arguments are numbered 0 to {MAX_ARG_INDEX}"
                )));
            }
        }
    }
    Ok(())
}

/// The array under `key` (absent or null: empty).
fn list<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a [Value]> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(Error::Seccomp(format!("{key} must be an array"))),
    }
}

/// Checks that `v` is one of `allowed`.
fn one_of(what: &str, kind: &str, v: &Value, allowed: &[&str]) -> Result<()> {
    match v.as_str() {
        Some(s) if allowed.contains(&s) => Ok(()),
        _ => Err(Error::Seccomp(format!(
            "{what}: unknown {kind} {v}; expected one of {}",
            allowed.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use oci_spec::runtime::{
        Arch, LinuxSeccompAction, LinuxSeccompFilterFlag, LinuxSeccompOperator,
    };

    use super::*;

    #[test]
    fn seccomp_parse_lists_match_oci_spec() {
        assert!(ACTIONS
            .iter()
            .all(|s| s.parse::<LinuxSeccompAction>().is_ok()));
        assert!(OPS
            .iter()
            .all(|s| s.parse::<LinuxSeccompOperator>().is_ok()));
        assert!(FLAGS
            .iter()
            .all(|s| s.parse::<LinuxSeccompFilterFlag>().is_ok()));
        assert!(
            ARCHES.iter().all(|s| s.parse::<Arch>().is_ok()),
            "arch names"
        );
    }
}
