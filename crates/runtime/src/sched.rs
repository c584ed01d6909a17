//! `process.scheduler`: the scheduling policy and its attributes, set with sched_setattr(2)
//! while the process still has its privileges (real-time policies need CAP_SYS_NICE).

use berth_sys::sched::SchedAttr;
use oci_spec::runtime::{LinuxSchedulerFlag, LinuxSchedulerPolicy, Process, Scheduler};

use crate::error::{Error, IoContext, Result};

/// The kernel's number for `policy`; `SCHED_ISO` was never merged into Linux.
fn policy_number(policy: LinuxSchedulerPolicy) -> Result<u32> {
    use LinuxSchedulerPolicy::*;
    Ok(match policy {
        SchedOther => 0,
        SchedFifo => 1,
        SchedRr => 2,
        SchedBatch => 3,
        SchedIso => {
            return Err(Error::Spec(
                "process.scheduler.policy SCHED_ISO is not supported by Linux".into(),
            ))
        }
        SchedIdle => 5,
        SchedDeadline => 6,
    })
}

/// The kernel's `SCHED_FLAG_*` bit for `flag`.
fn flag_bit(flag: LinuxSchedulerFlag) -> u64 {
    use LinuxSchedulerFlag::*;
    match flag {
        SchedResetOnFork => 0x01,
        SchedFlagReclaim => 0x02,
        SchedFlagDLOverrun => 0x04,
        SchedFlagKeepPolicy => 0x08,
        SchedFlagKeepParams => 0x10,
        SchedFlagUtilClampMin => 0x20,
        SchedFlagUtilClampMax => 0x40,
    }
}

/// The `struct sched_attr` for `s`, checked as far as it can be without the kernel.
pub fn attr(s: &Scheduler) -> Result<SchedAttr> {
    let policy = policy_number(*s.policy())?;
    let nice = s.nice().unwrap_or(0);
    if !(-20..=19).contains(&nice) {
        return Err(Error::Spec(format!(
            "process.scheduler.nice {nice} is outside -20..19"
        )));
    }
    let priority = s.priority().unwrap_or(0);
    let realtime = matches!(
        s.policy(),
        LinuxSchedulerPolicy::SchedFifo | LinuxSchedulerPolicy::SchedRr
    );
    if realtime && !(1..=99).contains(&priority) {
        return Err(Error::Spec(format!(
            "process.scheduler.priority {priority} is outside 1..99 for {}",
            s.policy()
        )));
    }
    if !realtime && priority != 0 {
        return Err(Error::Spec(format!(
            "process.scheduler.priority must be 0 for {} (got {priority})",
            s.policy()
        )));
    }
    let deadline = *s.policy() == LinuxSchedulerPolicy::SchedDeadline;
    if !deadline && (s.runtime().is_some() || s.deadline().is_some() || s.period().is_some()) {
        return Err(Error::Spec(format!(
            "process.scheduler runtime, deadline and period apply only to SCHED_DEADLINE, not {}",
            s.policy()
        )));
    }
    Ok(SchedAttr {
        size: 0,
        policy,
        flags: s.flags().iter().flatten().map(|f| flag_bit(*f)).sum(),
        nice,
        priority: priority as u32,
        runtime: s.runtime().unwrap_or(0),
        deadline: s.deadline().unwrap_or(0),
        period: s.period().unwrap_or(0),
        util_min: 0,
        util_max: 0,
    })
}

/// Checks `process.scheduler` without applying it (for the runtime, before it forks).
pub fn validate(process: &Process) -> Result<()> {
    if let Some(s) = process.scheduler() {
        attr(s)?;
    }
    Ok(())
}

/// Applies `process.scheduler` to the calling process.
pub fn apply(process: &Process) -> Result<()> {
    let Some(s) = process.scheduler() else {
        return Ok(());
    };
    let a = attr(s)?;
    berth_sys::sched::sched_setattr_self(&a).ctx(|| {
        let mut what = format!("set scheduler {}", s.policy());
        match s.policy() {
            LinuxSchedulerPolicy::SchedFifo | LinuxSchedulerPolicy::SchedRr => {
                what += &format!(
                    " priority {} (real-time policies need CAP_SYS_NICE and, with RT group \
                     scheduling, linux.resources.cpu.realtimeRuntime)",
                    a.priority
                )
            }
            LinuxSchedulerPolicy::SchedDeadline => {
                what += &format!(
                    " runtime {} deadline {} period {}",
                    a.runtime, a.deadline, a.period
                )
            }
            _ => what += &format!(" nice {}", a.nice),
        }
        what
    })
}
