//! Compiling and validating profiles, without loading them.

use oci_spec::runtime::LinuxSeccomp;
use serde_json::json;

use super::{profile, returns};
use crate::seccomp::{compile, flags, parse};
use crate::Error;

/// The error message of compiling `p`.
fn compile_err(p: &LinuxSeccomp) -> String {
    match compile(p, None) {
        Err(Error::Seccomp(m)) => m,
        other => panic!("expected a seccomp error, got {other:?}"),
    }
}

#[test]
fn seccomp_compile_each_action() {
    let cases = [
        ("SCMP_ACT_KILL", 0x0000_0000),
        ("SCMP_ACT_KILL_THREAD", 0x0000_0000),
        ("SCMP_ACT_KILL_PROCESS", 0x8000_0000),
        ("SCMP_ACT_TRAP", 0x0003_0000),
        ("SCMP_ACT_ERRNO", 0x0005_0001),
        ("SCMP_ACT_TRACE", 0x7ff0_0001),
        ("SCMP_ACT_LOG", 0x7ffc_0000),
    ];
    for (action, ret) in cases {
        let p = profile(json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{ "names": ["mkdir"], "action": action }]
        }));
        let f = compile(&p, None).unwrap();
        assert!(returns(&f.program, ret), "{action}: no RET {ret:#x}");
        assert!(
            returns(&f.program, 0x7fff_0000),
            "{action}: default ALLOW missing"
        );
        assert!(!f.notify);
        assert_eq!(f.flags, 0);
        // The same action as the default, with ALLOW as the rule.
        let p = profile(json!({
            "defaultAction": action,
            "syscalls": [{ "names": ["exit_group"], "action": "SCMP_ACT_ALLOW" }]
        }));
        assert!(
            returns(&compile(&p, None).unwrap().program, ret),
            "default {action}"
        );
    }
}

#[test]
fn seccomp_compile_errno_values() {
    let p = profile(json!({
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 5,
        "syscalls": [
            { "names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38 },
            { "names": ["mkdir"], "action": "SCMP_ACT_TRACE", "errnoRet": 7 },
            { "names": ["exit_group"], "action": "SCMP_ACT_ALLOW" }
        ]
    }));
    let f = compile(&p, None).unwrap();
    assert!(returns(&f.program, 0x0005_0005));
    assert!(returns(&f.program, 0x0005_0026));
    assert!(returns(&f.program, 0x7ff0_0007));
}

#[test]
fn seccomp_compile_notify_sets_listener_flag() {
    let p = profile(json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "listenerPath": "/run/agent.sock",
        "listenerMetadata": "x",
        "syscalls": [{ "names": ["mkdir"], "action": "SCMP_ACT_NOTIFY" }]
    }));
    let f = compile(&p, None).unwrap();
    assert!(f.notify);
    assert_eq!(f.flags & flags::NEW_LISTENER, flags::NEW_LISTENER);
    assert!(returns(&f.program, 0x7fc0_0000));
}

#[test]
fn seccomp_compile_flags() {
    let p = profile(json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"]
    }));
    let f = compile(&p, None).unwrap();
    assert_eq!(f.flags, flags::LOG | flags::SPEC_ALLOW | flags::TSYNC);
    // TSYNC with NEW_LISTENER needs TSYNC_ESRCH (kernel 5.7+, which this machine has).
    let p = profile(json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "flags": ["SECCOMP_FILTER_FLAG_TSYNC"],
        "listenerPath": "/run/agent.sock",
        "syscalls": [{ "names": ["mkdir"], "action": "SCMP_ACT_NOTIFY" }]
    }));
    let f = compile(&p, None).unwrap();
    assert_eq!(
        f.flags,
        flags::TSYNC | flags::NEW_LISTENER | flags::TSYNC_ESRCH
    );
}

#[test]
fn seccomp_compile_args_each_op_and_architectures() {
    for op in ["NE", "LT", "LE", "EQ", "GE", "GT", "MASKED_EQ"] {
        let p = profile(json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [{
                "names": ["kill", "socket"],
                "action": "SCMP_ACT_ERRNO",
                "args": [
                    { "index": 0, "value": 15, "valueTwo": 5, "op": format!("SCMP_CMP_{op}") },
                    { "index": 5, "value": 1, "op": "SCMP_CMP_EQ" }
                ]
            }]
        }));
        let f = compile(&p, None).unwrap_or_else(|e| panic!("{op}: {e}"));
        assert!(returns(&f.program, 0x0005_0001), "{op}");
    }
}

