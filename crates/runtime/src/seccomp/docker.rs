//! Docker-format seccomp profiles (`docker run --security-opt seccomp=FILE`, and Docker's
//! default): an OCI profile plus `archMap` and per-entry `includes`/`excludes` conditions on
//! architecture, capabilities and kernel version, resolved into a plain [`LinuxSeccomp`] for
//! one container the way moby's `setupSeccomp` does.
//!
//! `default_profile.json` is Docker's default profile (moby `profiles/seccomp/default.json`,
//! the list shipped with Docker 25-era releases), written down in that format for berth; keep
//! it in step with moby's when that one changes.

use oci_spec::runtime::LinuxSeccomp;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::{Error, Result};

/// Docker's default profile, in Docker's format.
const DEFAULT_PROFILE: &str = include_str!("default_profile.json");

/// Docker's default capability set (moby `oci/caps/defaults.go`), which decides the
/// capability-conditional rules of [`default_docker_profile`].
pub const DOCKER_DEFAULT_CAPS: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// A Docker-format profile.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    default_action: Value,
    default_errno_ret: Option<u32>,
    architectures: Option<Vec<Value>>,
    arch_map: Option<Vec<ArchMap>>,
    flags: Option<Vec<Value>>,
    listener_path: Option<String>,
    listener_metadata: Option<String>,
    syscalls: Option<Vec<Syscall>>,
}

/// One `archMap` entry: the native architecture and the ones it can also run.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ArchMap {
    architecture: String,
    sub_architectures: Option<Vec<String>>,
}

/// One Docker-format `syscalls` entry.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Syscall {
    name: Option<String>,
    names: Option<Vec<String>>,
    action: Value,
    errno_ret: Option<u32>,
    args: Option<Vec<Value>>,
    includes: Option<Filter>,
    excludes: Option<Filter>,
}

/// `includes` / `excludes`: Go architecture names, capabilities, minimum kernel.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Filter {
    arches: Option<Vec<String>>,
    caps: Option<Vec<String>>,
    min_kernel: Option<String>,
}

/// The host as a profile sees it.
struct Host {
    /// Go's name of the architecture (`amd64`, `arm64`, ...), as profiles use it.
    arch: &'static str,
    /// Capabilities of the container (bounding set), `CAP_` form.
    caps: Vec<String>,
    /// Running kernel (major, minor).
    kernel: (u32, u32),
}

/// Docker's default profile resolved for this host and Docker's default capabilities
/// ([`DOCKER_DEFAULT_CAPS`]): default action ERRNO(EPERM), the allow list, the architecture
/// map entry of this machine, and the capability-conditional rules.
pub fn default_docker_profile() -> LinuxSeccomp {
    // The embedded profile is fixed data, checked by the unit tests; failing here is a bug.
    docker_profile(DEFAULT_PROFILE, DOCKER_DEFAULT_CAPS)
        .expect("the embedded default seccomp profile is valid")
}

/// Resolves a Docker-format profile (JSON text) for a container whose bounding capability set
/// is `caps` (`CAP_SYS_ADMIN` or `SYS_ADMIN`, any case), on this machine and kernel.
pub fn docker_profile(json: &str, caps: &[&str]) -> Result<LinuxSeccomp> {
    let host = Host {
        arch: go_arch(),
        caps: caps.iter().map(|c| cap_name(c)).collect(),
        kernel: kernel_version(),
    };
    resolve(json, &host)
}

/// Resolves `json` for `host` into an OCI profile and parses that with [`super::parse`].
fn resolve(json: &str, host: &Host) -> Result<LinuxSeccomp> {
    let p: Profile = serde_json::from_str(json)
        .map_err(|e| Error::Seccomp(format!("Docker seccomp profile: {e}")))?;
    let mut out = Map::new();
    out.insert("defaultAction".into(), p.default_action);
    if let Some(e) = p.default_errno_ret {
        out.insert("defaultErrnoRet".into(), e.into());
    }
    if p.architectures.as_ref().is_some_and(|a| !a.is_empty())
        && p.arch_map.as_ref().is_some_and(|m| !m.is_empty())
    {
        return Err(Error::Seccomp(
            "Docker seccomp profile: use either architectures or archMap, not both".into(),
        ));
    }
    let mut arches = p.architectures.unwrap_or_default();
    let native = seccomp_arch(host.arch);
    for m in p.arch_map.iter().flatten() {
        if Some(m.architecture.as_str()) == native {
            arches.push(m.architecture.clone().into());
            arches.extend(
                m.sub_architectures
                    .iter()
                    .flatten()
                    .map(|a| a.clone().into()),
            );
        }
    }
    if !arches.is_empty() {
        out.insert("architectures".into(), arches.into());
    }
    if let Some(f) = p.flags {
        out.insert("flags".into(), f.into());
    }
    if let Some(l) = p.listener_path {
        out.insert("listenerPath".into(), l.into());
    }
    if let Some(m) = p.listener_metadata {
        out.insert("listenerMetadata".into(), m.into());
    }
    let mut calls = Vec::new();
    for (i, call) in p.syscalls.into_iter().flatten().enumerate() {
        let names = match (call.name, call.names) {
            (Some(_), Some(n)) if !n.is_empty() => {
                return Err(Error::Seccomp(format!(
                    "Docker seccomp profile: syscalls[{i}]: use either name or names, not both"
                )))
            }
            (Some(name), _) => vec![name],
            (None, Some(names)) => names,
            (None, None) => Vec::new(),
        };
        if !applies(call.includes.as_ref(), call.excludes.as_ref(), host) {
            continue;
        }
        let mut entry = json!({ "names": names, "action": call.action });
        if let Some(e) = call.errno_ret {
            entry["errnoRet"] = e.into();
        }
        if let Some(args) = call.args.filter(|a| !a.is_empty()) {
            entry["args"] = args.into();
        }
        calls.push(entry);
    }
    out.insert("syscalls".into(), calls.into());
    super::parse(&Value::Object(out))
}

