//! Capabilities: Docker's default set adjusted by `--cap-add` / `--cap-drop` / `--privileged`
//! (moby `caps.TweakCapabilities`).

use super::{Error, Result};

/// Docker's default capability set (moby `oci/caps/defaults.go`), without the `CAP_` prefix.
pub const DEFAULT_CAPS: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "FSETID",
    "FOWNER",
    "MKNOD",
    "NET_RAW",
    "SETGID",
    "SETUID",
    "SETFCAP",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "SYS_CHROOT",
    "KILL",
    "AUDIT_WRITE",
];

/// Every capability Linux defines (through `CAP_CHECKPOINT_RESTORE`, 40), in number order:
/// what `ALL` and `--privileged` mean. Without the `CAP_` prefix.
pub const ALL_CAPS: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

/// `sys_admin`, `CAP_SYS_ADMIN`, `cap_sys_admin` -> `SYS_ADMIN`; `all` -> `ALL`; an
/// unknown name is an error.
fn normalize(name: &str) -> Result<String> {
    let upper = name.trim().to_ascii_uppercase();
    let short = upper.strip_prefix("CAP_").unwrap_or(&upper);
    if short == "ALL" || ALL_CAPS.contains(&short) {
        Ok(short.to_string())
    } else {
        Err(Error::UnknownCapability(name.to_string()))
    }
}

/// The container's capability set (`CAP_` names, as the OCI spec takes them), as moby's `TweakCapabilities` computes it:
/// `--privileged` is everything; `--cap-add ALL` is everything but the drops; `--cap-drop
/// ALL` leaves only the adds; otherwise the default set minus the drops plus the adds (an
/// add beats a drop of the same name). The result is in [`ALL_CAPS`] order.
pub fn capability_set(
    cap_add: &[String],
    cap_drop: &[String],
    privileged: bool,
) -> Result<Vec<String>> {
    let adds = cap_add
        .iter()
        .map(|c| normalize(c))
        .collect::<Result<Vec<_>>>()?;
    let drops = cap_drop
        .iter()
        .map(|c| normalize(c))
        .collect::<Result<Vec<_>>>()?;
    let has = |list: &[String], c: &str| list.iter().any(|x| x == c);
    let keep = |c: &&&str| -> bool {
        let c = **c;
        if privileged || has(&adds, "ALL") {
            privileged || !has(&drops, c)
        } else if has(&drops, "ALL") {
            has(&adds, c)
        } else {
            (DEFAULT_CAPS.contains(&c) && !has(&drops, c)) || has(&adds, c)
        }
    };
    Ok(ALL_CAPS
        .iter()
        .filter(keep)
        .map(|c| format!("CAP_{c}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn defaults() {
        let c = capability_set(&[], &[], false).unwrap();
        assert_eq!(c.len(), DEFAULT_CAPS.len());
        assert!(DEFAULT_CAPS.iter().all(|d| c.contains(&format!("CAP_{d}"))));
    }

    #[test]
    fn add_and_drop() {
        let c = capability_set(
            &v(&["sys_admin", "CAP_NET_ADMIN"]),
            &v(&["chown", "Cap_Kill"]),
            false,
        )
        .unwrap();
        assert!(c.contains(&"CAP_SYS_ADMIN".to_string()));
        assert!(c.contains(&"CAP_NET_ADMIN".to_string()));
        assert!(!c.contains(&"CAP_CHOWN".to_string()));
        assert!(!c.contains(&"CAP_KILL".to_string()));
        assert_eq!(c.len(), DEFAULT_CAPS.len());
    }

    #[test]
    fn all() {
        assert_eq!(
            capability_set(&[], &v(&["ALL"]), false).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            capability_set(&v(&["NET_BIND_SERVICE"]), &v(&["all"]), false).unwrap(),
            ["CAP_NET_BIND_SERVICE"]
        );
        let c = capability_set(&v(&["ALL"]), &v(&["SYS_ADMIN"]), false).unwrap();
        assert_eq!(c.len(), ALL_CAPS.len() - 1);
        assert!(!c.contains(&"CAP_SYS_ADMIN".to_string()));
        assert_eq!(
            capability_set(&[], &[], true).unwrap().len(),
            ALL_CAPS.len()
        );
    }

    #[test]
    fn unknown() {
        assert_eq!(
            capability_set(&v(&["FLY"]), &[], false)
                .unwrap_err()
                .to_string(),
            "unknown capability: \"FLY\""
        );
        assert!(capability_set(&[], &v(&["CAP_NOPE"]), false).is_err());
        assert!(capability_set(&v(&["BOGUS"]), &[], true).is_err());
    }

    #[test]
    fn add_beats_drop() {
        let c = capability_set(&v(&["CHOWN"]), &v(&["CHOWN"]), false).unwrap();
        assert!(c.contains(&"CAP_CHOWN".to_string()));
    }
}
