//! Parses the spec's `linux.cgroupsPath` into a safe path and resolves it in each hierarchy.
//!
//! - absolute (`/a/b`): relative to each hierarchy's mount point;
//! - relative (`a/b`): relative to the runtime's own cgroup in that hierarchy;
//! - absent or empty: `berth/<container id>`, relative;
//! - systemd's `slice:prefix:name` form: turned into the plain path systemd would use
//!   (`/a.slice/a-b.slice/prefix-name.scope`); berth does not talk to systemd.
//!
//! `..` components are rejected, as is a path that names the hierarchy root or the runtime's
//! own cgroup: a hostile config must never make berth configure, kill or remove anything
//! outside the container's own cgroup.

use std::path::{Component, Path, PathBuf};

use super::detect::{Hierarchy, OwnCgroups};
use crate::{Error, Result};

/// A validated `cgroupsPath`: only plain components, at least one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CgroupsPath {
    /// Below each hierarchy's mount point.
    Absolute(PathBuf),
    /// Below the runtime's own cgroup in each hierarchy.
    Relative(PathBuf),
}

/// Parses `linux.cgroupsPath` (None or empty: `berth/<container_id>`).
pub fn parse(cgroups_path: Option<&str>, container_id: &str) -> Result<CgroupsPath> {
    let raw = cgroups_path.unwrap_or("");
    if raw.is_empty() {
        let bad = container_id.is_empty()
            || container_id.contains('/')
            || container_id == "."
            || container_id == "..";
        if bad || container_id.contains('\0') {
            return Err(invalid(
                container_id,
                "the container id cannot name a cgroup directory",
            ));
        }
        return Ok(CgroupsPath::Relative(Path::new("berth").join(container_id)));
    }
    if !raw.starts_with('/') && raw.matches(':').count() == 2 {
        return Ok(CgroupsPath::Absolute(clean(&systemd_path(raw)?, raw)?));
    }
    let cleaned = clean(raw, raw)?;
    Ok(if raw.starts_with('/') {
        CgroupsPath::Absolute(cleaned)
    } else {
        CgroupsPath::Relative(cleaned)
    })
}

/// Keeps only normal components; rejects `..`, NUL and paths with no component left.
fn clean(path: &str, original: &str) -> Result<PathBuf> {
    if path.contains('\0') {
        return Err(invalid(original, "contains a NUL byte"));
    }
    let mut out = PathBuf::new();
    for c in Path::new(path).components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(invalid(original, "must not contain `..` components"));
            }
        }
    }
    if out.as_os_str().is_empty() {
        return Err(invalid(
            original,
            "names the hierarchy root or the runtime's own cgroup, not a container cgroup",
        ));
    }
    Ok(out)
}

/// `slice:prefix:name` to the path systemd's cgroup driver would create.
fn systemd_path(raw: &str) -> Result<String> {
    let mut parts = raw.splitn(3, ':');
    let (slice, prefix, name) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    if name.is_empty() || name.contains('/') || prefix.contains('/') {
        return Err(invalid(
            raw,
            "systemd form must be slice:prefix:name with a non-empty name",
        ));
    }
    let slice = if slice.is_empty() {
        "system.slice"
    } else {
        slice
    };
    let mut path = expand_slice(slice).ok_or_else(|| invalid(raw, "invalid systemd slice name"))?;
    let unit = if name.ends_with(".slice") {
        name.to_string()
    } else if prefix.is_empty() {
        format!("{name}.scope")
    } else {
        format!("{prefix}-{name}.scope")
    };
    path.push('/');
    path.push_str(&unit);
    Ok(path)
}

/// `a-b.slice` to `/a.slice/a-b.slice`, as systemd (and runc's ExpandSlice) does.
fn expand_slice(slice: &str) -> Option<String> {
    let base = slice.strip_suffix(".slice")?;
    if base.is_empty() || slice.contains('/') {
        return None;
    }
    if base == "-" {
        return Some(String::new());
    }
    let (mut path, mut prefix) = (String::new(), String::new());
    for part in base.split('-') {
        if part.is_empty() {
            return None;
        }
        path.push_str(&format!("/{prefix}{part}.slice"));
        prefix.push_str(part);
        prefix.push('-');
    }
    Some(path)
}

/// The container's directory in hierarchy `h`, under `prefix` (`/` except in tests).
pub fn resolve(
    h: &Hierarchy,
    own: &OwnCgroups,
    path: &CgroupsPath,
    prefix: &Path,
) -> Result<PathBuf> {
    let mount = prefix.join(h.mount_point.strip_prefix("/").unwrap_or(&h.mount_point));
    match path {
        CgroupsPath::Absolute(p) => Ok(mount.join(p)),
        CgroupsPath::Relative(p) => {
            // Our cgroup as seen through this mount; outside the mount's view, the mount root.
            let own_path = own.for_hierarchy(h).unwrap_or(Path::new("/"));
            let below = own_path
                .strip_prefix(&h.mount_root)
                .unwrap_or(Path::new(""));
            let mut dir = mount;
            for c in below.components() {
                match c {
                    Component::Normal(n) => dir.push(n),
                    Component::RootDir | Component::CurDir => {}
                    _ => {
                        return Err(invalid(
                            &own_path.display().to_string(),
                            "own cgroup path from /proc/self/cgroup is not plain",
                        ))
                    }
                }
            }
            Ok(dir.join(p))
        }
    }
}

/// An invalid `cgroupsPath` error.
fn invalid(path: &str, why: &str) -> Error {
    Error::Cgroup {
        path: PathBuf::from(path),
        msg: format!("invalid linux.cgroupsPath: {why}"),
    }
}
