//! Whole-engine commands: events, info, version, system df/prune/check, and what
//! `system check` finds after imports, loads and monitors are killed mid-way.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use berth_e2e::Berth;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use sha2::{Digest, Sha256};

/// Unix time now, as `events --since/--until` take it.
fn unix_now() -> String {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    format!("{}.{:09}", d.as_secs(), d.subsec_nanos())
}

/// Starts `berth --root <root> args...` with stdin piped and stdout/stderr to files.
fn spawn(b: &Berth, args: &[&str], name: &str) -> Child {
    let out = File::create(b.dir.join(format!("{name}.out"))).unwrap();
    let err = File::create(b.dir.join(format!("{name}.err"))).unwrap();
    Command::new(&b.bin)
        .arg("--root")
        .arg(&b.root)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap()
}

/// SIGKILLs a child we started, by pid, and reaps it.
fn kill9(mut child: Child) {
    let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
    let _ = child.wait();
}

/// Polls `f` for up to 10 s.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        sleep(Duration::from_millis(50));
    }
}

/// A tarball with one incompressible file of `mb` MiB (a rootfs for `import`).
fn big_tar(b: &Berth, mb: usize) -> std::path::PathBuf {
    let p = b.dir.join("big.tar");
    let mut t = tar::Builder::new(File::create(&p).unwrap());
    let mut data = Vec::with_capacity(mb << 20);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while data.len() < mb << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    t.append_data(&mut h, "big.bin", &data[..]).unwrap();
    t.finish().unwrap();
    p
}

/// Feeds the first `fraction` of `file` to a child's stdin, waits a little, SIGKILLs it.
fn feed_partially_and_kill(mut child: Child, file: &Path, fraction: f64) {
    let data = fs::read(file).unwrap();
    let n = (data.len() as f64 * fraction) as usize;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&data[..n]).unwrap();
    stdin.flush().unwrap();
    sleep(Duration::from_millis(500));
    kill9(child);
    drop(stdin);
}

/// Asserts `system check` finds something, `--repair` fixes all of it, then it is clean.
fn check_finds_and_repairs(b: &Berth, expect: &[&str]) -> String {
    let o = b.cmd(&["system", "check"]).code_is(1);
    for e in expect {
        assert!(
            o.stdout.contains(e),
            "system check should report {e:?}:\n{o}"
        );
    }
    assert!(o.stdout.contains("--repair"), "{o}");
    let o = b.cmd(&["system", "check", "--repair"]).ok();
    assert!(
        o.stdout.contains("[repaired]") && o.stdout.contains("all repaired"),
        "{o}"
    );
    let again = b.cmd(&["system", "check"]).ok();
    assert!(again.stdout.contains("No problems found."), "{again}");
    o.stdout
}

