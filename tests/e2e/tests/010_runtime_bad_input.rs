//! Bad input: each case exits non-zero with a message naming the problem, and leaves no
//! state entry, mount, cgroup directory or process behind.

use std::fs;
use std::os::unix::fs::symlink;

use berth_e2e::{json, leaks, Bundle, Test};

/// `create` must fail, say one of `words` on stderr, and leave nothing behind.
#[track_caller]
fn rejected(t: &Test, b: &Bundle, words: &[&str]) {
    t.rt.create(&b.id, b).fails().stderr_mentions(words);
    t.rt.state(&b.id).fails();
    t.assert_nothing_left(&b.id);
}

#[test]
fn malformed_json() {
    let Some(t) = Test::new("bad_json") else {
        return;
    };
    let mut b = t.bundle("badjson");
    b.raw_config("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"true\"]");
    rejected(&t, &b, &["json", "config", "parse", "unexpected", "eof"]);
}

#[test]
fn missing_config_json() {
    let Some(t) = Test::new("no_config") else {
        return;
    };
    let b = t.bundle("noconf");
    fs::remove_file(b.dir.join("config.json")).unwrap();
    let o =
        t.rt.cmd(&["create", "--bundle", &b.dir.display().to_string(), &b.id]);
    o.fails()
        .stderr_mentions(&["config.json", "no such file", "not found"]);
    assert!(
        !t.rt.root.join(&b.id).exists(),
        "state left for a bundle without config.json"
    );
    t.rt.state(&b.id).fails();
}

#[test]
fn wrongly_typed_field() {
    let Some(t) = Test::new("bad_type") else {
        return;
    };
    let mut b = t.bundle("badtype");
    b.set("/process/args", json!("sh"));
    rejected(
        &t,
        &b,
        &["args", "type", "json", "sequence", "array", "unmarshal"],
    );
}

#[test]
fn unknown_namespace_type() {
    let Some(t) = Test::new("bad_namespace") else {
        return;
    };
    let mut b = t.bundle("badns");
    b.namespace("bogus", None);
    rejected(&t, &b, &["bogus", "namespace"]);
}

#[test]
fn namespace_path_that_does_not_exist() {
    let Some(t) = Test::new("bad_ns_path") else {
        return;
    };
    let mut b = t.bundle("badnspath");
    b.namespace("network", Some("/proc/999999999/ns/net"));
    rejected(
        &t,
        &b,
        &["/proc/999999999/ns/net", "namespace", "no such file"],
    );
}

#[test]
fn missing_rootfs() {
    let Some(t) = Test::new("missing_rootfs") else {
        return;
    };
    let mut b = t.bundle("norootfs");
    b.set("/root/path", json!("no-such-rootfs"));
    rejected(
        &t,
        &b,
        &["no-such-rootfs", "rootfs", "root", "no such file"],
    );
}

/// runtime-spec 1.0 (and this project's issue 2): an unknown capability MUST be an error.
/// Note: runtime-spec 1.1 relaxed this to "log a warning, SHOULD NOT fail".
#[test]
fn unknown_capability() {
    let Some(t) = Test::new("bad_capability") else {
        return;
    };
    let mut b = t.bundle("badcap");
    for set in ["bounding", "effective", "permitted"] {
        b.set(
            &format!("/process/capabilities/{set}"),
            json!(["CAP_KILL", "CAP_BOGUS"]),
        );
    }
    rejected(&t, &b, &["CAP_BOGUS", "capabilit"]);
}

#[test]
fn unknown_rlimit() {
    let Some(t) = Test::new("bad_rlimit") else {
        return;
    };
    let mut b = t.bundle("badrlimit");
    b.set(
        "/process/rlimits",
        json!([{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]),
    );
    rejected(&t, &b, &["RLIMIT_BOGUS", "rlimit"]);
}

#[test]
fn duplicate_rlimit() {
    let Some(t) = Test::new("dup_rlimit") else {
        return;
    };
    let mut b = t.bundle("duprlimit");
    b.set(
        "/process/rlimits",
        json!([
            {"type": "RLIMIT_NOFILE", "soft": 100, "hard": 100},
            {"type": "RLIMIT_NOFILE", "soft": 200, "hard": 200}
        ]),
    );
    rejected(&t, &b, &["RLIMIT_NOFILE", "rlimit", "duplicate"]);
}

#[test]
fn empty_args() {
    let Some(t) = Test::new("empty_args") else {
        return;
    };
    let mut b = t.bundle("noargs");
    b.set("/process/args", json!([]));
    rejected(&t, &b, &["args", "empty"]);
}

#[test]
fn relative_cwd() {
    let Some(t) = Test::new("relative_cwd") else {
        return;
    };
    let mut b = t.bundle("relcwd");
    b.cwd("relative/dir");
    rejected(&t, &b, &["cwd", "absolute"]);
}

#[test]
fn unknown_mount_type() {
    let Some(t) = Test::new("bad_mount") else {
        return;
    };
    let mut b = t.bundle("badmount");
    b.add_mount(json!({"destination": "/bad", "type": "e2e-no-such-fs", "source": "none"}));
    rejected(
        &t,
        &b,
        &["/bad", "mount", "e2e-no-such-fs", "no such device"],
    );
}

/// A sysctl outside the container's namespaces would change the host: it must be refused.
/// The value asked for is the host's current one, so a runtime that wrongly applies it
/// changes nothing.
#[test]
fn sysctl_not_in_a_container_namespace() {
    let Some(t) = Test::new("bad_sysctl") else {
        return;
    };
    let cur = fs::read_to_string("/proc/sys/vm/overcommit_ratio")
        .unwrap()
        .trim()
        .to_string();
    let mut b = t.bundle("badsysctl");
    b.set("/linux/sysctl", json!({"vm.overcommit_ratio": cur}));
    rejected(&t, &b, &["vm.overcommit_ratio", "sysctl"]);

    let fwd = fs::read_to_string("/proc/sys/net/ipv4/ip_forward")
        .unwrap()
        .trim()
        .to_string();
    let mut c = t.bundle("badsysctl2");
    c.remove_namespace("network")
        .set("/linux/sysctl", json!({"net.ipv4.ip_forward": fwd}));
    rejected(&t, &c, &["net.ipv4.ip_forward", "sysctl", "namespace"]);
}

/// The tmpfs mount point mountinfo shows for a process, if any, at one of `points`.
fn tmpfs_at(pid: i32, points: &[&str]) -> Option<String> {
    let info = fs::read_to_string(format!("/proc/{pid}/mountinfo")).ok()?;
    info.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let dash = f.iter().position(|x| *x == "-")?;
        (f.get(dash + 1) == Some(&"tmpfs") && points.contains(&f[4])).then(|| f[4].to_string())
    })
}

