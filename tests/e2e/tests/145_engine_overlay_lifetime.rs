//! A container's overlay is mounted in the host's mount namespace only while something
//! needs it (as Docker does): not after `create`, from `start` until the container is
//! finished for good (restarts keep it), and for the duration of a `cp`, `export`, `diff`
//! or `commit` of a stopped container, whose files stay readable and writable.

use std::fs;
use std::time::Duration;

use berth_e2e::api::Api;
use berth_e2e::Berth;

/// The container's id.
fn id_of(b: &Berth, name: &str) -> String {
    b.cmd(&["inspect", "--format", "{{.Id}}", name])
        .ok()
        .out()
        .to_string()
}

/// Whether the container's overlay is in the host's mount table.
fn mounted(b: &Berth, id: &str) -> bool {
    let want = b.root.join("containers").join(id).join("rootfs");
    let want = want.display().to_string();
    fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .any(|l| l.split(' ').nth(4) == Some(want.as_str()))
}

/// Waits (up to 10 s) until the overlay is unmounted: the monitor unmounts it right after
/// it records the final exit, so a command that saw the exit may return a moment before.
fn wait_unmounted(b: &Berth, id: &str) -> bool {
    berth_e2e::wait_until(Duration::from_secs(10), || !mounted(b, id))
}

fn status(b: &Berth, name: &str) -> String {
    b.cmd(&["inspect", "--format", "{{.State.Status}}", name])
        .ok()
        .out()
        .to_string()
}

#[test]
fn mounted_only_while_running_or_copying() {
    let Some(b) = Berth::new("ovl-life") else {
        return;
    };
    b.busybox_image("bb");
    // `create` prepares the overlay but does not mount it.
    b.cmd(&[
        "create",
        "--name",
        "c1",
        "bb",
        "sh",
        "-c",
        "echo ran >> /data.txt",
    ])
    .ok();
    let id = id_of(&b, "c1");
    assert!(!mounted(&b, &id), "create left the overlay mounted");
    assert!(b.root.join("containers").join(&id).join("upper").is_dir());

    // The container's writes outlive its exit, and the overlay goes once it exited.
    b.cmd(&["start", "-a", "c1"]).ok();
    assert_eq!(b.cmd(&["wait", "c1"]).ok().out(), "0");
    assert!(
        wait_unmounted(&b, &id),
        "the overlay stayed mounted after the exit"
    );

    // `cp` out of the stopped container mounts it for the copy only.
    let out = b.host_dir("out");
    let dest = out.join("data.txt");
    b.cmd(&["cp", "c1:/data.txt", dest.to_str().unwrap()]).ok();
    assert_eq!(fs::read_to_string(&dest).unwrap(), "ran\n");
    assert!(!mounted(&b, &id), "cp out left the overlay mounted");

    // `cp` in: the next start sees the file (and the file from the first run).
    let src = b.host_dir("in").join("new.txt");
    fs::write(&src, "from host\n").unwrap();
    b.cmd(&["cp", src.to_str().unwrap(), "c1:/new.txt"]).ok();
    assert!(!mounted(&b, &id), "cp in left the overlay mounted");
    b.cmd(&["rm", "c1"]).ok();

    b.cmd(&[
        "run",
        "-d",
        "--name",
        "c2",
        "bb",
        "sh",
        "-c",
        "echo first > /mine.txt; sleep 1000",
    ])
    .ok();
    let id2 = id_of(&b, "c2");
    assert!(
        mounted(&b, &id2),
        "a running container's overlay is mounted"
    );
    // A `cp` of a running container leaves its mount alone.
    let src = b.host_dir("in2").join("put.txt");
    fs::write(&src, "put\n").unwrap();
    b.cmd(&["cp", src.to_str().unwrap(), "c2:/put.txt"]).ok();
    assert!(
        mounted(&b, &id2),
        "cp unmounted a running container's overlay"
    );
    let seen = b.cmd(&["exec", "c2", "cat", "/put.txt"]).ok();
    assert_eq!(seen.out(), "put");
    b.cmd(&["stop", "-t", "0", "c2"]).ok();
    assert!(wait_unmounted(&b, &id2), "stop left the overlay mounted");

    // `start` remounts it: the container sees its earlier files.
    b.cmd(&["start", "c2"]).ok();
    assert!(mounted(&b, &id2));
    let seen = b.cmd(&["exec", "c2", "cat", "/mine.txt", "/put.txt"]).ok();
    assert_eq!(seen.out(), "first\nput");
    b.cmd(&["kill", "c2"]).ok();
    b.cmd(&["wait", "c2"]).ok();
    assert!(wait_unmounted(&b, &id2), "kill left the overlay mounted");
    b.cmd(&["rm", "c2"]).ok();

    // `rm` of a created container and `run --rm` still work.
    b.cmd(&["create", "--name", "c3", "bb", "true"]).ok();
    b.cmd(&["rm", "c3"]).ok();
    let o = b.cmd(&["run", "--rm", "bb", "echo", "gone"]).ok();
    assert_eq!(o.out(), "gone");
    assert_eq!(b.container_ids(), Vec::<String>::new());
}

