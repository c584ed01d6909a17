//! Detects the host's cgroup layout from `/proc/self/mountinfo` and finds the runtime's own
//! cgroup in each hierarchy from `/proc/self/cgroup`.
//!
//! Three layouts exist: pure v1 (one mount per controller or group of co-mounted controllers,
//! such as `cpu,cpuacct`), pure v2 (one `cgroup2` mount), and hybrid (v1 controllers plus a
//! `cgroup2` mount, usually at `/sys/fs/cgroup/unified`, that holds whatever controllers are
//! not bound to v1, possibly none). Named v1 hierarchies (`name=systemd`) are kept so the
//! container can be placed in them, best effort, as runc does.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// cgroup v1 controllers berth knows; other mount options (rw, xattr, noprefix, ...) are not
/// controllers.
const V1_CONTROLLERS: &[&str] = &[
    "blkio",
    "cpu",
    "cpuacct",
    "cpuset",
    "devices",
    "freezer",
    "hugetlb",
    "memory",
    "misc",
    "net_cls",
    "net_prio",
    "perf_event",
    "pids",
    "rdma",
];

/// One mounted cgroup hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    /// Where the hierarchy is mounted, as the host sees it (e.g. `/sys/fs/cgroup/memory`).
    pub mount_point: PathBuf,
    /// The cgroup (inside the hierarchy) that this mount shows at its mount point; `/` unless
    /// the mount is a bind of a sub-cgroup (as inside some containers).
    pub mount_root: PathBuf,
    /// v1: the controllers bound to it (`cpu`, `cpuacct`) and named hierarchies
    /// (`name=systemd`); empty for the cgroup2 hierarchy.
    pub controllers: Vec<String>,
}

impl Hierarchy {
    /// Whether this v1 hierarchy is named only (no resource controller, e.g. `name=systemd`).
    pub fn is_named(&self) -> bool {
        self.controllers.iter().all(|c| c.starts_with("name="))
    }
}

/// Which of the three layouts the host uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutKind {
    /// Only cgroup v1 hierarchies.
    V1,
    /// Only the cgroup2 unified hierarchy.
    V2,
    /// v1 controllers plus a cgroup2 hierarchy.
    Hybrid,
}

/// The cgroup hierarchies mounted on the host.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layout {
    /// v1 hierarchies, one per mount (controllers listed at most once overall). Empty on a
    /// pure v2 host, where named v1 leftovers are ignored as runc does.
    pub v1: Vec<Hierarchy>,
    /// The cgroup2 hierarchy, if mounted.
    pub unified: Option<Hierarchy>,
}

impl Layout {
    /// Parses the text of `/proc/self/mountinfo`. Lines that are not cgroup mounts, or are
    /// malformed, are skipped.
    pub fn parse(mountinfo: &str) -> Layout {
        let mut layout = Layout::default();
        let mut seen: Vec<String> = Vec::new();
        for line in mountinfo.lines() {
            // Most lines are not cgroup mounts: skip them before parsing (and allocating).
            let fstype = crate::rootfs::mountinfo::fs_type_of(line);
            if !matches!(fstype, Some("cgroup" | "cgroup2")) {
                continue;
            }
            let Some(m) = parse_line(line) else { continue };
            match m.fstype {
                "cgroup2" if layout.unified.is_none() => {
                    layout.unified = Some(Hierarchy {
                        mount_point: m.mount_point,
                        mount_root: m.root,
                        controllers: Vec::new(),
                    });
                }
                "cgroup" => {
                    let controllers: Vec<String> = m
                        .super_opts
                        .split(',')
                        .filter(|o| {
                            V1_CONTROLLERS.contains(o) || (o.starts_with("name=") && o.len() > 5)
                        })
                        .map(str::to_string)
                        .collect();
                    // A second mount of the same hierarchy (a bind mount) adds nothing.
                    if controllers.is_empty() || controllers.iter().any(|c| seen.contains(c)) {
                        continue;
                    }
                    seen.extend(controllers.iter().cloned());
                    layout.v1.push(Hierarchy {
                        mount_point: m.mount_point,
                        mount_root: m.root,
                        controllers,
                    });
                }
                _ => {}
            }
        }
        if layout.unified.is_some() && layout.v1.iter().all(Hierarchy::is_named) {
            layout.v1.clear();
        }
        layout
    }

    /// Which layout this is; None when no cgroup hierarchy is mounted at all.
    pub fn kind(&self) -> Option<LayoutKind> {
        match (self.v1.is_empty(), self.unified.is_some()) {
            (false, false) => Some(LayoutKind::V1),
            (true, true) => Some(LayoutKind::V2),
            (false, true) => Some(LayoutKind::Hybrid),
            (true, false) => None,
        }
    }
}

/// The fields of one mountinfo line that matter here.
struct MountLine<'a> {
    root: PathBuf,
    mount_point: PathBuf,
    fstype: &'a str,
    super_opts: &'a str,
}

/// Parses `id parent maj:min root mountpoint opts [optional...] - fstype source superopts`.
fn parse_line(line: &str) -> Option<MountLine<'_>> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let sep = fields.iter().position(|f| *f == "-")?;
    if sep < 6 || fields.len() < sep + 4 {
        return None;
    }
    Some(MountLine {
        root: PathBuf::from(crate::rootfs::mountinfo::unescape(fields[3])),
        mount_point: PathBuf::from(crate::rootfs::mountinfo::unescape(fields[4])),
        fstype: fields[sep + 1],
        super_opts: fields[sep + 3],
    })
}

/// The runtime's own cgroup in each hierarchy, from `/proc/self/cgroup`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnCgroups {
    /// v1: controller (or `name=...`) to cgroup path inside its hierarchy.
    pub v1: HashMap<String, PathBuf>,
    /// The cgroup path in the unified hierarchy (the `0::` line).
    pub unified: Option<PathBuf>,
}

impl OwnCgroups {
    /// Parses the text of `/proc/self/cgroup` (`id:controllers:path` lines).
    pub fn parse(text: &str) -> OwnCgroups {
        let mut own = OwnCgroups::default();
        for line in text.lines() {
            let mut parts = line.splitn(3, ':');
            let (Some(id), Some(ctrls), Some(path)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if id == "0" && ctrls.is_empty() {
                own.unified = Some(PathBuf::from(path));
            } else {
                for c in ctrls.split(',').filter(|c| !c.is_empty()) {
                    own.v1.insert(c.to_string(), PathBuf::from(path));
                }
            }
        }
        own
    }

    /// The runtime's cgroup in hierarchy `h` (v1 if `h` has controllers, else unified), as a
    /// path inside the hierarchy.
    pub fn for_hierarchy(&self, h: &Hierarchy) -> Option<&Path> {
        if h.controllers.is_empty() {
            self.unified.as_deref()
        } else {
            h.controllers
                .iter()
                .find_map(|c| self.v1.get(c))
                .map(PathBuf::as_path)
        }
    }
}
