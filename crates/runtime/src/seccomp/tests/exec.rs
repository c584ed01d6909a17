//! Filters loaded in forked children. The child sets no_new_privs (so this works without
//! privileges too), loads the filter, runs a probe and reports through its exit code. Children
//! allocate nothing after the fork: the test harness is multi-threaded.

use berth_sys::clone::{fork, CloneResult};
use berth_sys::misc::exit_now;
use nix::errno::Errno;
use nix::sys::resource::{setrlimit, Resource};
use nix::sys::signal::{kill, Signal};
use nix::sys::stat::Mode;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use serde_json::json;

use super::profile;
use crate::seccomp::{compile, default_docker_profile, load, CompiledFilter};

/// Exit code of a child whose setup (no_new_privs, load) failed.
const SETUP_FAILED: i32 = 200;
/// A pid above PID_MAX_LIMIT: kill(2) on it is always ESRCH unless the filter steps in.
const NO_PID: i32 = 6_000_000;

/// Forks, loads `filter` in the child, runs `probe` there and returns how the child ended.
pub(super) fn run(filter: &CompiledFilter, probe: impl FnOnce() -> i32) -> WaitStatus {
    match fork().expect("fork") {
        CloneResult::Child => {
            // SIGSYS would dump core; do not.
            let _ = setrlimit(Resource::RLIMIT_CORE, 0, 0);
            if nix::sys::prctl::set_no_new_privs().is_err() || load(filter).is_err() {
                exit_now(SETUP_FAILED);
            }
            exit_now(probe())
        }
        CloneResult::Parent(pid) => waitpid(Pid::from_raw(pid), None).expect("waitpid"),
    }
}

/// The errno of a result as an exit code (0 for success).
fn code<T>(r: nix::Result<T>) -> i32 {
    match r {
        Ok(_) => 0,
        Err(e) => e as i32,
    }
}

fn mkdir_probe() -> i32 {
    code(nix::unistd::mkdir(
        "/nonexistent-berth-seccomp/x",
        Mode::S_IRWXU,
    ))
}

fn kill_probe(pid: i32) -> i32 {
    code(kill(Pid::from_raw(pid), None))
}

/// A filter with one rule on mkdir/mkdirat, default ALLOW.
fn mkdir_filter(action: &str, errno: Option<u32>) -> CompiledFilter {
    let mut rule = json!({ "names": ["mkdir", "mkdirat"], "action": action });
    if let Some(e) = errno {
        rule["errnoRet"] = e.into();
    }
    compile(
        &profile(json!({ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [rule] })),
        None,
    )
    .unwrap()
}

fn exited(status: WaitStatus) -> i32 {
    match status {
        WaitStatus::Exited(_, c) => c,
        other => panic!("child did not exit normally: {other:?}"),
    }
}

#[test]
fn seccomp_exec_errno_actions() {
    let enoent = Errno::ENOENT as i32;
    assert_eq!(
        exited(run(&mkdir_filter("SCMP_ACT_ALLOW", None), mkdir_probe)),
        enoent
    );
    assert_eq!(
        exited(run(&mkdir_filter("SCMP_ACT_ERRNO", None), mkdir_probe)),
        libc::EPERM
    );
    assert_eq!(
        exited(run(&mkdir_filter("SCMP_ACT_ERRNO", Some(38)), mkdir_probe)),
        38
    );
    // No tracer attached: the kernel fails the syscall with ENOSYS.
    assert_eq!(
        exited(run(&mkdir_filter("SCMP_ACT_TRACE", None), mkdir_probe)),
        libc::ENOSYS
    );
    assert_eq!(
        exited(run(&mkdir_filter("SCMP_ACT_LOG", None), mkdir_probe)),
        enoent
    );
}

#[test]
fn seccomp_exec_kill_actions() {
    for action in ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP"] {
        match run(&mkdir_filter(action, None), mkdir_probe) {
            WaitStatus::Signaled(_, Signal::SIGSYS, _) => {}
            other => panic!("{action}: expected death by SIGSYS, got {other:?}"),
        }
    }
}

