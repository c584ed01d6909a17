//! process: user (uid, gid, additionalGids, umask), env, cwd, capabilities, rlimits,
//! noNewPrivileges, oomScoreAdj, scheduler, execCPUAffinity; linux.personality and
//! linux.memoryPolicy.

use std::fs;

use berth_e2e::{cap_mask, json, status_field, Test};

#[test]
fn user_uid_gid_additional_gids() {
    let Some(t) = Test::new("user") else { return };
    let mut b = t.bundle("user");
    b.user(1000, 100, &[10, 65534])
        .sh("id -u; id -g; grep '^Groups:' /proc/self/status");
    let o = t.rt.run(&b.id, &b).ok();
    let l = o.lines();
    assert_eq!(l[0], "1000", "{o}");
    assert_eq!(l[1], "100", "{o}");
    let mut groups: Vec<&str> = l[2]
        .trim_start_matches("Groups:")
        .split_whitespace()
        .collect();
    groups.sort();
    assert_eq!(
        groups,
        ["10", "65534"],
        "supplementary groups must be exactly additionalGids: {o}"
    );
}

#[test]
fn user_without_additional_gids_has_no_supplementary_groups() {
    let Some(t) = Test::new("user_nogroups") else {
        return;
    };
    let mut b = t.bundle("usern");
    b.user(1000, 1000, &[])
        .args(&["grep", "^Groups:", "/proc/self/status"]);
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(
        o.out().trim_start_matches("Groups:").trim(),
        "",
        "root's groups leaked into the container: {o}"
    );
}

#[test]
fn umask() {
    let Some(t) = Test::new("umask") else { return };
    let mut b = t.bundle("umask");
    b.set("/process/user/umask", json!(0o027))
        .sh("umask; touch /tmp/f; mkdir /tmp/d; stat -c %a /tmp/f /tmp/d");
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(o.lines(), ["0027", "640", "750"], "{o}");
}

#[test]
fn env_is_exactly_passed() {
    let Some(t) = Test::new("env") else { return };
    let mut b = t.bundle("env");
    b.env(&[
        "PATH=/bin:/usr/bin",
        "E2E_A=1",
        "E2E_B=two words",
        "E2E_EMPTY=",
    ])
    .sh("echo \"$E2E_A|$E2E_B|${E2E_EMPTY-unset}|$PATH\"; env | grep -c '^E2E_'");
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(o.lines(), ["1|two words||/bin:/usr/bin", "3"], "{o}");
}

#[test]
fn cwd_is_set() {
    let Some(t) = Test::new("cwd") else { return };
    let mut b = t.bundle("cwd");
    fs::create_dir_all(b.rootfs.join("work/dir")).unwrap();
    b.cwd("/work/dir").args(&["pwd"]);
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(o.out(), "/work/dir", "{o}");
}

#[test]
fn cwd_is_created_when_missing() {
    let Some(t) = Test::new("cwd_missing") else {
        return;
    };
    let mut b = t.bundle("cwdm");
    b.cwd("/not/yet/there").args(&["pwd"]);
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(o.out(), "/not/yet/there", "{o}");
}

fn caps_of(status: &str, key: &str) -> u64 {
    u64::from_str_radix(&status_field(status, key).unwrap_or_default(), 16).unwrap_or(u64::MAX)
}

#[test]
fn capabilities_root() {
    let Some(t) = Test::new("caps_root") else {
        return;
    };
    let set = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
    let mut b = t.bundle("caps");
    b.set(
        "/process/capabilities",
        json!({"bounding": set, "effective": set, "permitted": set, "inheritable": [], "ambient": []}),
    )
    .args(&["cat", "/proc/self/status"]);
    let o = t.rt.run(&b.id, &b).ok();
    let want = cap_mask(&set);
    for k in ["CapEff", "CapPrm", "CapBnd"] {
        assert_eq!(
            caps_of(&o.stdout, k),
            want,
            "{k} is {:?}, want {want:x}",
            status_field(&o.stdout, k)
        );
    }
    assert_eq!(caps_of(&o.stdout, "CapInh"), 0);
    assert_eq!(caps_of(&o.stdout, "CapAmb"), 0);
}

