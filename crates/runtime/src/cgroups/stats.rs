//! A small resource-usage snapshot of a container's cgroup (for `berth stats`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::fs::CgroupFs;
use super::CgroupPaths;

/// v1 reports "no limit" as a huge number (LONG_MAX rounded to a page); anything at or above
/// this is treated as unlimited.
const V1_UNLIMITED: u64 = 1 << 62;

/// Resource usage of one container; a field is None when the host does not account it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CgroupStats {
    /// Memory in use, bytes (v1 `memory.usage_in_bytes`, v2 `memory.current`).
    pub memory_usage: Option<u64>,
    /// Memory limit, bytes; None when unlimited.
    pub memory_limit: Option<u64>,
    /// CPU time used, nanoseconds (v1 `cpuacct.usage`, v2 `cpu.stat` usage_usec).
    pub cpu_usage_ns: Option<u64>,
    /// Number of tasks (`pids.current`).
    pub pids_current: Option<u64>,
}

/// Reads a number from `dir/file`.
fn num(fs: &CgroupFs, dir: &Path, file: &str) -> Option<u64> {
    fs.read(dir, file).ok()?.parse().ok()
}

/// Collects the stats from whichever hierarchy holds each controller.
pub fn collect(fs: &CgroupFs, paths: &CgroupPaths) -> CgroupStats {
    let unified = paths.unified.as_deref();
    let mut st = CgroupStats::default();
    if let Some(d) = paths.v1_dir("memory") {
        st.memory_usage = num(fs, d, "memory.usage_in_bytes");
        st.memory_limit = num(fs, d, "memory.limit_in_bytes").filter(|l| *l < V1_UNLIMITED);
    } else if let Some(d) = unified {
        st.memory_usage = num(fs, d, "memory.current");
        st.memory_limit = num(fs, d, "memory.max");
    }
    if let Some(d) = paths.v1_dir("cpuacct") {
        st.cpu_usage_ns = num(fs, d, "cpuacct.usage");
    } else if let Some(d) = unified {
        st.cpu_usage_ns = fs.read(d, "cpu.stat").ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("usage_usec "))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|us| us.saturating_mul(1000))
        });
    }
    if let Some(d) = paths.v1_dir("pids").or(unified) {
        st.pids_current = num(fs, d, "pids.current");
    }
    st
}
