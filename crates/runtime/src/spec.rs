//! Loading and validating a bundle's `config.json`.
//!
//! Parsing is strict: a malformed file or a wrongly typed field is an error that names the
//! line and column; values the specification constrains (capability names, namespace types,
//! rlimit types) are checked by their types, and the rest by [`validate`].

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use oci_spec::runtime::{LinuxNamespaceType, Spec};

use crate::error::{Error, IoContext, Result};

/// Reads and parses `<bundle>/config.json`.
pub fn load(bundle: &Path) -> Result<Spec> {
    let path = bundle.join("config.json");
    let bytes = std::fs::read(&path).ctx(|| format!("read {}", path.display()))?;
    parse(&bytes).map_err(|e| match e {
        Error::Spec(msg) => Error::Spec(format!("{}: {msg}", path.display())),
        other => other,
    })
}

/// Parses config.json text.
pub fn parse(bytes: &[u8]) -> Result<Spec> {
    serde_json::from_slice(bytes).map_err(|e| Error::Spec(e.to_string()))
}

/// The absolute path of the container's root filesystem (`root.path` relative to the bundle).
pub fn rootfs_path(spec: &Spec, bundle: &Path) -> Result<PathBuf> {
    let root = spec
        .root()
        .as_ref()
        .ok_or_else(|| Error::Spec("root is required".into()))?;
    let path = root.path();
    Ok(if path.is_absolute() {
        path.clone()
    } else {
        bundle.join(path)
    })
}

/// Checks what the types alone cannot: a rootfs that exists and is a directory, a process
/// with args and an absolute cwd, namespaces listed at most once, a hostname only with its
/// own UTS namespace, id mappings only with a user namespace.
pub fn validate(spec: &Spec, bundle: &Path) -> Result<()> {
    let rootfs = rootfs_path(spec, bundle)?;
    match std::fs::metadata(&rootfs) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(Error::Spec(format!(
                "root.path {} is not a directory",
                rootfs.display()
            )))
        }
        Err(e) => return Err(Error::Spec(format!("root.path {}: {e}", rootfs.display()))),
    }
    let process = spec
        .process()
        .as_ref()
        .ok_or_else(|| Error::Spec("process is required".into()))?;
    match process.args() {
        Some(args) if !args.is_empty() => {}
        _ => {
            return Err(Error::Spec(
                "process.args must name a program to run".into(),
            ))
        }
    }
    if !process.cwd().is_absolute() {
        return Err(Error::Spec(format!(
            "process.cwd {:?} must be an absolute path",
            process.cwd()
        )));
    }
    let linux = spec.linux().as_ref();
    let namespaces = linux.and_then(|l| l.namespaces().as_ref());
    let mut seen = HashSet::new();
    for ns in namespaces.into_iter().flatten() {
        if !seen.insert(ns.typ()) {
            return Err(Error::Spec(format!(
                "namespace {} is listed twice",
                ns.typ()
            )));
        }
        if let Some(path) = ns.path() {
            if !path.is_absolute() {
                return Err(Error::Spec(format!(
                    "namespace {} path {} must be absolute",
                    ns.typ(),
                    path.display()
                )));
            }
        }
    }
    let has_new_or_joined = |t: LinuxNamespaceType| seen.contains(&t);

    if (spec.hostname().as_deref().is_some_and(|h| !h.is_empty())
        || spec.domainname().as_deref().is_some_and(|h| !h.is_empty()))
        && !has_new_or_joined(LinuxNamespaceType::Uts)
    {
        return Err(Error::Spec(
            "hostname/domainname need a uts namespace (add {\"type\":\"uts\"} to linux.namespaces)"
                .into(),
        ));
    }
    if let Some(linux) = linux {
        let has_maps = linux.uid_mappings().as_ref().is_some_and(|m| !m.is_empty())
            || linux.gid_mappings().as_ref().is_some_and(|m| !m.is_empty());
        if has_maps && !has_new_or_joined(LinuxNamespaceType::User) {
            return Err(Error::Spec(
                "uidMappings/gidMappings need a user namespace".into(),
            ));
        }
        for key in linux.sysctl().iter().flat_map(|s| s.keys()) {
            check_sysctl(spec, key)?;
        }
    }
    Ok(())
}

/// IPC sysctls, which belong to the IPC namespace (runc's list).
const IPC_SYSCTLS: &[&str] = &[
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
];

/// A sysctl is allowed only when the namespace it belongs to is the container's own;
/// anything else would change the host (as runc checks).
fn check_sysctl(spec: &Spec, key: &str) -> Result<()> {
    if key.is_empty() || key.contains("..") || key.contains('/') || key.starts_with('.') {
        return Err(Error::Spec(format!("invalid sysctl name {key:?}")));
    }
    let own = |t: LinuxNamespaceType| has_namespace(spec, t);
    let (ns, ok) = if IPC_SYSCTLS.contains(&key) || key.starts_with("fs.mqueue.") {
        ("ipc", own(LinuxNamespaceType::Ipc))
    } else if key.starts_with("net.") {
        ("network", own(LinuxNamespaceType::Network))
    } else if key == "kernel.hostname" || key == "kernel.domainname" {
        ("uts", own(LinuxNamespaceType::Uts))
    } else {
        return Err(Error::Spec(format!(
            "sysctl {key:?} is not in a separate kernel namespace: setting it would change the host"
        )));
    };
    if ok {
        Ok(())
    } else {
        Err(Error::Spec(format!(
            "sysctl {key:?} needs the container's own {ns} namespace (setting it would change the host)"
        )))
    }
}

/// Whether the container gets (or joins) a namespace of this type.
pub fn has_namespace(spec: &Spec, typ: LinuxNamespaceType) -> bool {
    spec.linux()
        .as_ref()
        .and_then(|l| l.namespaces().as_ref())
        .is_some_and(|nss| nss.iter().any(|n| n.typ() == typ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_type_is_an_error_with_position() {
        let err = parse(
            br#"{"ociVersion":"1.0.2","process":{"args":"sh","cwd":"/","user":{"uid":0,"gid":0}}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("line 1 column"), "{err}");
    }

    #[test]
    fn unknown_capability_is_rejected() {
        let err = parse(br#"{"process":{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0},"capabilities":{"bounding":["CAP_BOGUS"]}}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.to_lowercase().contains("bogus"), "{err}");
    }

    #[test]
    fn unknown_namespace_is_rejected() {
        assert!(parse(br#"{"linux":{"namespaces":[{"type":"bogus"}]}}"#).is_err());
    }

    #[test]
    fn validate_checks_rootfs_and_cwd() {
        let dir = tempfile::tempdir().unwrap();
        let spec = parse(br#"{"root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0}}}"#).unwrap();
        assert!(validate(&spec, dir.path())
            .unwrap_err()
            .to_string()
            .contains("rootfs"));
        std::fs::create_dir(dir.path().join("rootfs")).unwrap();
        validate(&spec, dir.path()).unwrap();
        let rel = parse(br#"{"root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"tmp","user":{"uid":0,"gid":0}}}"#).unwrap();
        assert!(validate(&rel, dir.path()).is_err());
    }
}