#[test]
fn seccomp_compile_multiple_conditions_on_one_arg_split() {
    let one = |args: serde_json::Value| {
        let p = profile(json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{ "names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": args }]
        }));
        compile(&p, None).unwrap().program
    };
    // libseccomp alone would refuse two conditions on argument 0 in one rule.
    let split = one(json!([
        { "index": 0, "value": 100, "op": "SCMP_CMP_GT" },
        { "index": 0, "value": 5, "op": "SCMP_CMP_EQ" },
        { "index": 1, "value": 9, "op": "SCMP_CMP_EQ" }
    ]));
    let single = one(json!([{ "index": 0, "value": 100, "op": "SCMP_CMP_GT" }]));
    assert!(split.len() > single.len());
}

#[test]
fn seccomp_compile_unknown_syscall_skipped() {
    let with = profile(json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{ "names": ["mkdir", "no_such_syscall_berth"], "action": "SCMP_ACT_ERRNO" }]
    }));
    let without = profile(json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{ "names": ["mkdir"], "action": "SCMP_ACT_ERRNO" }]
    }));
    assert_eq!(
        compile(&with, None).unwrap().program,
        compile(&without, None).unwrap().program
    );
}

#[test]
fn seccomp_parse_names_unknown_action_and_op() {
    let e = parse(&json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [
            { "names": ["getcwd"], "action": "SCMP_ACT_ERRNO" },
            { "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_EXPLODE" }
        ]
    }))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("syscalls[1] (mkdir, mkdirat)") && e.contains("SCMP_ACT_EXPLODE"),
        "{e}"
    );
    let e = parse(&json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{ "names": ["kill"], "action": "SCMP_ACT_ERRNO",
                       "args": [{ "index": 0, "value": 1, "op": "SCMP_CMP_ABOUT" }] }]
    }))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("syscalls[0] (kill): args[0]") && e.contains("SCMP_CMP_ABOUT"),
        "{e}"
    );
    let e = parse(&json!({ "defaultAction": "SCMP_ACT_NOPE" }))
        .unwrap_err()
        .to_string();
    assert!(e.contains("defaultAction"), "{e}");
    let e =
        parse(&json!({ "defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_X"] }))
            .unwrap_err()
            .to_string();
    assert!(e.contains("flags[0]"), "{e}");
}

#[test]
fn seccomp_arg_index_6_is_an_error() {
    let raw = json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{ "names": ["kill"], "action": "SCMP_ACT_ERRNO",
                       "args": [{ "index": 6, "value": 1, "op": "SCMP_CMP_EQ" }] }]
    });
    assert!(parse(&raw).unwrap_err().to_string().contains("index is 6"));
    // Also when the profile did not come through `parse`.
    let p: LinuxSeccomp = serde_json::from_value(raw).unwrap();
    let e = compile_err(&p);
    assert!(e.contains("syscalls[0] (kill): args[0].index is 6"), "{e}");
}

#[test]
fn seccomp_invalid_profiles_are_errors() {
    let cases = [
        (
            json!({ "defaultAction": "SCMP_ACT_ALLOW",
                    "syscalls": [{ "names": ["mkdir"], "action": "SCMP_ACT_NOTIFY" }] }),
            "listenerPath is not set",
        ),
        (
            json!({ "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/a",
                    "syscalls": [{ "names": ["write"], "action": "SCMP_ACT_NOTIFY" }] }),
            "cannot be used for \"write\"",
        ),
        (
            json!({ "defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/a" }),
            "defaultAction SCMP_ACT_NOTIFY",
        ),
        (
            json!({ "defaultAction": "SCMP_ACT_ALLOW",
                    "syscalls": [{ "names": ["mkdir"], "action": "SCMP_ACT_KILL", "errnoRet": 1 }] }),
            "syscalls[0] (mkdir): an errno return value is only allowed",
        ),
        (
            json!({ "defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1 }),
            "defaultAction: an errno",
        ),
        (
            json!({ "defaultAction": "SCMP_ACT_ALLOW",
                    "syscalls": [{ "names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5000 }] }),
            "out of range",
        ),
        (
            json!({ "defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "m" }),
            "listenerMetadata is set without listenerPath",
        ),
        (
            json!({ "defaultAction": "SCMP_ACT_ALLOW",
                    "syscalls": [{ "names": [], "action": "SCMP_ACT_ERRNO" }] }),
            "syscalls[0] (): names is empty",
        ),
    ];
    for (json, want) in cases {
        let e = compile_err(&profile(json));
        assert!(e.contains(want), "{e:?} lacks {want:?}");
    }
}

#[test]
fn seccomp_default_docker_profile_compiles() {
    let p = crate::seccomp::default_docker_profile();
    assert_eq!(p.default_errno_ret(), Some(1));
    let f = compile(&p, None).unwrap();
    assert!(returns(&f.program, 0x0005_0001), "default ERRNO(EPERM)");
    assert!(returns(&f.program, 0x0005_0026), "clone3 ENOSYS");
    assert!(f.program.len() > 100 && !f.notify && f.flags == 0);
}
