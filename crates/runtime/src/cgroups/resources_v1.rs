//! Writes `linux.resources` into cgroup v1 controller directories, following runc's
//! `libcontainer/cgroups/fs`: only values that are set are written (0 means "not set" for
//! limits, as in runc), in an order the kernel accepts.

use std::path::Path;

use nix::errno::Errno;
use oci_spec::runtime::{
    LinuxBlockIo, LinuxCpu, LinuxHugepageLimit, LinuxMemory, LinuxNetwork, LinuxPids,
};

use super::fs::{cg_err, is_errno, write_err, CgroupFs};
use super::resources::{check_name, check_page_size, pids_value};
use crate::Result;

const LIMIT: &str = "memory.limit_in_bytes";
const MEMSW: &str = "memory.memsw.limit_in_bytes";

/// Writes a non-zero value; 0 means unset.
fn write_nz(fs: &CgroupFs, dir: &Path, file: &str, v: i64) -> Result<()> {
    if v == 0 {
        return Ok(());
    }
    fs.write(dir, file, &v.to_string())
}

/// memory: limit and memory+swap (ordered so the kernel's limit <= memsw check holds at each
/// step), kernel limits (skipped when the kernel lacks or refuses them: deprecated),
/// reservation, OOM killer, swappiness, hierarchy.
pub fn memory(fs: &CgroupFs, dir: &Path, m: &LinuxMemory) -> Result<()> {
    if let Some(h) = m.use_hierarchy() {
        fs.write(dir, "memory.use_hierarchy", if h { "1" } else { "0" })?;
    }
    let limit = m.limit().unwrap_or(0);
    let mut swap = m.swap().unwrap_or(0);
    if limit == -1 && swap == 0 && fs.exists(dir, MEMSW) {
        swap = -1;
    }
    let current = || {
        fs.read(dir, LIMIT)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(u64::MAX)
    };
    let swap_first =
        limit != 0 && swap != 0 && (swap == -1 || u64::try_from(swap).is_ok_and(|s| current() < s));
    if swap_first {
        write_nz(fs, dir, MEMSW, swap)?;
        write_nz(fs, dir, LIMIT, limit)?;
    } else {
        write_nz(fs, dir, LIMIT, limit)?;
        write_nz(fs, dir, MEMSW, swap)?;
    }
    for (value, file) in [
        (m.kernel(), "memory.kmem.limit_in_bytes"),
        (m.kernel_tcp(), "memory.kmem.tcp.limit_in_bytes"),
    ] {
        let Some(v) = value.filter(|v| *v != 0) else {
            continue;
        };
        match fs.try_write(dir, file, &v.to_string()) {
            Err(e)
                if !(is_errno(&e, Errno::ENOENT)
                    || is_errno(&e, Errno::EOPNOTSUPP)
                    || e.raw_os_error() == Some(524)) =>
            {
                return Err(write_err(dir, file, &v.to_string(), &e));
            }
            _ => {}
        }
    }
    write_nz(
        fs,
        dir,
        "memory.soft_limit_in_bytes",
        m.reservation().unwrap_or(0),
    )?;
    if m.disable_oom_killer() == Some(true) {
        fs.write(dir, "memory.oom_control", "1")?;
    }
    match m.swappiness() {
        // -1 (as an unsigned number) means "leave it".
        None | Some(u64::MAX) => {}
        Some(s) if s <= 100 => fs.write(dir, "memory.swappiness", &s.to_string())?,
        Some(s) => {
            return Err(cg_err(
                dir,
                format!("invalid memory swappiness {s} (valid range is 0-100)"),
            ))
        }
    }
    Ok(())
}

/// cpu: shares (read back to report the kernel's clamping), CFS period/burst/quota, idle,
/// then real-time period/runtime. A period or burst the kernel refuses with EINVAL before the
/// quota is set is retried after it, as runc does.
pub fn cpu(fs: &CgroupFs, dir: &Path, c: &LinuxCpu) -> Result<()> {
    if let Some(shares) = c.shares().filter(|s| *s != 0) {
        fs.write(dir, "cpu.shares", &shares.to_string())?;
        let read: u64 = fs
            .read(dir, "cpu.shares")?
            .parse()
            .map_err(|_| cg_err(dir, "cpu.shares: not a number"))?;
        if shares > read {
            return Err(cg_err(
                dir,
                format!("cpu.shares: the maximum allowed cpu-shares is {read}"),
            ));
        } else if shares < read {
            return Err(cg_err(
                dir,
                format!("cpu.shares: the minimum allowed cpu-shares is {read}"),
            ));
        }
    }
    let quota = c.quota().unwrap_or(0);
    let period = deferred(
        fs,
        dir,
        "cpu.cfs_period_us",
        c.period().filter(|p| *p != 0),
        quota != 0,
        false,
    )?;
    let burst = deferred(fs, dir, "cpu.cfs_burst_us", c.burst(), quota != 0, true)?;
    if quota != 0 {
        fs.write(dir, "cpu.cfs_quota_us", &quota.to_string())?;
        for (file, v) in [("cpu.cfs_period_us", period), ("cpu.cfs_burst_us", burst)] {
            if let Some(v) = v {
                fs.write(dir, file, &v.to_string())?;
            }
        }
    }
    if let Some(idle) = c.idle() {
        fs.write(dir, "cpu.idle", &idle.to_string())?;
    }
    let runtime = c.realtime_runtime().unwrap_or(0);
    let rt_period = deferred(
        fs,
        dir,
        "cpu.rt_period_us",
        c.realtime_period().filter(|p| *p != 0),
        runtime != 0,
        false,
    )?;
    if runtime != 0 {
        fs.write(dir, "cpu.rt_runtime_us", &runtime.to_string())?;
        if let Some(p) = rt_period {
            fs.write(dir, "cpu.rt_period_us", &p.to_string())?;
        }
    }
    Ok(())
}

