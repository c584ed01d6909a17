//! `process.execCPUAffinity`, as runc applies it: `initial` is set by the runtime on the new
//! process before it joins the container's cgroup (so the runtime's work there runs on those
//! CPUs), `final` by the process itself after joining it, right before `execve`.

use nix::sched::CpuSet;
use nix::unistd::Pid;
use oci_spec::runtime::Process;

use crate::error::{Error, IoContext, Result};
use crate::ranges;

/// The CPU set of `list`; `what` names the field in errors.
fn cpu_set(list: &str, what: &str) -> Result<CpuSet> {
    let mut set = CpuSet::new();
    for cpu in ranges::parse(list, what)? {
        set.set(cpu).map_err(|_| {
            Error::Spec(format!(
                "{what} {list:?}: CPU {cpu} is beyond the {} this system supports",
                CpuSet::count()
            ))
        })?;
    }
    Ok(set)
}

/// The non-empty `initial` and `final` lists.
fn lists(process: &Process) -> (Option<&str>, Option<&str>) {
    let Some(a) = process.exec_cpu_affinity() else {
        return (None, None);
    };
    (nonempty(a.initial()), nonempty(a.cpu_affinity_final()))
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.trim().is_empty())
}

/// Checks both lists without applying them (for the runtime, before it forks).
pub fn validate(process: &Process) -> Result<()> {
    let (initial, last) = lists(process);
    if let Some(l) = initial {
        cpu_set(l, "process.execCPUAffinity.initial")?;
    }
    if let Some(l) = last {
        cpu_set(l, "process.execCPUAffinity.final")?;
    }
    Ok(())
}

fn set(pid: Pid, list: &str, what: &str) -> Result<()> {
    let cpus = cpu_set(list, what)?;
    nix::sched::sched_setaffinity(pid, &cpus).ctx(|| format!("set CPU affinity {what} {list:?}"))
}

/// Sets `initial` on process `pid` (called by the runtime before `pid` joins the cgroup).
pub fn apply_initial(process: &Process, pid: i32) -> Result<()> {
    match lists(process).0 {
        Some(l) => set(Pid::from_raw(pid), l, "process.execCPUAffinity.initial"),
        None => Ok(()),
    }
}

/// Sets `final` on the calling process (after it joined the cgroup, before `execve`).
pub fn apply_final(process: &Process) -> Result<()> {
    match lists(process).1 {
        Some(l) => set(Pid::from_raw(0), l, "process.execCPUAffinity.final"),
        None => Ok(()),
    }
}