#[test]
fn events_show_a_run_rm_and_follow() {
    let Some(b) = Berth::new("sys-events") else {
        return;
    };
    b.busybox_image("bb");
    // Follow mode: a child following only this container's events (from `since`, so a
    // slow start of the follower loses nothing).
    let since = unix_now();
    let follower = spawn(
        &b,
        &[
            "events",
            "--since",
            &since,
            "--filter",
            "container=ev",
            "--format",
            "{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}",
        ],
        "follow",
    );
    sleep(Duration::from_millis(300));
    b.cmd(&["run", "--rm", "--name", "ev", "bb", "sh", "-c", "exit 3"])
        .code_is(3);
    let follow_out = b.dir.join("follow.out");
    eventually("the follower to see destroy", || {
        fs::read_to_string(&follow_out)
            .unwrap_or_default()
            .contains("destroy")
    });
    kill9(follower);
    let text = fs::read_to_string(&follow_out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "container create ev <no value>",
            "container start ev <no value>",
            "container die ev 3",
            "container destroy ev <no value>"
        ],
        "{text}"
    );
    // Backlog mode with --since/--until; Docker's default line format.
    let o = b
        .cmd(&[
            "events",
            "--since",
            &since,
            "--until",
            &unix_now(),
            "--filter",
            "type=container",
        ])
        .ok();
    let actions: Vec<&str> = o
        .stdout
        .lines()
        .map(|l| l.split(' ').nth(2).unwrap_or(""))
        .collect();
    assert_eq!(actions, ["create", "start", "die", "destroy"], "{o}");
    let die = o.stdout.lines().nth(2).unwrap();
    assert!(
        die.contains(" container die ")
            && die.contains("exitCode=3")
            && die.contains("image=bb")
            && die.contains("name=ev"),
        "{die}"
    );
    let ts = die.split(' ').next().unwrap();
    assert!(
        ts.len() == 30 && ts.ends_with('Z') && ts.as_bytes()[19] == b'.',
        "RFC 3339 with nanoseconds: {ts}"
    );
    // Filters, JSON, image events.
    b.cmd(&["tag", "bb", "bb:two"]).ok();
    let until = unix_now();
    let o = b
        .cmd(&[
            "events",
            "--since",
            &since,
            "--until",
            &until,
            "--filter",
            "event=die",
            "--format",
            "json",
        ])
        .ok();
    let v: serde_json::Value =
        serde_json::from_str(o.out()).unwrap_or_else(|e| panic!("one JSON line: {e}\n{o}"));
    assert_eq!(
        (
            v["Type"].as_str(),
            v["Action"].as_str(),
            v["Actor"]["Attributes"]["exitCode"].as_str()
        ),
        (Some("container"), Some("die"), Some("3"))
    );
    let o = b
        .cmd(&[
            "events",
            "--since",
            &since,
            "--until",
            &until,
            "--filter",
            "type=image",
            "--format",
            "{{.Action}} {{.Actor.Attributes.name}}",
        ])
        .ok();
    assert_eq!(o.out(), "tag bb:two");
    b.cmd(&["events", "--since", "yesterday", "--until", "0"])
        .fails()
        .stderr_mentions(&["--since"]);
    b.cmd(&["events", "--until", "0", "--filter", "colour=red"])
        .fails()
        .stderr_mentions(&["invalid filter"]);
}

#[test]
fn info_version_and_df() {
    let Some(b) = Berth::new("sys-info") else {
        return;
    };
    b.busybox_image("bb");
    b.cmd(&["create", "--name", "idle", "bb"]).ok();
    let o = b.cmd(&["info"]).ok();
    for want in [
        "Containers: 1",
        "Stopped: 1",
        "Images: 1",
        "Storage Driver: overlay",
        "Cgroup Driver: cgroupfs",
        "Kernel Version: ",
        "Architecture: ",
        &format!("Docker Root Dir: {}", b.root.display()),
    ] {
        assert!(o.stdout.contains(want), "info should say {want:?}:\n{o}");
    }
    assert!(
        o.stdout.contains("Cgroup Version: 1") || o.stdout.contains("Cgroup Version: 2"),
        "{o}"
    );
    assert_eq!(
        b.cmd(&[
            "info",
            "--format",
            "{{.Images}} {{.Containers}} {{.OSType}}"
        ])
        .ok()
        .out(),
        "1 1 linux"
    );
    let o = b.cmd(&["version"]).ok();
    assert!(
        o.stdout.contains("Client:")
            && o.stdout.contains("Server:")
            && o.stdout.contains("API version:"),
        "{o}"
    );
    let v = b
        .cmd(&[
            "version",
            "--format",
            "{{.Client.Version}} {{.Server.Version}}",
        ])
        .ok();
    let parts: Vec<&str> = v.out().split(' ').collect();
    assert!(
        parts.len() == 2 && parts[0] == parts[1] && !parts[0].is_empty(),
        "{v}"
    );
    let o = b.cmd(&["system", "df"]).ok();
    let lines = o.lines();
    assert_eq!(lines.len(), 5, "{o}");
    assert!(
        lines[0].starts_with("TYPE") && lines[0].contains("RECLAIMABLE"),
        "{o}"
    );
    let cols = |l: &str| l.split_whitespace().map(String::from).collect::<Vec<_>>();
    assert_eq!(&cols(&lines[1])[..3], ["Images", "1", "1"], "{o}");
    assert_eq!(&cols(&lines[2])[..3], ["Containers", "1", "0"], "{o}");
    assert!(
        lines[3].starts_with("Local Volumes") && lines[4].starts_with("Build Cache"),
        "{o}"
    );
    let o = b
        .cmd(&["system", "df", "--format", "{{.Type}}={{.TotalCount}}"])
        .ok();
    assert_eq!(
        o.lines(),
        [
            "Images=1",
            "Containers=1",
            "Local Volumes=0",
            "Build Cache=0"
        ]
    );
    let o = b.cmd(&["system", "df", "-v"]).ok();
    assert!(
        o.stdout.contains("Images space usage:")
            && o.stdout.contains("Containers space usage:")
            && o.stdout.contains("idle"),
        "{o}"
    );
}