#[test]
fn restart_policy_restarts_keep_their_rootfs() {
    let Some(b) = Berth::new("ovl-restart") else {
        return;
    };
    b.busybox_image("bb");
    // Each run appends a line and fails: the restarts must see the earlier lines.
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "rp",
        "--restart",
        "on-failure:2",
        "bb",
        "sh",
        "-c",
        "echo x >> /runs; exit 1",
    ])
    .ok();
    let id = id_of(&b, "rp");
    let seen = b.wait_inspect("rp", "{{.State.Status}} {{.RestartCount}}", "exited 2", 300);
    assert_eq!(seen, "exited 2");
    assert!(
        wait_unmounted(&b, &id),
        "the overlay stayed mounted after the last exit"
    );
    let dest = b.host_dir("out").join("runs");
    b.cmd(&["cp", "rp:/runs", dest.to_str().unwrap()]).ok();
    assert_eq!(fs::read_to_string(&dest).unwrap(), "x\nx\nx\n");
    assert!(!mounted(&b, &id));
    assert_eq!(status(&b, "rp"), "exited");
}

#[test]
fn api_export_diff_commit_and_archive_of_a_stopped_container() {
    let Some(api) = Api::new("ovl-api") else {
        return;
    };
    let b = &api.berth;
    b.busybox_image("bb");
    b.cmd(&[
        "run",
        "--name",
        "s1",
        "bb",
        "sh",
        "-c",
        "echo kept > /kept.txt",
    ])
    .ok();
    let id = id_of(b, "s1");
    assert!(wait_unmounted(b, &id));

    let tar = b.dir.join("s1.tar");
    api.docker(&["export", "-o", tar.to_str().unwrap(), "s1"])
        .ok();
    let listing = std::process::Command::new("tar")
        .arg("-tf")
        .arg(&tar)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing
            .lines()
            .any(|l| l.trim_start_matches("./") == "kept.txt"),
        "export lacks the container's file"
    );
    assert!(listing.lines().any(|l| l.contains("bin/busybox")));
    assert!(!mounted(b, &id), "export left the overlay mounted");

    let diff = api.docker(&["diff", "s1"]).ok();
    assert!(diff.out().lines().any(|l| l == "A /kept.txt"), "{diff}");
    assert!(!mounted(b, &id), "diff left the overlay mounted");

    // The archive routes (docker cp goes through HEAD/GET and PUT).
    let out = b.host_dir("api-out").join("kept.txt");
    api.docker(&["cp", "s1:/kept.txt", out.to_str().unwrap()])
        .ok();
    assert_eq!(fs::read_to_string(&out).unwrap(), "kept\n");
    let src = b.host_dir("api-in").join("put.txt");
    fs::write(&src, "put\n").unwrap();
    api.docker(&["cp", src.to_str().unwrap(), "s1:/put.txt"])
        .ok();
    assert!(
        !mounted(b, &id),
        "the archive routes left the overlay mounted"
    );

    api.docker(&["commit", "s1", "committed:1"]).ok();
    assert!(!mounted(b, &id), "commit left the overlay mounted");
    let o = b
        .cmd(&["run", "--rm", "committed:1", "cat", "/kept.txt", "/put.txt"])
        .ok();
    assert_eq!(o.out(), "kept\nput");
}
