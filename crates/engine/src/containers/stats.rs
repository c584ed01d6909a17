//! `stats`: one resource-usage sample of a running container from its cgroup (v1, v2 or the
//! hybrid layout, through the runtime's cgroup code) and its network namespace, plus the
//! host CPU time `CPU %` is measured against (as Docker computes it from two samples).

use std::fs;
use std::path::Path;
use std::time::Instant;

use berth_runtime::cgroups::{CgroupManager, CgroupPaths};

use crate::containers::record::ContainerRecord;
use crate::engine::Engine;
use crate::error::{io_err, Result};

/// One sample of a container's usage.
#[derive(Debug, Clone, Default)]
pub struct StatsSample {
    /// When it was taken.
    pub at: Option<Instant>,
    /// CPU time used by the container, nanoseconds.
    pub cpu_ns: u64,
    /// CPU time used by the whole host (all CPUs), nanoseconds (`/proc/stat`).
    pub system_ns: u64,
    /// Online CPUs.
    pub online_cpus: u32,
    /// Memory in use less the inactive page cache, as Docker shows it.
    pub mem_usage: u64,
    /// Memory limit, or the host's memory when unlimited.
    pub mem_limit: u64,
    /// Bytes received / sent on the container's interfaces (loopback excluded).
    pub net_rx: u64,
    /// Bytes sent.
    pub net_tx: u64,
    /// Bytes read from / written to block devices.
    pub blk_read: u64,
    /// Bytes written.
    pub blk_write: u64,
    /// Processes and threads.
    pub pids: u64,
}

impl StatsSample {
    /// Docker's CPU %: the container's share of host CPU time between two samples, scaled
    /// by the number of CPUs (so one busy CPU on a 4-CPU host is 100%).
    pub fn cpu_percent(&self, prev: &StatsSample) -> f64 {
        let cpu = self.cpu_ns.saturating_sub(prev.cpu_ns) as f64;
        let system = self.system_ns.saturating_sub(prev.system_ns) as f64;
        if cpu <= 0.0 || system <= 0.0 {
            return 0.0;
        }
        cpu / system * f64::from(self.online_cpus.max(1)) * 100.0
    }

    /// Memory use as a percentage of the limit.
    pub fn mem_percent(&self) -> f64 {
        if self.mem_limit == 0 {
            0.0
        } else {
            self.mem_usage as f64 / self.mem_limit as f64 * 100.0
        }
    }
}

impl Engine {
    /// A sample of `r`'s usage; None when it is not running.
    pub fn stats_sample(&self, r: &ContainerRecord) -> Result<Option<StatsSample>> {
        let s = self.state(r);
        if !s.is_running() {
            return Ok(None);
        }
        let rt = match berth_runtime::state::load(&self.paths.runtime(), &r.id) {
            Ok(rt) => rt,
            Err(_) => return Ok(None),
        };
        let (system_ns, online_cpus) = host_cpu()?;
        let cg = CgroupManager::from_paths(rt.cgroup.clone()).stats()?;
        let mut st = StatsSample {
            at: Some(Instant::now()),
            cpu_ns: cg.cpu_usage_ns.unwrap_or(0),
            system_ns,
            online_cpus,
            pids: cg.pids_current.unwrap_or(0),
            ..Default::default()
        };
        let inactive = inactive_file(&rt.cgroup);
        st.mem_usage = cg.memory_usage.unwrap_or(0).saturating_sub(inactive);
        st.mem_limit = match cg.memory_limit {
            Some(l) => l.min(host_memory().unwrap_or(l)),
            None => host_memory().unwrap_or(0),
        };
        (st.blk_read, st.blk_write) = block_io(&rt.cgroup);
        (st.net_rx, st.net_tx) = net_io(s.pid);
        Ok(Some(st))
    }
}

/// Host CPU time in nanoseconds (the `cpu` line of /proc/stat) and the online CPU count.
fn host_cpu() -> Result<(u64, u32)> {
    let text = fs::read_to_string("/proc/stat").map_err(io_err("read", "/proc/stat"))?;
    let mut total = 0u64;
    let mut cpus = 0u32;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("cpu ") {
            // user nice system idle iowait irq softirq steal (guest time is inside user).
            total = rest
                .split_whitespace()
                .take(8)
                .filter_map(|v| v.parse::<u64>().ok())
                .sum();
        } else if line.starts_with("cpu") {
            cpus += 1;
        }
    }
    let tick = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .filter(|t| *t > 0)
        .unwrap_or(100) as u64;
    Ok((total.saturating_mul(1_000_000_000 / tick), cpus.max(1)))
}

