//! Writes `linux.resources` into a cgroup v2 directory, converting v1-shaped spec values the
//! way runc's `libcontainer/cgroups/fs2` and crun do. Every function takes the directory as an
//! Option: None (no unified hierarchy on the host) is an error only if something would be
//! written.
//!
//! Not mapped on v2: memory swappiness, disableOOMKiller and useHierarchy (no v2 files; ignored
//! as runc does); kernel memory limits (ignored); real-time cpu period/runtime (an error when
//! requested: v2 has no equivalent).

use std::path::Path;

use nix::errno::Errno;
use oci_spec::runtime::{LinuxBlockIo, LinuxCpu, LinuxHugepageLimit, LinuxMemory, LinuxPids};

use super::fs::{cg_err, is_errno, write_err, CgroupFs};
use super::resources::{check_page_size, pids_value};
use crate::Result;

/// Requires the directory, now that something must be written for `controller`.
fn need<'a>(dir: Option<&'a Path>, controller: &str) -> Result<&'a Path> {
    dir.ok_or_else(|| cg_err(Path::new("/"), format!("cannot set {controller} limits: the {controller} controller is not mounted on this host (neither cgroup v1 nor v2)")))
}

/// 0 → unset (""), -1 → "max", else the number.
fn num(v: i64) -> String {
    match v {
        0 => String::new(),
        -1 => "max".into(),
        v => v.to_string(),
    }
}

/// The spec's memory+swap limit as v2's separate swap limit (`memory.swap.max`), as runc's
/// `ConvertMemorySwapToCgroupV2Value`.
pub fn swap_to_v2(swap: i64, limit: i64) -> std::result::Result<i64, String> {
    match (swap, limit) {
        (0, -1) => Ok(-1),
        (-1 | 0, _) => Ok(swap),
        (_, 0 | -1) => Err("unable to set swap limit without memory limit".into()),
        (_, l) if l < 0 => Err(format!("invalid memory value: {l}")),
        (s, l) if s < l => Err("memory+swap limit should be >= memory limit".into()),
        (s, l) => Ok(s - l),
    }
}

/// cpu.shares [2, 262144] to cpu.weight [1, 10000], crun's formula.
pub fn shares_to_weight(shares: u64) -> u64 {
    let s = shares.clamp(2, 262_144);
    1 + ((s - 2) * 9999) / 262_142
}

/// blkio.weight [10, 1000] to io.weight [1, 10000], runc's formula.
pub fn blkio_to_io_weight(weight: u16) -> u64 {
    let w = u64::from(weight.clamp(10, 1000));
    1 + (w - 10) * 9999 / 990
}

/// memory: `memory.swap.max` (spec swap minus limit; a missing file is fine when disabling or
/// unlimiting swap), `memory.max`, `memory.low`. With `checkBeforeUpdate`, refuses a limit
/// below current usage.
pub fn memory(fs: &CgroupFs, dir: Option<&Path>, m: &LinuxMemory) -> Result<()> {
    let (limit, swap, low) = (
        m.limit().unwrap_or(0),
        m.swap().unwrap_or(0),
        m.reservation().unwrap_or(0),
    );
    if limit == 0 && swap == 0 && low == 0 {
        return Ok(());
    }
    let dir = need(dir, "memory")?;
    if m.check_before_update() == Some(true) && limit > 0 {
        let usage = fs
            .read(dir, "memory.current")
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0);
        if usage >= limit {
            return Err(cg_err(
                dir,
                format!("memory limit {limit} is not above current usage {usage}"),
            ));
        }
    }
    let v2_swap = swap_to_v2(swap, limit).map_err(|e| cg_err(dir, e))?;
    let mut swap_str = num(v2_swap);
    if swap_str.is_empty() && v2_swap == 0 && swap > 0 {
        swap_str = "0".into(); // memory+swap == memory: no swap
    }
    if !swap_str.is_empty() {
        if let Err(e) = fs.try_write(dir, "memory.swap.max", &swap_str) {
            if !(is_errno(&e, Errno::ENOENT) && (swap_str == "max" || swap_str == "0")) {
                return Err(write_err(dir, "memory.swap.max", &swap_str, &e));
            }
        }
    }
    for (file, v) in [("memory.max", limit), ("memory.low", low)] {
        let s = num(v);
        if !s.is_empty() {
            fs.write(dir, file, &s)?;
        }
    }
    Ok(())
}