#[test]
fn system_prune() {
    let Some(b) = Berth::new("sys-prune") else {
        return;
    };
    b.busybox_image("bb");
    let tar = b.busybox_tar("dangling", |r| fs::write(r.join("marker"), "x").unwrap());
    let dangling = b
        .cmd(&["import", tar.to_str().unwrap()])
        .ok()
        .out()
        .to_string();
    let stopped = b
        .cmd(&["create", "-v", "/data", "bb"])
        .ok()
        .out()
        .to_string();
    b.cmd(&["volume", "create", "named"]).ok();
    b.cmd(&["run", "-d", "--name", "busy", "bb", "sleep", "1000"])
        .ok();
    // No terminal, no -f: refused.
    b.cmd(&["system", "prune"])
        .fails()
        .stderr_mentions(&["terminal", "--force"]);
    let o = b.cmd(&["system", "prune", "-f"]).ok();
    assert!(
        o.stdout.contains("Deleted Containers:") && o.stdout.contains(&stopped),
        "{o}"
    );
    assert!(
        o.stdout.contains(&format!("deleted: {dangling}"))
            && o.stdout.contains("Total reclaimed space:"),
        "{o}"
    );
    assert!(!o.stdout.contains("Deleted Volumes:"), "{o}");
    assert_eq!(
        b.cmd(&["ps", "-a", "--format", "{{.Names}}"]).ok().out(),
        "busy"
    );
    // The anonymous volume of the pruned container goes with --volumes; the named one stays.
    let o = b.cmd(&["system", "prune", "-f", "--volumes"]).ok();
    assert!(o.stdout.contains("Deleted Volumes:"), "{o}");
    assert_eq!(b.cmd(&["volume", "ls", "-q"]).ok().out(), "named");
    // -a: images no container uses (bb is used by busy).
    b.cmd(&["rm", "-f", "busy"]).ok();
    let o = b.cmd(&["system", "prune", "-a", "-f"]).ok();
    assert!(o.stdout.contains("untagged: bb:latest"), "{o}");
    assert_eq!(b.cmd(&["images", "-q"]).ok().out(), "");
    b.cmd(&["system", "check"]).ok();
}

#[test]
fn check_on_a_clean_store() {
    let Some(b) = Berth::new("sys-check-clean") else {
        return;
    };
    let o = b.cmd(&["system", "check"]).ok();
    assert_eq!(o.out(), "No problems found.");
    b.busybox_image("bb");
    b.cmd(&["run", "--rm", "bb", "true"]).ok();
    b.cmd(&["create", "--name", "kept", "bb"]).ok();
    b.cmd(&["run", "--name", "done", "bb", "true"]).ok();
    let o = b.cmd(&["system", "check"]).ok();
    assert_eq!(o.out(), "No problems found.");
}