#[test]
fn capabilities_non_root_ambient() {
    let Some(t) = Test::new("caps_ambient") else {
        return;
    };
    let set = ["CAP_NET_BIND_SERVICE"];
    let mut b = t.bundle("capamb");
    b.user(1000, 1000, &[])
        .set(
            "/process/capabilities",
            json!({"bounding": set, "effective": set, "permitted": set, "inheritable": set, "ambient": set}),
        )
        .args(&["cat", "/proc/self/status"]);
    let o = t.rt.run(&b.id, &b).ok();
    let want = cap_mask(&set);
    for k in ["CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"] {
        assert_eq!(
            caps_of(&o.stdout, k),
            want,
            "{k} is {:?}, want {want:x}",
            status_field(&o.stdout, k)
        );
    }
}

#[test]
fn capabilities_empty() {
    let Some(t) = Test::new("caps_empty") else {
        return;
    };
    let mut b = t.bundle("capnone");
    b.set(
        "/process/capabilities",
        json!({"bounding": [], "effective": [], "permitted": [], "inheritable": [], "ambient": []}),
    )
    .args(&["cat", "/proc/self/status"]);
    let o = t.rt.run(&b.id, &b).ok();
    for k in ["CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"] {
        assert_eq!(
            caps_of(&o.stdout, k),
            0,
            "{k}: {:?}",
            status_field(&o.stdout, k)
        );
    }
}

fn host_hard(resource: nix::sys::resource::Resource) -> u64 {
    nix::sys::resource::getrlimit(resource)
        .map(|(_, h)| h)
        .unwrap_or(0)
}

#[test]
fn rlimits() {
    let Some(t) = Test::new("rlimits") else {
        return;
    };
    use nix::sys::resource::Resource;
    // Never above the current hard limit: there is no CAP_SYS_RESOURCE here.
    let nofile_hard = host_hard(Resource::RLIMIT_NOFILE).min(888);
    let nofile_soft = nofile_hard.min(777);
    let core_hard = host_hard(Resource::RLIMIT_CORE).min(4096);
    let mut b = t.bundle("rlim");
    b.set(
        "/process/rlimits",
        json!([
            {"type": "RLIMIT_NOFILE", "soft": nofile_soft, "hard": nofile_hard},
            {"type": "RLIMIT_CORE", "soft": 0, "hard": core_hard}
        ]),
    )
    .sh("ulimit -n; grep -E '^Max (open files|core file size)' /proc/self/limits");
    let o = t.rt.run(&b.id, &b).ok();
    let l = o.lines();
    assert_eq!(l[0], nofile_soft.to_string(), "ulimit -n: {o}");
    let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
    let core = l
        .iter()
        .find(|x| x.starts_with("Max core file size"))
        .expect("core line");
    assert_eq!(
        words(core)[4..6],
        ["0".to_string(), core_hard.to_string()],
        "{o}"
    );
    let nofile = l
        .iter()
        .find(|x| x.starts_with("Max open files"))
        .expect("nofile line");
    assert_eq!(
        words(nofile)[3..5],
        [nofile_soft.to_string(), nofile_hard.to_string()],
        "{o}"
    );
}

#[test]
fn no_new_privileges() {
    let Some(t) = Test::new("nnp") else { return };
    for (on, want) in [(true, "1"), (false, "0")] {
        let mut b = t.bundle("nnp");
        b.set("/process/noNewPrivileges", json!(on)).args(&[
            "grep",
            "^NoNewPrivs:",
            "/proc/self/status",
        ]);
        let o = t.rt.run(&b.id, &b).ok();
        assert_eq!(
            o.out().trim_start_matches("NoNewPrivs:").trim(),
            want,
            "noNewPrivileges={on}: {o}"
        );
    }
}

#[test]
fn oom_score_adj() {
    let Some(t) = Test::new("oom_score_adj") else {
        return;
    };
    let mut b = t.bundle("oom");
    // Raising needs no privilege; lowering would need CAP_SYS_RESOURCE, absent here.
    b.set("/process/oomScoreAdj", json!(517))
        .args(&["cat", "/proc/self/oom_score_adj"]);
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(o.out(), "517", "{o}");
}

#[test]
fn args_are_passed_verbatim() {
    let Some(t) = Test::new("args") else { return };
    let mut b = t.bundle("args");
    b.args(&["printf", "[%s]\\n", "a b", "", "$HOME", "'q'"]);
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(o.lines(), ["[a b]", "[]", "[$HOME]", "['q']"], "{o}");
}