/// cpu: `cpu.idle`, `cpu.weight` (from shares), `cpu.max.burst`, `cpu.max` ("quota period",
/// quota <= 0 as "max", period 100000 by default).
pub fn cpu(fs: &CgroupFs, dir: Option<&Path>, c: &LinuxCpu) -> Result<()> {
    let (shares, quota, period) = (
        c.shares().unwrap_or(0),
        c.quota().unwrap_or(0),
        c.period().unwrap_or(0),
    );
    let rt = c.realtime_runtime().unwrap_or(0) != 0 || c.realtime_period().unwrap_or(0) != 0;
    if shares == 0 && quota == 0 && period == 0 && c.idle().is_none() && c.burst().is_none() && !rt
    {
        return Ok(());
    }
    let dir = need(dir, "cpu")?;
    if rt {
        return Err(cg_err(
            dir,
            "real-time cpu period/runtime cannot be set: cgroup v2 has no real-time cpu controller",
        ));
    }
    if let Some(idle) = c.idle() {
        fs.write(dir, "cpu.idle", &idle.to_string())?;
    }
    if shares != 0 {
        fs.write(dir, "cpu.weight", &shares_to_weight(shares).to_string())?;
    }
    let mut burst_later = None;
    if let Some(b) = c.burst() {
        if let Err(e) = fs.try_write(dir, "cpu.max.burst", &b.to_string()) {
            if !(is_errno(&e, Errno::EINVAL) && quota != 0) {
                return Err(write_err(dir, "cpu.max.burst", &b.to_string(), &e));
            }
            burst_later = Some(b);
        }
    }
    if quota != 0 || period != 0 {
        let q = if quota > 0 {
            quota.to_string()
        } else {
            "max".into()
        };
        let p = if period != 0 { period } else { 100_000 };
        fs.write(dir, "cpu.max", &format!("{q} {p}"))?;
        if let Some(b) = burst_later {
            fs.write(dir, "cpu.max.burst", &b.to_string())?;
        }
    }
    Ok(())
}

/// cpuset: `cpuset.cpus`, `cpuset.mems`.
pub fn cpuset(fs: &CgroupFs, dir: Option<&Path>, c: &LinuxCpu) -> Result<()> {
    for (file, v) in [("cpuset.cpus", c.cpus()), ("cpuset.mems", c.mems())] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            fs.write(need(dir, "cpuset")?, file, v)?;
        }
    }
    Ok(())
}

/// pids: `pids.max`.
pub fn pids(fs: &CgroupFs, dir: Option<&Path>, p: &LinuxPids) -> Result<()> {
    match pids_value(p) {
        Some(v) => fs.write(need(dir, "pids")?, "pids.max", &v),
        None => Ok(()),
    }
}

/// io: weight (BFQ's `io.bfq.weight` when present, else `io.weight` converted), per-device
/// weights (BFQ only, as runc), throttles as `io.max` lines (`MAJ:MIN rbps=N`).
pub fn io(fs: &CgroupFs, dir: Option<&Path>, b: &LinuxBlockIo) -> Result<()> {
    let weight = b.weight().filter(|w| *w != 0);
    let devices = b.weight_device().as_deref().unwrap_or_default();
    let throttles = [
        ("rbps", b.throttle_read_bps_device()),
        ("wbps", b.throttle_write_bps_device()),
        ("riops", b.throttle_read_iops_device()),
        ("wiops", b.throttle_write_iops_device()),
    ];
    let any_throttle = throttles
        .iter()
        .any(|(_, l)| l.as_ref().is_some_and(|l| !l.is_empty()));
    if weight.is_none() && devices.is_empty() && !any_throttle {
        return Ok(());
    }
    let dir = need(dir, "io")?;
    let bfq = fs.exists(dir, "io.bfq.weight");
    if let Some(w) = weight {
        if bfq {
            fs.write(dir, "io.bfq.weight", &w.to_string())?;
        } else {
            fs.write(dir, "io.weight", &blkio_to_io_weight(w).to_string())?;
        }
    }
    if bfq {
        for wd in devices {
            if let Some(w) = wd.weight().filter(|w| *w != 0) {
                fs.write(
                    dir,
                    "io.bfq.weight",
                    &format!("{}:{} {w}", wd.major(), wd.minor()),
                )?;
            }
        }
    }
    for (key, list) in throttles {
        for t in list.iter().flatten() {
            fs.write(
                dir,
                "io.max",
                &format!("{}:{} {key}={}", t.major(), t.minor(), t.rate()),
            )?;
        }
    }
    Ok(())
}

/// hugetlb: `hugetlb.<size>.max`, and `hugetlb.<size>.rsvd.max` when the kernel has it.
pub fn hugetlb(fs: &CgroupFs, dir: Option<&Path>, limits: &[LinuxHugepageLimit]) -> Result<()> {
    for l in limits {
        let dir = need(dir, "hugetlb")?;
        let size = check_page_size(dir, l.page_size())?;
        let value = l.limit().to_string();
        fs.write(dir, &format!("hugetlb.{size}.max"), &value)?;
        let rsvd = format!("hugetlb.{size}.rsvd.max");
        if fs.exists(dir, &rsvd) {
            fs.write(dir, &rsvd, &value)?;
        }
    }
    Ok(())
}