#[test]
fn import_killed_midway_is_repaired() {
    let Some(b) = Berth::new("sys-kill-import") else {
        return;
    };
    let tar = big_tar(&b, 30);
    let child = spawn(&b, &["import", "-", "big"], "import");
    feed_partially_and_kill(child, &tar, 0.5);
    assert_eq!(
        b.cmd(&["images", "-q"]).ok().out(),
        "",
        "a killed import lists nothing"
    );
    // Also what a kill between committing blobs and indexing would leave.
    let blob = b"{\"half\":\"done\"}";
    let hex: String = Sha256::digest(blob)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect();
    fs::write(b.root.join("store/blobs/sha256").join(&hex), blob).unwrap();
    let layer = b.root.join("layers").join(&hex);
    fs::create_dir_all(layer.join("diff")).unwrap();
    fs::write(layer.join("size"), "0").unwrap();
    // The killed import's temp file is debris, removed without a finding; the blob and
    // layer planted by hand (no journal names them) are findings.
    let out = check_finds_and_repairs(&b, &["unreferenced blob", "unreferenced layer"]);
    assert!(out.contains(&hex), "{out}");
    assert_eq!(fs::read_dir(b.root.join("store/tmp")).unwrap().count(), 0);
    assert!(!layer.exists());
    // The store still works.
    b.cmd(&["import", tar.to_str().unwrap(), "big"]).ok();
    b.cmd(&["system", "check"]).ok();
}

#[test]
fn a_half_made_skeleton_is_repaired() {
    let Some(b) = Berth::new("sys-skeleton") else {
        return;
    };
    b.busybox_image("bb");
    b.cmd(&["run", "--rm", "bb", "true"]).ok();
    // A command killed while making a mount-point skeleton leaves its temp dir.
    let left = b.root.join("skeletons/.tmp-999999999-0123abcd");
    fs::create_dir_all(left.join("proc")).unwrap();
    check_finds_and_repairs(&b, &["half-made skeleton"]);
    assert!(!left.exists());
    assert_eq!(fs::read_dir(b.root.join("skeletons")).unwrap().count(), 1);
    b.cmd(&["run", "--rm", "bb", "true"]).ok();
}

#[test]
fn load_killed_midway_is_repaired() {
    let Some(b) = Berth::new("sys-kill-load") else {
        return;
    };
    let tar = big_tar(&b, 30);
    b.cmd(&["import", tar.to_str().unwrap(), "big"]).ok();
    let archive = b.dir.join("big-image.tar");
    b.cmd(&["save", "-o", archive.to_str().unwrap(), "big"])
        .ok();
    b.cmd(&["rmi", "big"]).ok();
    let child = spawn(&b, &["load"], "load");
    feed_partially_and_kill(child, &archive, 0.6);
    assert_eq!(
        b.cmd(&["images", "-q"]).ok().out(),
        "",
        "a killed load lists nothing"
    );
    // What the killed load left (temp files, blobs its journal names) goes without a finding.
    assert_eq!(b.cmd(&["system", "check"]).ok().out(), "No problems found.");
    assert_eq!(fs::read_dir(b.root.join("store/tmp")).unwrap().count(), 0);
    let o = b.cmd_stdin(&["load"], &archive).ok();
    assert!(o.stdout.contains("Loaded image: big:latest"), "{o}");
    b.cmd(&["system", "check"]).ok();
}

#[test]
fn container_dirs_and_records_that_lost_each_other() {
    let Some(b) = Berth::new("sys-orphans") else {
        return;
    };
    b.busybox_image("bb");
    // A directory without a record, old enough not to be a create in progress.
    let id = "ab".repeat(32);
    let orphan = b.root.join("containers").join(&id);
    fs::create_dir_all(orphan.join("upper/etc")).unwrap();
    fs::write(orphan.join("config.json"), "{}").unwrap();
    let old = nix::sys::time::TimeVal::new(1_000_000_000, 0);
    nix::sys::stat::utimes(&orphan, &old, &old).unwrap();
    // A record without a directory.
    let lost = b
        .cmd(&["create", "--name", "lost", "bb"])
        .ok()
        .out()
        .to_string();
    // `create` leaves the overlay unmounted: the directory just goes.
    let lost_dir = b.root.join("containers").join(&lost);
    fs::remove_dir_all(&lost_dir).unwrap();
    // Runtime state and a control socket nobody owns.
    fs::create_dir_all(b.root.join("run/runtime").join("cd".repeat(32))).unwrap();
    fs::create_dir_all(b.root.join("run/s")).unwrap();
    fs::write(b.root.join("run/s/cdcdcdcdcdcd"), "").unwrap();
    // A healthy container stays.
    b.cmd(&["create", "--name", "fine", "bb"]).ok();
    let out = check_finds_and_repairs(
        &b,
        &[
            "container dir without record",
            "container record without dir",
            "stale runtime state",
            "stale control socket",
        ],
    );
    assert!(out.contains(&id) && out.contains(&lost), "{out}");
    assert!(!orphan.exists());
    assert_eq!(
        b.cmd(&["ps", "-a", "--format", "{{.Names}}"]).ok().out(),
        "fine"
    );
}