/// Whether an entry applies to `host`: every `includes` condition holds and no `excludes`
/// condition does (moby's rules).
fn applies(includes: Option<&Filter>, excludes: Option<&Filter>, host: &Host) -> bool {
    let has_cap = |c: &String| host.caps.contains(&cap_name(c));
    if let Some(ex) = excludes {
        if ex.arches.iter().flatten().any(|a| a == host.arch)
            || ex.caps.iter().flatten().any(has_cap)
            || ex
                .min_kernel
                .as_deref()
                .is_some_and(|k| kernel_at_least(host, k))
        {
            return false;
        }
    }
    if let Some(inc) = includes {
        if inc
            .arches
            .as_ref()
            .is_some_and(|a| !a.is_empty() && !a.iter().any(|a| a == host.arch))
            || !inc.caps.iter().flatten().all(has_cap)
            || inc
                .min_kernel
                .as_deref()
                .is_some_and(|k| !kernel_at_least(host, k))
        {
            return false;
        }
    }
    true
}

/// Whether the host kernel is at least `want` ("4.8"); an unreadable version never is.
fn kernel_at_least(host: &Host, want: &str) -> bool {
    parse_version(want).is_some_and(|w| host.kernel >= w)
}

/// "6.1.0-18-amd64" to (6, 1).
fn parse_version(s: &str) -> Option<(u32, u32)> {
    let mut parts = s.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

/// The running kernel's (major, minor); (0, 0) if unknown.
fn kernel_version() -> (u32, u32) {
    nix::sys::utsname::uname()
        .ok()
        .and_then(|u| u.release().to_str().and_then(parse_version))
        .unwrap_or((0, 0))
}

/// "sys_admin" to "CAP_SYS_ADMIN".
fn cap_name(c: &str) -> String {
    let up = c.trim().to_ascii_uppercase();
    if up.starts_with("CAP_") {
        up
    } else {
        format!("CAP_{up}")
    }
}

/// This machine's architecture under Go's name, which Docker profiles use.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "mips64" if cfg!(target_endian = "little") => "mips64le",
        "loongarch64" => "loong64",
        other => other,
    }
}

/// The `SCMP_ARCH_*` name of a Go architecture, for `archMap`.
fn seccomp_arch(go: &str) -> Option<&'static str> {
    Some(match go {
        "amd64" => "SCMP_ARCH_X86_64",
        "386" => "SCMP_ARCH_X86",
        "arm64" => "SCMP_ARCH_AARCH64",
        "arm" => "SCMP_ARCH_ARM",
        "mips64" => "SCMP_ARCH_MIPS64",
        "mips64le" => "SCMP_ARCH_MIPSEL64",
        "ppc64" => "SCMP_ARCH_PPC64",
        "ppc64le" => "SCMP_ARCH_PPC64LE",
        "s390x" => "SCMP_ARCH_S390X",
        "riscv64" => "SCMP_ARCH_RISCV64",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(arch: &'static str, caps: &[&str], kernel: (u32, u32)) -> Host {
        Host {
            arch,
            caps: caps.iter().map(|c| cap_name(c)).collect(),
            kernel,
        }
    }

    fn names(p: &LinuxSeccomp) -> Vec<String> {
        p.syscalls()
            .iter()
            .flatten()
            .flat_map(|s| s.names().clone())
            .collect()
    }

    #[test]
    fn seccomp_docker_default_resolves_per_arch_caps_kernel() {
        let amd = resolve(DEFAULT_PROFILE, &host("amd64", DOCKER_DEFAULT_CAPS, (6, 1))).unwrap();
        let arches: Vec<String> = amd
            .architectures()
            .iter()
            .flatten()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(
            arches,
            ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
        );
        let n = names(&amd);
        assert!(n.iter().any(|s| s == "arch_prctl") && n.iter().any(|s| s == "chroot"));
        assert!(!n
            .iter()
            .any(|s| s == "unshare" || s == "mount" || s == "riscv_flush_icache"));
        assert!(n.iter().any(|s| s == "ptrace"), "minKernel 4.8 met");

        let old = resolve(DEFAULT_PROFILE, &host("amd64", &[], (4, 4))).unwrap();
        assert!(!names(&old).iter().any(|s| s == "ptrace" || s == "chroot"));

        let admin = resolve(DEFAULT_PROFILE, &host("arm64", &["sys_admin"], (6, 1))).unwrap();
        let n = names(&admin);
        assert!(n.iter().any(|s| s == "unshare") && n.iter().any(|s| s == "set_tls"));
        // clone3 ENOSYS and the masked clone rule are excluded with CAP_SYS_ADMIN.
        assert!(admin
            .syscalls()
            .iter()
            .flatten()
            .all(|s| s.errno_ret().is_none()));
    }

    #[test]
    fn seccomp_docker_format_errors() {
        let both = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ERRNO"}]}"#;
        assert!(resolve(both, &host("amd64", &[], (6, 1))).is_err());
        let bad = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOPE"}]}"#;
        let e = resolve(bad, &host("amd64", &[], (6, 1)))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("syscalls[0] (mkdir)") && e.contains("SCMP_ACT_NOPE"),
            "{e}"
        );
        assert_eq!(parse_version("6.18.44-fc-v782"), Some((6, 18)));
    }
}
