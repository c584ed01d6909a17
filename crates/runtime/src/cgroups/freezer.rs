//! Freezing and thawing: v1 `freezer.state` (FROZEN/THAWED, polled until it settles, as
//! runc does because v1 can stay FREEZING while processes fork) and v2 `cgroup.freeze` with
//! `cgroup.events` (`frozen 1`).

use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::fs::{cg_err, CgroupFs};
use crate::Result;

/// How long to wait for a v2 cgroup to report the requested state.
const V2_TIMEOUT: Duration = Duration::from_secs(5);

/// Freezes (true) or thaws (false) a v1 freezer cgroup and waits until the kernel agrees.
pub fn set_v1(fs: &CgroupFs, dir: &Path, frozen: bool) -> Result<()> {
    if !frozen {
        return fs.write(dir, "freezer.state", "THAWED");
    }
    for i in 0..1000 {
        if i % 50 == 49 {
            // New processes keep appearing: thawing for a moment lets the freeze catch up.
            fs.write(dir, "freezer.state", "THAWED")?;
            sleep(Duration::from_millis(10));
        }
        fs.write(dir, "freezer.state", "FROZEN")?;
        if i % 25 == 24 {
            sleep(Duration::from_micros(10));
        }
        match fs.read(dir, "freezer.state")?.as_str() {
            "FROZEN" => return Ok(()),
            "FREEZING" => continue,
            other => {
                return Err(cg_err(
                    dir,
                    format!("unexpected freezer.state {other:?} while freezing"),
                ))
            }
        }
    }
    // Stuck in FREEZING: leaving it half-frozen is worse than failing.
    let _ = fs.write(dir, "freezer.state", "THAWED");
    Err(cg_err(
        dir,
        "unable to freeze: freezer.state stayed FREEZING",
    ))
}

/// Whether a v1 freezer cgroup is frozen (FREEZING counts as not frozen).
pub fn is_v1(fs: &CgroupFs, dir: &Path) -> Result<bool> {
    Ok(fs.read(dir, "freezer.state")? == "FROZEN")
}

/// Freezes or thaws a v2 cgroup and waits (bounded) for `cgroup.events` to agree.
pub fn set_v2(fs: &CgroupFs, dir: &Path, frozen: bool) -> Result<()> {
    let want = if frozen { "1" } else { "0" };
    fs.write(dir, "cgroup.freeze", want)?;
    let timeout = if fs.is_fake() {
        Duration::from_millis(100)
    } else {
        V2_TIMEOUT
    };
    let start = Instant::now();
    let mut pause = Duration::from_micros(200);
    loop {
        match events_frozen(fs, dir)? {
            None => return Ok(()), // kernel without the `frozen` key: trust the write
            Some(f) if f == frozen => return Ok(()),
            Some(_) if start.elapsed() >= timeout => break,
            Some(_) => {}
        }
        sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
    if frozen {
        let _ = fs.write(dir, "cgroup.freeze", "0");
    }
    Err(cg_err(
        dir,
        format!("cgroup.events did not report frozen {want} within {timeout:?}"),
    ))
}

/// Whether a v2 cgroup is frozen: `cgroup.freeze` is 1 and the kernel reports it done.
pub fn is_v2(fs: &CgroupFs, dir: &Path) -> Result<bool> {
    if fs.read(dir, "cgroup.freeze")? != "1" {
        return Ok(false);
    }
    Ok(events_frozen(fs, dir)?.unwrap_or(true))
}

/// The `frozen` key of `cgroup.events`, if present.
fn events_frozen(fs: &CgroupFs, dir: &Path) -> Result<Option<bool>> {
    let events = fs.read(dir, "cgroup.events")?;
    Ok(events
        .lines()
        .find_map(|l| l.strip_prefix("frozen "))
        .map(|v| v.trim() == "1"))
}