/// Fields 19 (nice) and 41 (policy) of a /proc/<pid>/stat line (1-based, as proc(5) counts).
fn stat_nice_policy(stat: &str) -> (String, String) {
    // The command name (field 2) may contain spaces; it ends at the last ')'.
    let rest = &stat[stat.rfind(')').expect("stat has (comm)") + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3.
    (f[19 - 3].to_string(), f[41 - 3].to_string())
}

#[test]
fn personality_linux32() {
    let Some(t) = Test::new("personality") else {
        return;
    };
    let mut b = t.bundle("pers");
    b.set("/linux/personality", json!({"domain": "LINUX32"}))
        .sh("uname -m; cat /proc/self/personality");
    let o = t.rt.run(&b.id, &b).ok();
    let l = o.lines();
    assert_eq!(l[1], "00000008", "personality: {o}");
    if std::env::consts::ARCH == "x86_64" {
        assert_eq!(l[0], "i686", "uname -m under LINUX32: {o}");
    }
}

#[test]
fn personality_unknown_flag_is_rejected() {
    let Some(t) = Test::new("personality_bad") else {
        return;
    };
    let mut b = t.bundle("persbad");
    b.set(
        "/linux/personality",
        json!({"domain": "LINUX", "flags": ["NO_SUCH_FLAG"]}),
    );
    t.rt.create(&b.id, &b)
        .fails()
        .stderr_mentions(&["NO_SUCH_FLAG"]);
    t.rt.state(&b.id).fails();
    t.assert_nothing_left(&b.id);
}

#[test]
fn scheduler_batch_nice() {
    let Some(t) = Test::new("sched_batch") else {
        return;
    };
    let mut b = t.bundle("sched");
    b.set(
        "/process/scheduler",
        json!({"policy": "SCHED_BATCH", "nice": 5}),
    )
    .args(&["cat", "/proc/self/stat"]);
    let o = t.rt.run(&b.id, &b).ok();
    let (nice, policy) = stat_nice_policy(o.out());
    assert_eq!(policy, "3", "policy must be SCHED_BATCH (3): {o}");
    assert_eq!(nice, "5", "nice: {o}");
}

#[test]
fn scheduler_applies_to_exec() {
    let Some(t) = Test::new("sched_exec") else {
        return;
    };
    let b = t.sleeper("schedx");
    t.rt.create_and_start(&b.id, &b);
    let p = t.dir.join("process.json");
    let process = json!({
        "terminal": false,
        "user": {"uid": 0, "gid": 0},
        "args": ["cat", "/proc/self/stat"],
        "env": ["PATH=/bin"],
        "cwd": "/",
        "scheduler": {"policy": "SCHED_IDLE"},
        "execCPUAffinity": {"initial": "0", "final": "0"}
    });
    fs::write(&p, serde_json::to_vec(&process).unwrap()).unwrap();
    let o =
        t.rt.exec(&b.id, &["-p", &p.display().to_string()], &[])
            .ok();
    let (_, policy) = stat_nice_policy(o.out());
    assert_eq!(policy, "5", "policy must be SCHED_IDLE (5): {o}");
    let p2 = t.dir.join("process2.json");
    let mut process2 = process.clone();
    process2["args"] = json!(["grep", "Cpus_allowed_list", "/proc/self/status"]);
    fs::write(&p2, serde_json::to_vec(&process2).unwrap()).unwrap();
    let o =
        t.rt.exec(&b.id, &["-p", &p2.display().to_string()], &[])
            .ok();
    assert_eq!(
        o.out().trim_start_matches("Cpus_allowed_list:").trim(),
        "0",
        "{o}"
    );
}

#[test]
fn scheduler_iso_is_rejected() {
    let Some(t) = Test::new("sched_iso") else {
        return;
    };
    let mut b = t.bundle("schediso");
    b.set("/process/scheduler", json!({"policy": "SCHED_ISO"}));
    t.rt.create(&b.id, &b)
        .fails()
        .stderr_mentions(&["SCHED_ISO"]);
    t.rt.state(&b.id).fails();
    t.assert_nothing_left(&b.id);
}

#[test]
fn exec_cpu_affinity_final() {
    let Some(t) = Test::new("cpu_affinity") else {
        return;
    };
    let mut b = t.bundle("affin");
    b.set("/process/execCPUAffinity", json!({"final": "0"}))
        .args(&["grep", "Cpus_allowed_list", "/proc/self/status"]);
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(
        o.out().trim_start_matches("Cpus_allowed_list:").trim(),
        "0",
        "{o}"
    );
}

#[test]
fn exec_cpu_affinity_bad_lists_are_rejected() {
    let Some(t) = Test::new("cpu_affinity_bad") else {
        return;
    };
    for list in ["abc", "3-1", "100000"] {
        let mut b = t.bundle("affbad");
        b.set("/process/execCPUAffinity", json!({"final": list}));
        t.rt.create(&b.id, &b)
            .fails()
            .stderr_mentions(&["execCPUAffinity"]);
        t.rt.state(&b.id).fails();
        t.assert_nothing_left(&b.id);
    }
}

#[test]
fn memory_policy_bind() {
    let Some(t) = Test::new("mempolicy") else {
        return;
    };
    if !std::path::Path::new("/proc/self/numa_maps").exists() {
        eprintln!("skipped: the kernel has no NUMA support (no /proc/self/numa_maps)");
        return;
    }
    let mut b = t.bundle("mpol");
    b.set(
        "/linux/memoryPolicy",
        json!({"mode": "MPOL_BIND", "nodes": "0"}),
    )
    .args(&["cat", "/proc/self/numa_maps"]);
    let o = t.rt.run(&b.id, &b).ok();
    assert!(
        o.lines().iter().any(|l| l.contains("bind:0")),
        "no mapping bound to node 0: {o}"
    );
}

#[test]
fn memory_policy_bind_without_nodes_is_rejected() {
    let Some(t) = Test::new("mempolicy_bad") else {
        return;
    };
    let mut b = t.bundle("mpolbad");
    b.set("/linux/memoryPolicy", json!({"mode": "MPOL_BIND"}));
    t.rt.create(&b.id, &b)
        .fails()
        .stderr_mentions(&["memoryPolicy"]);
    t.rt.state(&b.id).fails();
    t.assert_nothing_left(&b.id);
}

#[test]
fn home_comes_from_the_users_passwd_entry() {
    let Some(t) = Test::new("home") else { return };
    // The harness's passwd: root -> /root, user (1000) -> /home/user; 4242 has no entry.
    for (uid, want) in [(0, "/root"), (1000, "/home/user"), (4242, "/")] {
        let mut b = t.bundle("home");
        b.user(uid, uid, &[])
            .env(&["PATH=/bin"])
            .sh("echo \"$HOME\"");
        let o = t.rt.run(&b.id, &b).ok();
        assert_eq!(o.out(), want, "uid {uid}: {o}");
    }
    // A HOME set in process.env is kept.
    let mut b = t.bundle("home_set");
    b.env(&["PATH=/bin", "HOME=/elsewhere"])
        .sh("echo \"$HOME\"");
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(o.out(), "/elsewhere", "{o}");
}

#[test]
fn duplicate_env_names_keep_the_last_value() {
    let Some(t) = Test::new("env_dup") else {
        return;
    };
    let mut b = t.bundle("env_dup");
    // `env` itself (no shell in between) prints exactly what the runtime passed.
    b.env(&["PATH=/bin", "E2E_D=first", "E2E_D=second"])
        .args(&["env"]);
    let o = t.rt.run(&b.id, &b).ok();
    let d: Vec<String> = o
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("E2E_D="))
        .collect();
    assert_eq!(d, ["E2E_D=second"], "{o}");
}