/// Writes `value`; if the kernel says EINVAL and `retry_later`, returns it to be written again
/// after its partner. `skip_missing` ignores a file the kernel lacks (cpu burst, Linux < 5.14).
fn deferred(
    fs: &CgroupFs,
    dir: &Path,
    file: &str,
    value: Option<u64>,
    retry_later: bool,
    skip_missing: bool,
) -> Result<Option<u64>> {
    let Some(v) = value else { return Ok(None) };
    match fs.try_write(dir, file, &v.to_string()) {
        Ok(()) => Ok(None),
        Err(e) if skip_missing && is_errno(&e, Errno::ENOENT) => Ok(None),
        Err(e) if retry_later && is_errno(&e, Errno::EINVAL) => Ok(Some(v)),
        Err(e) => Err(write_err(dir, file, &v.to_string(), &e)),
    }
}

/// cpuset: cpus and mems, when given.
pub fn cpuset(fs: &CgroupFs, dir: &Path, c: &LinuxCpu) -> Result<()> {
    for (file, v) in [("cpuset.cpus", c.cpus()), ("cpuset.mems", c.mems())] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            fs.write(dir, file, v)?;
        }
    }
    Ok(())
}

/// pids: `pids.max` (0 means unset, negative means "max").
pub fn pids(fs: &CgroupFs, dir: &Path, p: &LinuxPids) -> Result<()> {
    match pids_value(p) {
        Some(v) => fs.write(dir, "pids.max", &v),
        None => Ok(()),
    }
}

/// blkio: weight (CFQ's `blkio.weight`, else BFQ's `blkio.bfq.weight`), leaf weight, per-device
/// weights and throttles.
pub fn blkio(fs: &CgroupFs, dir: &Path, b: &LinuxBlockIo) -> Result<()> {
    let (weight_file, weight_dev_file) = if fs.exists(dir, "blkio.weight") {
        ("blkio.weight", "blkio.weight_device")
    } else {
        ("blkio.bfq.weight", "blkio.bfq.weight_device")
    };
    if let Some(w) = b.weight().filter(|w| *w != 0) {
        fs.write(dir, weight_file, &w.to_string())?;
    }
    if let Some(w) = b.leaf_weight().filter(|w| *w != 0) {
        fs.write(dir, "blkio.leaf_weight", &w.to_string())?;
    }
    for wd in b.weight_device().iter().flatten() {
        if let Some(w) = wd.weight().filter(|w| *w != 0) {
            fs.write(
                dir,
                weight_dev_file,
                &format!("{}:{} {w}", wd.major(), wd.minor()),
            )?;
        }
        if let Some(w) = wd.leaf_weight().filter(|w| *w != 0) {
            fs.write(
                dir,
                "blkio.leaf_weight_device",
                &format!("{}:{} {w}", wd.major(), wd.minor()),
            )?;
        }
    }
    let throttles = [
        (
            "blkio.throttle.read_bps_device",
            b.throttle_read_bps_device(),
        ),
        (
            "blkio.throttle.write_bps_device",
            b.throttle_write_bps_device(),
        ),
        (
            "blkio.throttle.read_iops_device",
            b.throttle_read_iops_device(),
        ),
        (
            "blkio.throttle.write_iops_device",
            b.throttle_write_iops_device(),
        ),
    ];
    for (file, list) in throttles {
        for t in list.iter().flatten() {
            fs.write(
                dir,
                file,
                &format!("{}:{} {}", t.major(), t.minor(), t.rate()),
            )?;
        }
    }
    Ok(())
}

/// hugetlb: `hugetlb.<size>.limit_in_bytes`, and the reservation limit when the kernel has it.
pub fn hugetlb(fs: &CgroupFs, dir: &Path, limits: &[LinuxHugepageLimit]) -> Result<()> {
    for l in limits {
        let size = check_page_size(dir, l.page_size())?;
        let value = l.limit().to_string();
        fs.write(dir, &format!("hugetlb.{size}.limit_in_bytes"), &value)?;
        let rsvd = format!("hugetlb.{size}.rsvd.limit_in_bytes");
        if fs.exists(dir, &rsvd) {
            fs.write(dir, &rsvd, &value)?;
        }
    }
    Ok(())
}

/// net_cls: the class id.
pub fn net_cls(fs: &CgroupFs, dir: &Path, n: &LinuxNetwork) -> Result<()> {
    match n.class_id() {
        Some(id) => fs.write(dir, "net_cls.classid", &id.to_string()),
        None => Ok(()),
    }
}

/// net_prio: one `ifname priority` line per interface.
pub fn net_prio(fs: &CgroupFs, dir: &Path, n: &LinuxNetwork) -> Result<()> {
    for p in n.priorities().iter().flatten() {
        let name = check_name(dir, "interface name", p.name())?;
        fs.write(
            dir,
            "net_prio.ifpriomap",
            &format!("{name} {}", p.priority()),
        )?;
    }
    Ok(())
}
