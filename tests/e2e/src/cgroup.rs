//! Reading the host's cgroup trees: v1, v2, or the hybrid layout of this machine
//! (v1 controllers under /sys/fs/cgroup/*, a cgroup2 tree at /sys/fs/cgroup/unified).
//! Detected from /proc/self/mountinfo, never assumed.

use std::fs;
use std::path::{Path, PathBuf};

/// One mounted cgroup hierarchy.
#[derive(Debug, Clone)]
pub struct CgroupMount {
    /// Where it is mounted.
    pub path: PathBuf,
    /// cgroup2 (true) or a v1 hierarchy.
    pub v2: bool,
    /// v1: the controllers named in the mount options (and `name=...`); v2: cgroup.controllers.
    pub controllers: Vec<String>,
}

/// Every cgroup and cgroup2 mount in this mount namespace, deduplicated by path.
pub fn mounts() -> Vec<CgroupMount> {
    let mut v: Vec<CgroupMount> = Vec::new();
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    for line in info.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let mut r = right.split_whitespace();
        let fstype = r.next().unwrap_or("");
        let _source = r.next();
        let opts = r.next().unwrap_or("");
        let Some(mnt) = left.split_whitespace().nth(4) else {
            continue;
        };
        let path = PathBuf::from(unescape(mnt));
        let (v2, controllers) = match fstype {
            "cgroup" => (
                false,
                opts.split(',')
                    .filter(|o| *o != "rw" && *o != "ro")
                    .map(String::from)
                    .collect(),
            ),
            "cgroup2" => (
                true,
                fs::read_to_string(path.join("cgroup.controllers"))
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(String::from)
                    .collect(),
            ),
            _ => continue,
        };
        if !v.iter().any(|m| m.path == path) {
            v.push(CgroupMount {
                path,
                v2,
                controllers,
            });
        }
    }
    v
}

/// True when /sys/fs/cgroup itself is a cgroup2 mount (pure v2, "unified" mode).
pub fn unified() -> bool {
    mounts()
        .iter()
        .any(|m| m.v2 && m.path == Path::new("/sys/fs/cgroup"))
}

/// The directory holding `controller`'s files for `cgroups_path` (absolute, as in config.json).
/// Pure v2: /sys/fs/cgroup/<path>. v1/hybrid: the v1 hierarchy with that controller.
pub fn dir(controller: &str, cgroups_path: &str) -> Option<PathBuf> {
    let rel = cgroups_path.trim_start_matches('/');
    let ms = mounts();
    if let Some(m) = ms
        .iter()
        .find(|m| m.v2 && m.path == Path::new("/sys/fs/cgroup"))
    {
        return Some(m.path.join(rel));
    }
    ms.iter()
        .find(|m| !m.v2 && m.controllers.iter().any(|c| c == controller))
        .or_else(|| {
            ms.iter()
                .find(|m| m.v2 && m.controllers.iter().any(|c| c == controller))
        })
        .map(|m| m.path.join(rel))
}

/// Reads a controller file (`v1_file` on v1, `v2_file` on v2), trimmed. `None` if absent.
pub fn read(controller: &str, cgroups_path: &str, v1_file: &str, v2_file: &str) -> Option<String> {
    let d = dir(controller, cgroups_path)?;
    let f = if unified() { v2_file } else { v1_file };
    fs::read_to_string(d.join(f))
        .ok()
        .map(|s| s.trim().to_string())
}

/// The pids in `cgroups_path`, read from the first hierarchy that has that cgroup.
pub fn procs(cgroups_path: &str) -> Vec<i32> {
    let rel = cgroups_path.trim_start_matches('/');
    for m in mounts() {
        let f = m.path.join(rel).join("cgroup.procs");
        if let Ok(s) = fs::read_to_string(&f) {
            let v: Vec<i32> = s
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect();
            if !v.is_empty() {
                return v;
            }
        }
    }
    Vec::new()
}

/// Every existing directory for `cgroups_path`, in every hierarchy (for leak checks).
pub fn existing_dirs(cgroups_path: &str) -> Vec<PathBuf> {
    let rel = cgroups_path.trim_start_matches('/');
    if rel.is_empty() {
        return Vec::new();
    }
    mounts()
        .into_iter()
        .map(|m| m.path.join(rel))
        .filter(|p| p.is_dir())
        .collect()
}

/// Undoes mountinfo's octal escapes (`\040` for a space, ...).
pub(crate) fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = u32::from(b[i + 1] - b'0') * 64
                + u32::from(b[i + 2] - b'0') * 8
                + u32::from(b[i + 3] - b'0');
            out.push(v as u8);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
