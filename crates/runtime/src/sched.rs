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
    let (runtime, deadline, period) = (
        s.runtime().unwrap_or(0),
        s.deadline().unwrap_or(0),
        s.period().unwrap_or(0),
    );
    if *s.policy() == LinuxSchedulerPolicy::SchedDeadline {
        check_deadline(runtime, deadline, period)?;
    } else if runtime != 0 || deadline != 0 || period != 0 {
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
        runtime,
        deadline,
        period,
        util_min: 0,
        util_max: 0,
    })
}

/// The kernel's rules for SCHED_DEADLINE parameters (sched_setattr(2)), checked before the
/// fork so a bad configuration fails with a message that names the field: a deadline is
/// required, runtime is at least 1024 ns and at most the deadline, and the period (0 means
/// "the deadline") is not shorter than the deadline; none may reach 2^63 ns.
fn check_deadline(runtime: u64, deadline: u64, period: u64) -> Result<()> {
    const MIN_RUNTIME: u64 = 1 << 10;
    const LIMIT: u64 = 1 << 63;
    let bad = |why: String| {
        Err(Error::Spec(format!(
            "process.scheduler (SCHED_DEADLINE): {why}"
        )))
    };
    if deadline == 0 {
        return bad("deadline is required and must be above 0".into());
    }
    if runtime < MIN_RUNTIME {
        return bad(format!(
            "runtime {runtime} ns is below the minimum of {MIN_RUNTIME} ns"
        ));
    }
    if runtime > deadline {
        return bad(format!(
            "runtime {runtime} ns exceeds deadline {deadline} ns"
        ));
    }
    if period != 0 && period < deadline {
        return bad(format!(
            "period {period} ns is shorter than deadline {deadline} ns"
        ));
    }
    if [runtime, deadline, period].iter().any(|v| *v >= LIMIT) {
        return bad("runtime, deadline and period must be below 2^63 ns".into());
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sched(json: &str) -> Scheduler {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn deadline_rules() {
        let ok = sched(
            r#"{"policy":"SCHED_DEADLINE","runtime":10000000,"deadline":20000000,"period":30000000}"#,
        );
        let a = attr(&ok).unwrap();
        assert_eq!((a.policy, a.runtime, a.period), (6, 10_000_000, 30_000_000));
        assert!(attr(&sched(
            r#"{"policy":"SCHED_DEADLINE","runtime":2000,"deadline":2000}"#
        ))
        .is_ok());
        for bad in [
            r#"{"policy":"SCHED_DEADLINE"}"#,
            r#"{"policy":"SCHED_DEADLINE","runtime":1000,"deadline":2000}"#,
            r#"{"policy":"SCHED_DEADLINE","runtime":3000,"deadline":2000}"#,
            r#"{"policy":"SCHED_DEADLINE","runtime":2000,"deadline":3000,"period":2500}"#,
            r#"{"policy":"SCHED_DEADLINE","runtime":2000,"deadline":3000,"priority":1}"#,
            r#"{"policy":"SCHED_OTHER","runtime":2000}"#,
        ] {
            assert!(attr(&sched(bad)).is_err(), "{bad}");
        }
        // Zero values are the same as absent ones (as runc and crun read them).
        assert!(attr(&sched(
            r#"{"policy":"SCHED_OTHER","runtime":0,"deadline":0,"period":0}"#
        ))
        .is_ok());
    }
}