/// kill(2) gets ERRNO(77) when `cond` holds on its pid (argument 0).
fn kill_filter(args: serde_json::Value) -> CompiledFilter {
    let p = profile(json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{ "names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 77, "args": args }]
    }));
    compile(&p, None).unwrap()
}

/// Exit code bits: 1 = `hit` met the rule (ERRNO 77), 2 = `miss` did not (ESRCH).
fn two_probes(hit: i32, miss: i32) -> i32 {
    let hit = kill_probe(hit) == 77;
    let miss = kill_probe(miss) == Errno::ESRCH as i32;
    i32::from(hit) | (i32::from(miss) << 1)
}

#[test]
fn seccomp_exec_args_each_op() {
    let n = NO_PID + 5;
    // (op, value, valueTwo, a pid that matches, one that does not)
    let cases = [
        ("SCMP_CMP_EQ", n, None, n, n + 1),
        ("SCMP_CMP_NE", n, None, n + 1, n),
        ("SCMP_CMP_LT", n, None, n - 1, n),
        ("SCMP_CMP_LE", n, None, n, n + 1),
        ("SCMP_CMP_GE", n, None, n, n - 1),
        ("SCMP_CMP_GT", n, None, n + 1, n),
        // (pid & 0xf) == (n & 0xf)
        ("SCMP_CMP_MASKED_EQ", 0xf, Some(n & 0xf), n, n + 1),
    ];
    for (op, value, two, hit, miss) in cases {
        let mut arg = json!({ "index": 0, "value": value, "op": op });
        if let Some(t) = two {
            arg["valueTwo"] = t.into();
        }
        let status = run(&kill_filter(json!([arg])), || two_probes(hit, miss));
        assert_eq!(exited(status), 3, "{op} {value}");
    }
}

#[test]
fn seccomp_exec_multiple_conditions_on_one_arg_are_alternatives() {
    // As runc does: pid > NO_PID + 100 OR pid == NO_PID + 5.
    let f = kill_filter(json!([
        { "index": 0, "value": NO_PID + 100, "op": "SCMP_CMP_GT" },
        { "index": 0, "value": NO_PID + 5, "op": "SCMP_CMP_EQ" }
    ]));
    let status = run(&f, || {
        let a = kill_probe(NO_PID + 5) == 77;
        let b = kill_probe(NO_PID + 200) == 77;
        let c = kill_probe(NO_PID + 6) == Errno::ESRCH as i32;
        i32::from(a) | (i32::from(b) << 1) | (i32::from(c) << 2)
    });
    assert_eq!(exited(status), 7);
}

#[test]
fn seccomp_exec_docker_default_profile() {
    let f = compile(&default_docker_profile(), None).unwrap();
    let status = run(&f, || {
        // Ordinary syscalls work.
        let open = nix::fcntl::open("/", nix::fcntl::OFlag::O_RDONLY, Mode::empty());
        let ok = match open {
            Ok(fd) => {
                drop(fd);
                true
            }
            Err(_) => false,
        };
        // Without CAP_SYS_ADMIN: unshare and mount are not allowed (default ERRNO(EPERM)).
        let unshare = code(nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWUTS));
        let mount = code(nix::mount::mount(
            Some("none"),
            "/nonexistent-berth-seccomp",
            Some("tmpfs"),
            nix::mount::MsFlags::empty(),
            None::<&str>,
        ));
        // clone3 is ENOSYS so that libc falls back to clone.
        let clone3 = match fork() {
            Err(e) => e.raw_os_error() == Some(libc::ENOSYS),
            Ok(CloneResult::Child) => exit_now(0),
            Ok(CloneResult::Parent(_)) => false,
        };
        i32::from(ok)
            | (i32::from(unshare == libc::EPERM) << 1)
            | (i32::from(mount == libc::EPERM) << 2)
            | (i32::from(clone3) << 3)
    });
    assert_eq!(exited(status), 15);
}