#[test]
fn killed_monitor_is_told_truthfully_and_repaired() {
    let Some(b) = Berth::new("sys-kill-monitor") else {
        return;
    };
    b.busybox_image("bb");
    // The monitor dies, the container keeps running unsupervised.
    b.cmd(&["run", "-d", "--name", "orphaned", "bb", "sleep", "1000"])
        .ok();
    for pid in berth_e2e::engine::monitor_pids(&b.root) {
        kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    }
    eventually("the monitor to go", || {
        berth_e2e::engine::monitor_pids(&b.root).is_empty()
    });
    let o = b
        .cmd(&[
            "inspect",
            "--format",
            "{{.State.Status}} {{.State.Pid}}",
            "orphaned",
        ])
        .ok();
    let (status, pid) = o.out().split_once(' ').unwrap();
    assert_eq!(status, "running", "the init still runs: {o}");
    assert!(Path::new(&format!("/proc/{pid}")).exists(), "{o}");
    assert!(b
        .cmd(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"])
        .ok()
        .out()
        .starts_with("orphaned Up"));
    let o = b.cmd(&["system", "check"]).code_is(1);
    assert!(o.stdout.contains("unsupervised container"), "{o}");
    b.cmd(&["rm", "-f", "orphaned"]).ok();
    assert_eq!(b.cmd(&["system", "check"]).ok().out(), "No problems found.");

    // Monitor and init both die: exited, code unknown; check records it.
    b.cmd(&["run", "-d", "--name", "gone", "bb", "sleep", "1000"])
        .ok();
    let pid = b
        .cmd(&["inspect", "--format", "{{.State.Pid}}", "gone"])
        .ok()
        .out()
        .parse::<i32>()
        .unwrap();
    for m in berth_e2e::engine::monitor_pids(&b.root) {
        kill(Pid::from_raw(m), Signal::SIGKILL).unwrap();
    }
    eventually("the monitor to go", || {
        berth_e2e::engine::monitor_pids(&b.root).is_empty()
    });
    kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    eventually("the init to go", || {
        b.cmd(&["inspect", "--format", "{{.State.Status}}", "gone"])
            .ok()
            .out()
            == "exited"
    });
    let o = b
        .cmd(&[
            "inspect",
            "--format",
            "{{.State.ExitCode}} {{.State.Error}}",
            "gone",
        ])
        .ok();
    assert!(
        o.out().starts_with("255 ") && o.out().contains("monitor"),
        "{o}"
    );
    check_finds_and_repairs(&b, &["dead monitor"]);
    assert!(b
        .cmd(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"])
        .ok()
        .out()
        .starts_with("gone Exited (255)"));
    b.cmd(&["rm", "gone"]).ok();
    assert_eq!(b.cmd(&["system", "check"]).ok().out(), "No problems found.");
}

#[test]
fn system_check_cross_checks_volumes() {
    let Some(b) = berth_e2e::Berth::new("check-volumes") else {
        return;
    };
    b.cmd(&["volume", "create", "kept"]).ok();
    std::fs::remove_dir_all(b.root.join("volumes/kept/_data")).unwrap();
    std::fs::create_dir_all(b.root.join("volumes/ghost/_data")).unwrap();
    std::fs::write(b.root.join("volumes/ghost/_data/file"), "user data").unwrap();
    let o = b.cmd(&["system", "check"]).code_is(1);
    assert!(
        o.stdout.contains("kept") && o.stdout.contains("ghost"),
        "{o}"
    );
    b.cmd(&["system", "check", "--repair"]).ok();
    b.cmd(&["system", "check"]).ok();
    let o = b.cmd(&["volume", "ls", "-q"]).ok();
    let mut names = o.lines();
    names.sort();
    assert_eq!(names, ["ghost", "kept"]);
    assert!(b.root.join("volumes/kept/_data").is_dir());
    assert_eq!(
        std::fs::read_to_string(b.root.join("volumes/ghost/_data/file")).unwrap(),
        "user data"
    );
}

#[test]
fn prune_filters_by_label_and_time() {
    let Some(b) = Berth::new("prune-filters") else {
        return;
    };
    b.busybox_image("bb");
    b.cmd(&["create", "--name", "dev", "-l", "env=dev", "bb", "true"])
        .ok();
    b.cmd(&["create", "--name", "prod", "-l", "env=prod", "bb", "true"])
        .ok();
    b.cmd(&["create", "--name", "plain", "bb", "true"]).ok();
    // Nothing was created before 2000.
    b.cmd(&[
        "container",
        "prune",
        "-f",
        "--filter",
        "until=2000-01-01T00:00:00Z",
    ])
    .ok();
    assert_eq!(b.container_ids().len(), 3);
    b.cmd(&["container", "prune", "-f", "--filter", "label=env=dev"])
        .ok();
    let names = b.cmd(&["ps", "-a", "--format", "{{.Names}}"]).ok().lines();
    assert!(
        !names.contains(&"dev".to_string()) && names.len() == 2,
        "{names:?}"
    );
    // label!= keeps the labelled one; system prune takes the rest (and unused networks).
    b.cmd(&["network", "create", "--label", "env=prod", "kept"])
        .ok();
    b.cmd(&["network", "create", "spare"]).ok();
    b.cmd(&["system", "prune", "-f", "--filter", "label!=env=prod"])
        .ok();
    let names = b.cmd(&["ps", "-a", "--format", "{{.Names}}"]).ok().lines();
    assert_eq!(names, ["prod"]);
    let nets = b
        .cmd(&["network", "ls", "--format", "{{.Name}}"])
        .ok()
        .stdout;
    assert!(nets.contains("kept") && !nets.contains("spare"), "{nets}");
    b.cmd(&["system", "prune", "-f", "--filter", "colour=red"])
        .code_is(1)
        .stderr_mentions(&["invalid filter 'colour'"]);
}

#[test]
fn start_all_after_a_simulated_reboot() {
    let Some(b) = Berth::new("reboot-restore") else {
        return;
    };
    b.busybox_image("bb");
    for (name, policy) in [
        ("always", "always"),
        ("unless", "unless-stopped"),
        ("stopped", "unless-stopped"),
        ("plain", "no"),
    ] {
        b.cmd(&[
            "run",
            "-d",
            "--name",
            name,
            "--restart",
            policy,
            "bb",
            "sleep",
            "1000",
        ])
        .ok();
    }
    b.cmd(&["stop", "-t", "0", "stopped"]).ok();
    // "Reboot": every monitor, then every container process, killed by pid.
    let inits: Vec<i32> = ["always", "unless", "plain"]
        .iter()
        .map(|n| {
            b.cmd(&["inspect", "-f", "{{.State.Pid}}", n])
                .ok()
                .out()
                .parse()
                .unwrap()
        })
        .collect();
    for pid in berth_e2e::engine::monitor_pids(&b.root) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
    for pid in inits {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && !b.cmd(&["ps", "-q"]).ok().stdout.trim().is_empty() {
        sleep(Duration::from_millis(50));
    }
    assert_eq!(b.cmd(&["ps", "-q"]).ok().stdout.trim(), "");
    b.cmd(&[
        "start",
        "--all",
        "--filter",
        "restart-policy=always",
        "--filter",
        "restart-policy=unless-stopped",
    ])
    .ok();
    let mut running = b.cmd(&["ps", "--format", "{{.Names}}"]).ok().lines();
    running.sort();
    assert_eq!(running, ["always", "unless"]);
    b.cmd(&["start", "--all"]).ok();
    assert_eq!(b.cmd(&["ps", "-q"]).ok().lines().len(), 4);
}