/// rootfs/mnt is a relative symlink climbing far above the rootfs. Followed on the host it
/// would name /tmp/<unique>; resolved inside the rootfs (as a chroot would) it names
/// rootfs/tmp/<unique>. The runtime may refuse the config, or mount inside the rootfs; it
/// must never create or mount anything at the host path.
#[test]
fn symlinked_mount_destination_stays_in_rootfs() {
    let Some(t) = Test::new("symlink_escape") else {
        return;
    };
    let mut b = t.bundle("escape");
    let unique = format!("berth-e2e-escape-{}", b.id);
    let host_target = std::path::PathBuf::from("/tmp").join(&unique);
    let _ = fs::remove_dir_all(&host_target);
    symlink(
        format!("{}tmp/{unique}", "../".repeat(12)),
        b.rootfs.join("mnt"),
    )
    .unwrap();
    b.add_mount(
        json!({"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}),
    )
    .args(&["sleep", "1000"]);

    let o = t.rt.create(&b.id, &b);
    let escaped = host_target.exists();
    let _ = fs::remove_dir_all(&host_target);
    assert!(
        !escaped,
        "the runtime followed rootfs/mnt out of the rootfs and created {}\n{o}",
        host_target.display()
    );
    assert!(
        leaks::mounts_naming(&host_target).is_empty(),
        "a mount appeared at {} on the host",
        host_target.display()
    );
    if o.success() {
        let pid = t.rt.pid(&b.id);
        let inside = format!("/tmp/{unique}");
        assert!(
            tmpfs_at(pid, &[&inside, "/mnt"]).is_some(),
            "create succeeded but the tmpfs is not inside the container (at /mnt or {inside})"
        );
    } else {
        o.stderr_mentions(&["mnt", "symlink", "mount", "outside", "rootfs"]);
        t.assert_nothing_left(&b.id);
    }
}

/// rootfs/proc is an absolute symlink to /etc: the proc mount must not land on the host's
/// /etc. Refusing is fine (runc does); mounting proc at rootfs/etc is fine too.
#[test]
fn symlinked_proc_is_not_followed_to_the_host() {
    let Some(t) = Test::new("symlink_proc") else {
        return;
    };
    let mut b = t.bundle("procetc");
    fs::remove_dir(b.rootfs.join("proc")).unwrap();
    symlink("/etc", b.rootfs.join("proc")).unwrap();
    b.args(&["sleep", "1000"]);
    let host_etc_mounts = leaks::mounts_naming(std::path::Path::new("/etc")).len();

    let o = t.rt.create(&b.id, &b);
    assert_eq!(
        leaks::mounts_naming(std::path::Path::new("/etc")).len(),
        host_etc_mounts,
        "host /etc got a mount"
    );
    if o.success() {
        let pid = t.rt.pid(&b.id);
        let info = fs::read_to_string(format!("/proc/{pid}/mountinfo")).unwrap_or_default();
        let procs: Vec<&str> = info
            .lines()
            .filter(|l| {
                l.split(" - ")
                    .nth(1)
                    .is_some_and(|r| r.starts_with("proc "))
            })
            .map(|l| l.split_whitespace().nth(4).unwrap_or(""))
            .collect();
        assert!(
            procs.iter().all(|m| *m == "/etc" || m.starts_with("/etc/")),
            "proc mounted outside: {procs:?}"
        );
    } else {
        o.stderr_mentions(&["proc", "symlink", "mount"]);
        t.assert_nothing_left(&b.id);
    }
}

#[test]
fn bind_mount_of_missing_source() {
    let Some(t) = Test::new("bind_missing") else {
        return;
    };
    let mut b = t.bundle("bindmiss");
    let missing = t.dir.join("no-such-source");
    b.add_mount(
        json!({"destination": "/data", "type": "bind", "source": missing, "options": ["rbind"]}),
    );
    rejected(
        &t,
        &b,
        &["no-such-source", "/data", "no such file", "mount"],
    );
}
