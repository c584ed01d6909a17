//! Devices: the device cgroup's default allow list, `--device` mappings resolved against the
//! host's /dev (stat), and all host devices for `--privileged`.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use oci_spec::runtime::{LinuxDeviceCgroup, LinuxDeviceType};

use super::{DeviceMapping, Error, Result};

/// A device node to create in the container, with its cgroup permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedDevice {
    /// Path in the container.
    pub path: PathBuf,
    /// `c` or `b`.
    pub kind: DeviceKind,
    /// Major number.
    pub major: i64,
    /// Minor number.
    pub minor: i64,
    /// Permission bits of the node.
    pub file_mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Device cgroup access (`rwm` subset).
    pub permissions: String,
}

/// Character or block device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    /// Character device.
    Char,
    /// Block device.
    Block,
}

impl DeviceKind {
    /// The OCI type.
    pub fn oci(self) -> LinuxDeviceType {
        match self {
            DeviceKind::Char => LinuxDeviceType::C,
            DeviceKind::Block => LinuxDeviceType::B,
        }
    }
}

fn rule(
    allow: bool,
    typ: Option<LinuxDeviceType>,
    major: Option<i64>,
    minor: Option<i64>,
    access: &str,
) -> LinuxDeviceCgroup {
    let mut r = LinuxDeviceCgroup::default();
    r.set_allow(allow)
        .set_typ(typ)
        .set_major(major)
        .set_minor(minor)
        .set_access(Some(access.to_string()));
    r
}

/// The device cgroup rules every non-privileged container gets (Docker's, as runc completes
/// them): deny everything, then `mknod` of any node, and read/write/mknod of null, zero,
/// full, random, urandom, tty, console, ptmx, the pts devices and tun.
pub fn default_device_rules() -> Vec<LinuxDeviceCgroup> {
    use LinuxDeviceType::{B, C};
    let c = |major, minor: Option<i64>| rule(true, Some(C), Some(major), minor, "rwm");
    vec![
        rule(false, None, None, None, "rwm"),
        rule(true, Some(C), None, None, "m"),
        rule(true, Some(B), None, None, "m"),
        c(1, Some(3)),
        c(1, Some(5)),
        c(1, Some(7)),
        c(1, Some(8)),
        c(1, Some(9)),
        c(5, Some(0)),
        c(5, Some(1)),
        c(5, Some(2)),
        c(136, None),
        c(10, Some(200)),
    ]
}

/// The rule allowing everything (`--privileged`).
pub fn allow_all_rule() -> LinuxDeviceCgroup {
    rule(true, None, None, None, "rwm")
}

/// The cgroup rule for one resolved device.
pub fn device_rule(d: &ResolvedDevice) -> LinuxDeviceCgroup {
    rule(
        true,
        Some(d.kind.oci()),
        Some(d.major),
        Some(d.minor),
        &d.permissions,
    )
}

fn from_meta(meta: &std::fs::Metadata, path: PathBuf, permissions: &str) -> Option<ResolvedDevice> {
    let ft = meta.file_type();
    let kind = if ft.is_char_device() {
        DeviceKind::Char
    } else if ft.is_block_device() {
        DeviceKind::Block
    } else {
        return None;
    };
    let rdev = meta.rdev();
    Some(ResolvedDevice {
        path,
        kind,
        major: i64::from(rustix::fs::major(rdev)),
        minor: i64::from(rustix::fs::minor(rdev)),
        file_mode: meta.mode() & 0o7777,
        uid: meta.uid(),
        gid: meta.gid(),
        permissions: permissions.to_string(),
    })
}