/// (runc 1.1.5 predates process.scheduler and accepts all of these.)
#[test]
fn scheduler_deadline_fields_are_checked() {
    let Some(t) = Test::new("sched_deadline") else {
        return;
    };
    for (sched, words) in [
        // runtime above the deadline
        (
            json!({"policy": "SCHED_DEADLINE", "runtime": 30_000_000u64, "deadline": 20_000_000u64, "period": 40_000_000u64}),
            &["runtime", "deadline"][..],
        ),
        // period shorter than the deadline
        (
            json!({"policy": "SCHED_DEADLINE", "runtime": 10_000_000u64, "deadline": 20_000_000u64, "period": 15_000_000u64}),
            &["period", "deadline"][..],
        ),
        // no deadline at all
        (json!({"policy": "SCHED_DEADLINE"}), &["deadline"][..]),
        // deadline fields on another policy
        (
            json!({"policy": "SCHED_OTHER", "runtime": 10_000_000u64}),
            &["SCHED_DEADLINE", "runtime"][..],
        ),
    ] {
        let mut b = t.bundle("sched_dl");
        b.set("/process/scheduler", sched.clone());
        t.rt.create(&b.id, &b).fails().stderr_mentions(words);
        t.rt.state(&b.id).fails();
        t.assert_nothing_left(&b.id);
    }
}
