//! Sends each part of `linux.resources` to the hierarchy that has its controller: the v1
//! mount when the controller is bound to v1, else the unified (v2) directory. On this
//! project's hybrid hosts that means memory, cpu, pids, ... go to v1 and hugetlb to the
//! unified tree. A value that is set for a controller the host lacks is an error; values that
//! are not set are never written.

use std::path::Path;

use oci_spec::runtime::{LinuxPids, LinuxResources};

use super::fs::{cg_err, CgroupFs};
use super::{devices, devices_bpf, resources_v1 as v1, resources_v2 as v2, CgroupPaths};
use crate::Result;

/// Applies `r` to the container's cgroup directories (which must exist).
pub fn apply(fs: &CgroupFs, paths: &CgroupPaths, r: &LinuxResources) -> Result<()> {
    let unified = paths.unified.as_deref();
    let on_v1 = !paths.v1.is_empty();
    if let Some(c) = r.cpu() {
        match paths.v1_dir("cpuset") {
            Some(d) => v1::cpuset(fs, d, c)?,
            None => v2::cpuset(fs, unified, c)?,
        }
        match paths.v1_dir("cpu") {
            Some(d) => v1::cpu(fs, d, c)?,
            None => v2::cpu(fs, unified, c)?,
        }
    }
    if let Some(m) = r.memory() {
        match paths.v1_dir("memory") {
            Some(d) => v1::memory(fs, d, m)?,
            None => v2::memory(fs, unified, m)?,
        }
    }
    if let Some(p) = r.pids() {
        match paths.v1_dir("pids") {
            Some(d) => v1::pids(fs, d, p)?,
            None => v2::pids(fs, unified, p)?,
        }
    }
    if let Some(b) = r.block_io() {
        match paths.v1_dir("blkio") {
            Some(d) => v1::blkio(fs, d, b)?,
            None => v2::io(fs, unified, b)?,
        }
    }
    if let Some(h) = r.hugepage_limits().as_deref().filter(|h| !h.is_empty()) {
        match paths.v1_dir("hugetlb") {
            Some(d) => v1::hugetlb(fs, d, h)?,
            None => v2::hugetlb(fs, unified, h)?,
        }
    }
    if let Some(rules) = r.devices() {
        match (paths.v1_dir("devices"), unified) {
            (Some(d), _) => devices::apply_v1(fs, d, rules)?,
            (None, Some(u)) => devices_bpf::apply(fs, u, rules)?,
            (None, None) if rules.is_empty() => {}
            (None, None) => return Err(missing("devices")),
        }
    }
    if let Some(n) = r.network() {
        // net_cls/net_prio only exist in v1; v2 ignores them, as runc does.
        match paths.v1_dir("net_cls") {
            Some(d) => v1::net_cls(fs, d, n)?,
            None if on_v1 && n.class_id().is_some() => return Err(missing("net_cls")),
            None => {}
        }
        match paths.v1_dir("net_prio") {
            Some(d) => v1::net_prio(fs, d, n)?,
            None if on_v1 && n.priorities().as_ref().is_some_and(|p| !p.is_empty()) => {
                return Err(missing("net_prio"))
            }
            None => {}
        }
    }
    if let Some(rdma) = r.rdma().as_ref().filter(|m| !m.is_empty()) {
        let dir = paths
            .v1_dir("rdma")
            .or(unified)
            .ok_or_else(|| missing("rdma"))?;
        let mut devs: Vec<_> = rdma.iter().collect();
        devs.sort_by(|a, b| a.0.cmp(b.0));
        for (dev, l) in devs {
            let dev = check_name(dir, "rdma device", dev)?;
            let mut line = dev.to_string();
            if let Some(h) = l.hca_handles() {
                line.push_str(&format!(" hca_handle={h}"));
            }
            if let Some(o) = l.hca_objects() {
                line.push_str(&format!(" hca_object={o}"));
            }
            if line != dev {
                fs.write(dir, "rdma.max", &line)?;
            }
        }
    }
    if let Some(map) = r.unified().as_ref().filter(|m| !m.is_empty()) {
        let dir = unified.ok_or_else(|| {
            cg_err(
                Path::new("/"),
                "linux.resources.unified needs cgroup v2, and no cgroup2 hierarchy is mounted",
            )
        })?;
        apply_unified(fs, dir, paths, map)?;
    }
    Ok(())
}

/// Writes each `unified` key as a file of the v2 directory (line by line, keys sorted). Each
/// key must be `CONTROLLER.PARAMETER` with a controller available in that cgroup (or `cgroup`).
fn apply_unified(
    fs: &CgroupFs,
    dir: &Path,
    paths: &CgroupPaths,
    map: &std::collections::HashMap<String, String>,
) -> Result<()> {
    let available = fs.read(dir, "cgroup.controllers")?;
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    for key in keys {
        let file = check_name(dir, "unified resource", key)?;
        let Some((controller, _)) = file.split_once('.') else {
            return Err(cg_err(
                dir,
                format!("unified resource {file:?} must be in the form CONTROLLER.PARAMETER"),
            ));
        };
        if controller != "cgroup" && !available.split_whitespace().any(|c| c == controller) {
            let why = if paths.v1_dir(controller).is_some() {
                " (it is bound to cgroup v1 on this host)"
            } else {
                ""
            };
            return Err(cg_err(dir, format!("unified resource {file:?} can't be set: controller {controller:?} is not available in the unified hierarchy{why}")));
        }
        let value = &map[key];
        let lines: Vec<&str> = value.lines().filter(|l| !l.is_empty()).collect();
        if lines.is_empty() {
            fs.write(dir, file, value)?;
        }
        for line in lines {
            fs.write(dir, file, line)?;
        }
    }
    Ok(())
}

/// The error for a value set for a controller the host does not have.
fn missing(controller: &str) -> crate::Error {
    cg_err(Path::new("/"), format!("cannot set {controller} limits: the {controller} controller is not mounted on this host"))
}

/// `pids.max` value: None for 0 (unset), "max" for negative, else the limit.
pub fn pids_value(p: &LinuxPids) -> Option<String> {
    match p.limit() {
        0 => None,
        l if l < 0 => Some("max".into()),
        l => Some(l.to_string()),
    }
}

/// A hugepage size as used in file names (`2MB`, `1GB`): letters and digits only, so that a
/// hostile value can never name another file.
pub fn check_page_size<'a>(dir: &Path, size: &'a str) -> Result<&'a str> {
    if size.is_empty() || !size.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(cg_err(
            dir,
            format!("invalid hugepage size {size:?} (expected e.g. 2MB or 1GB)"),
        ));
    }
    Ok(size)
}

/// A name written into a control file or used as a file name: non-empty, no `/`, no
/// whitespace or control characters, not `.` or `..`.
pub fn check_name<'a>(dir: &Path, what: &str, name: &'a str) -> Result<&'a str> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name
            .chars()
            .any(|c| c == '/' || c.is_whitespace() || c.is_control());
    if bad {
        return Err(cg_err(dir, format!("invalid {what} {name:?}")));
    }
    Ok(name)
}