/// Resolves a `--device` mapping on the host: a device node, or a directory whose device
/// nodes (recursively) all appear under the container path, as Docker does.
pub fn resolve_device(m: &DeviceMapping) -> Result<Vec<ResolvedDevice>> {
    let host = Path::new(&m.path_on_host);
    let io = |source| Error::Io {
        what: format!(
            "error gathering device information while adding custom device \"{}\"",
            m.path_on_host
        ),
        source,
    };
    let meta = std::fs::metadata(host).map_err(io)?;
    if let Some(d) = from_meta(
        &meta,
        PathBuf::from(&m.path_in_container),
        &m.cgroup_permissions,
    ) {
        return Ok(vec![d]);
    }
    if !meta.is_dir() {
        return Err(Error::Conflict(format!(
            "{} is not a device node",
            m.path_on_host
        )));
    }
    let mut out = Vec::new();
    walk(host, &mut |p, meta| {
        let rel = p.strip_prefix(host).unwrap_or(p);
        if let Some(d) = from_meta(
            meta,
            Path::new(&m.path_in_container).join(rel),
            &m.cgroup_permissions,
        ) {
            out.push(d);
        }
    })
    .map_err(io)?;
    Ok(out)
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path, &std::fs::Metadata)) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.is_dir() {
            walk(&path, f)?;
        } else {
            f(&path, &meta);
        }
    }
    Ok(())
}

/// Every device node under `dev` (normally `/dev`) for `--privileged`, as containerd's
/// `HostDevices`: skipping `pts`, `shm`, `fd`, `mqueue`, `.lxc`, `.lxd-mounts`,
/// `.udev` and `/dev/console`, and symlinks.
pub fn host_devices(dev: &Path) -> Result<Vec<ResolvedDevice>> {
    let mut out = Vec::new();
    scan(dev, dev, &mut out).map_err(|source| Error::Io {
        what: format!("listing the host's devices in {}", dev.display()),
        source,
    })?;
    Ok(out)
}

fn scan(root: &Path, dir: &Path, out: &mut Vec<ResolvedDevice>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(_) => continue,
        };
        if meta.is_dir() {
            let name = entry.file_name();
            if matches!(
                name.to_str(),
                Some("pts" | "shm" | "fd" | "mqueue" | ".lxc" | ".lxd-mounts" | ".udev")
            ) {
                continue;
            }
            scan(root, &path, out)?;
            continue;
        }
        if path == root.join("console") {
            continue;
        }
        let in_ctr = Path::new("/dev").join(path.strip_prefix(root).unwrap_or(&path));
        if let Some(d) = from_meta(&meta, in_ctr, "rwm") {
            out.push(d);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rules_deny_first() {
        let r = default_device_rules();
        assert!(!r[0].allow());
        assert_eq!(r[0].access().as_deref(), Some("rwm"));
        assert!(r[1..].iter().all(|x| x.allow()));
        assert!(r
            .iter()
            .any(|x| x.major() == Some(136) && x.minor().is_none()));
        assert!(r
            .iter()
            .any(|x| x.major() == Some(10) && x.minor() == Some(200)));
    }

    #[test]
    fn resolve_dev_null() {
        let m = DeviceMapping {
            path_on_host: "/dev/null".into(),
            path_in_container: "/dev/mynull".into(),
            cgroup_permissions: "rw".into(),
        };
        let d = resolve_device(&m).unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].kind, d[0].major, d[0].minor),
            (DeviceKind::Char, 1, 3)
        );
        assert_eq!(d[0].path, Path::new("/dev/mynull"));
        let rule = device_rule(&d[0]);
        assert_eq!(rule.access().as_deref(), Some("rw"));
    }

    #[test]
    fn resolve_errors() {
        let m = DeviceMapping {
            path_on_host: "/nonexistent-dev".into(),
            path_in_container: "/dev/x".into(),
            cgroup_permissions: "rwm".into(),
        };
        assert!(resolve_device(&m).is_err());
        let f = tempfile::NamedTempFile::new().unwrap();
        let m = DeviceMapping {
            path_on_host: f.path().to_string_lossy().into_owned(),
            ..m
        };
        assert!(resolve_device(&m).is_err());
    }
}