/// MemTotal of /proc/meminfo, bytes.
fn host_memory() -> Option<u64> {
    let text = fs::read_to_string("/proc/meminfo").ok()?;
    let kb: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// The inactive file cache Docker subtracts from the usage (v1 `total_inactive_file`, v2
/// `inactive_file`).
fn inactive_file(cg: &CgroupPaths) -> u64 {
    let (dir, key) = match (cg.v1_dir("memory"), &cg.unified) {
        (Some(d), _) => (d, "total_inactive_file"),
        (None, Some(d)) => (d.as_path(), "inactive_file"),
        _ => return 0,
    };
    keyed(&dir.join("memory.stat"), key).unwrap_or(0)
}

/// A `key value` line of a stat file.
fn keyed(path: &Path, key: &str) -> Option<u64> {
    let text = fs::read_to_string(path).ok()?;
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        if k == key {
            v.trim().parse().ok()
        } else {
            None
        }
    })
}

/// Bytes read and written: v1 blkio service bytes (`MAJ:MIN Read N`), else v2 `io.stat`
/// (`MAJ:MIN rbytes=N wbytes=N ...`).
fn block_io(cg: &CgroupPaths) -> (u64, u64) {
    if let Some(d) = cg.v1_dir("blkio") {
        for file in [
            "blkio.throttle.io_service_bytes_recursive",
            "blkio.io_service_bytes_recursive",
            "blkio.throttle.io_service_bytes",
        ] {
            let Ok(text) = fs::read_to_string(d.join(file)) else {
                continue;
            };
            let (mut r, mut w) = (0u64, 0u64);
            for l in text.lines() {
                let f: Vec<&str> = l.split_whitespace().collect();
                if let [_, op, n] = f.as_slice() {
                    let n: u64 = n.parse().unwrap_or(0);
                    match op.to_ascii_lowercase().as_str() {
                        "read" => r += n,
                        "write" => w += n,
                        _ => {}
                    }
                }
            }
            if r + w > 0 {
                return (r, w);
            }
        }
        return (0, 0);
    }
    let Some(d) = &cg.unified else { return (0, 0) };
    let Ok(text) = fs::read_to_string(d.join("io.stat")) else {
        return (0, 0);
    };
    let (mut r, mut w) = (0u64, 0u64);
    for kv in text.split_whitespace() {
        match kv.split_once('=') {
            Some(("rbytes", n)) => r += n.parse::<u64>().unwrap_or(0),
            Some(("wbytes", n)) => w += n.parse::<u64>().unwrap_or(0),
            _ => {}
        }
    }
    (r, w)
}

/// Bytes received and sent on the interfaces of `pid`'s network namespace, loopback
/// excluded (as Docker counts the container's own interfaces).
fn net_io(pid: i32) -> (u64, u64) {
    let Ok(text) = fs::read_to_string(format!("/proc/{pid}/net/dev")) else {
        return (0, 0);
    };
    let (mut rx, mut tx) = (0u64, 0u64);
    for l in text.lines().skip(2) {
        let Some((iface, rest)) = l.split_once(':') else {
            continue;
        };
        if iface.trim() == "lo" {
            continue;
        }
        let f: Vec<u64> = rest
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        if f.len() >= 9 {
            rx += f[0];
            tx += f[8];
        }
    }
    (rx, tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_percent_scales_by_cpus() {
        let a = StatsSample {
            cpu_ns: 0,
            system_ns: 0,
            online_cpus: 4,
            ..Default::default()
        };
        let b = StatsSample {
            cpu_ns: 1_000,
            system_ns: 4_000,
            online_cpus: 4,
            ..Default::default()
        };
        assert!((b.cpu_percent(&a) - 100.0).abs() < 1e-9);
        assert_eq!(a.cpu_percent(&a), 0.0);
    }
}
