//! Device rules: the v1-semantics reduction and the eBPF program built from it.

use std::path::Path;

use super::super::devices::{rule_list, Effective, Rule, ACC_MKNOD, ACC_READ, ACC_WRITE};
use super::super::devices_bpf::{describe, program};
use super::res;

fn rules(json: &str) -> Vec<Rule> {
    let r = res(&format!(r#"{{"devices": {json}}}"#));
    rule_list(Path::new("/x"), r.devices().as_deref().unwrap_or_default()).expect("rules")
}

#[test]
fn reduction_follows_the_v1_kernel() {
    // Deny all, allow c 1:3 rwm, then deny its write: the exception keeps rm.
    let e = Effective::of(&rules(
        r#"[{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
        {"allow": false, "type": "c", "major": 1, "minor": 3, "access": "w"}]"#,
    ));
    assert!(!e.default_allow);
    let null = e
        .exceptions
        .iter()
        .find(|x| x.major == Some(1) && x.minor == Some(3))
        .expect("1:3");
    assert_eq!(
        null.access,
        ACC_READ | ACC_MKNOD | ACC_WRITE,
        "the defaults re-allow /dev/null after the spec's deny"
    );
    let e = Effective::of(&rules(
        r#"[{"allow": true, "type": "c", "major": 4, "minor": 1, "access": "rw"},
        {"allow": false, "type": "c", "major": 4, "minor": 1, "access": "w"}]"#,
    ));
    let tty1 = e
        .exceptions
        .iter()
        .find(|x| x.major == Some(4))
        .expect("4:1");
    assert_eq!(tty1.access, ACC_READ);
    // A later "a" allow resets to allow-all; the defaults are then redundant and dropped.
    let e = Effective::of(&rules(r#"[{"allow": true, "access": "rwm"}]"#));
    assert!(e.default_allow);
    assert!(e.exceptions.is_empty(), "{}", describe(&e));
    // In allow-all mode a deny adds an exception.
    let e = Effective::of(&rules(
        r#"[{"allow": true}, {"allow": false, "type": "b", "major": 8, "access": "w"}]"#,
    ));
    assert_eq!(describe(&e), "default allow; deny b 8:* w");
}

#[test]
fn program_shape() {
    let e = Effective::of(&rules(
        r#"[{"allow": true, "type": "b", "major": 8, "minor": 0, "access": "r"}]"#,
    ));
    let p = program(&e);
    // 6 prologue, 12 exceptions (b 8:0 r and the 11 defaults), 2 epilogue.
    let exits = p.iter().filter(|i| i.code == 0x95).count();
    assert_eq!(exits, e.exceptions.len() + 1);
    assert_eq!(
        p.len(),
        6 + 2
            + e.exceptions
                .iter()
                .map(|x| 3
                    + usize::from(x.access != 7) * 3
                    + usize::from(x.major.is_some())
                    + usize::from(x.minor.is_some()))
                .sum::<usize>()
    );
    // The last instruction pair returns the default (deny = 0).
    assert_eq!((p[p.len() - 2].code, p[p.len() - 2].imm), (0xb4, 0));
    // Every jump lands inside the program, on the first instruction of the next block.
    for (i, ins) in p.iter().enumerate() {
        if matches!(ins.code, 0x15 | 0x55 | 0x5d) {
            let target = i + 1 + usize::try_from(ins.off).expect("forward");
            assert!(target < p.len());
            let prev = &p[target - 1];
            assert_eq!(prev.code, 0x95, "jump at {i} lands after an exit");
        }
    }
    // The first exception block (b 8:0 r): type, access subset, major, minor, allow.
    assert_eq!((p[6].code, p[6].regs, p[6].imm, p[6].off), (0x55, 2, 1, 7));
    assert_eq!((p[7].code, p[7].regs), (0xbc, 0x31), "r1 = r3");
    assert_eq!((p[8].code, p[8].imm), (0x54, i32::from(ACC_READ)));
    assert_eq!(
        (p[9].code, p[9].regs, p[9].off),
        (0x5d, 0x31, 4),
        "if r1 != r3 goto next"
    );
    assert_eq!((p[10].code, p[10].regs, p[10].imm), (0x55, 4, 8));
    assert_eq!((p[11].code, p[11].regs, p[11].imm), (0x55, 5, 0));
    assert_eq!((p[12].code, p[12].imm, p[13].code), (0xb4, 1, 0x95));
}
