//! Volumes, read-only rootfs, memory and pids limits.

use std::fs;

use berth_e2e::Berth;

fn setup(name: &str) -> Option<Berth> {
    let b = Berth::new(name)?;
    b.busybox_image_with_data("bb");
    Some(b)
}

#[test]
fn bind_mounts_reflect_host_writes() {
    let Some(b) = setup("bind") else { return };
    let host = b.host_dir("shared");
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "bind",
        "-v",
        &format!("{}:/mnt", host.display()),
        "bb",
        "sleep",
        "1000",
    ])
    .ok();
    fs::write(host.join("hello"), "from host\n").unwrap();
    assert_eq!(
        b.cmd(&["exec", "bind", "cat", "/mnt/hello"]).ok().stdout,
        "from host\n"
    );
    b.cmd(&["exec", "bind", "sh", "-c", "echo back > /mnt/back"])
        .ok();
    assert_eq!(fs::read_to_string(host.join("back")).unwrap(), "back\n");
    b.cmd(&[
        "run",
        "--rm",
        "-v",
        &format!("{}:/mnt:ro", host.display()),
        "bb",
        "touch",
        "/mnt/x",
    ])
    .fails();
}

#[test]
fn named_volumes_are_seeded_and_survive_rm() {
    let Some(b) = setup("named-volume") else {
        return;
    };
    let vol = format!("vol{}", std::process::id());
    let o = b
        .cmd(&[
            "run",
            "--name",
            "wv",
            "-v",
            &format!("{vol}:/data"),
            "bb",
            "sh",
            "-c",
            "cat /data/seed.txt; echo kept > /data/new",
        ])
        .ok();
    assert_eq!(
        o.stdout, "from image\n",
        "a new volume is seeded from the image"
    );
    b.cmd(&["rm", "wv"]).ok();
    let o = b
        .cmd(&[
            "run",
            "--rm",
            "-v",
            &format!("{vol}:/data"),
            "bb",
            "cat",
            "/data/new",
        ])
        .ok();
    assert_eq!(o.stdout, "kept\n");
    let o = b.cmd(&["volume", "ls", "-q"]).ok();
    assert!(o.lines().contains(&vol), "{o}");
    b.cmd(&["volume", "rm", &vol]).ok();
}

#[test]
fn read_only_rootfs_blocks_writes() {
    let Some(b) = setup("read-only") else { return };
    b.cmd(&["run", "--rm", "--read-only", "bb", "touch", "/newfile"])
        .fails()
        .stderr_mentions(&["Read-only"]);
    b.cmd(&[
        "run",
        "--rm",
        "--read-only",
        "--tmpfs",
        "/scratch",
        "bb",
        "touch",
        "/scratch/ok",
    ])
    .ok();
}

#[test]
fn memory_limit_oom_kills_and_inspect_says_so() {
    let Some(b) = setup("oom") else { return };
    let o = b.cmd(&[
        "run",
        "--name",
        "hog",
        "--memory",
        "32m",
        "--memory-swap",
        "32m",
        "bb",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=128M",
        "count=1",
    ]);
    assert_eq!(o.code, Some(137), "{o}");
    let o = b
        .cmd(&[
            "inspect",
            "--format",
            "{{.State.OOMKilled}} {{.State.ExitCode}}",
            "hog",
        ])
        .ok();
    assert_eq!(o.out().trim(), "true 137");
    let o = b
        .cmd(&[
            "events",
            "--since",
            "1h",
            "--until",
            "0s",
            "--filter",
            "container=hog",
            "--format",
            "{{.Action}}",
        ])
        .ok();
    assert!(o.lines().contains(&"oom".to_string()), "an oom event: {o}");
}

#[test]
fn pids_limit_stops_a_fork_bomb() {
    let Some(b) = setup("pids") else { return };
    let o = b.cmd(&[
        "run", "--rm", "--pids-limit", "8", "bb", "sh", "-c",
        "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do sleep 2 & done; echo all forked",
    ]);
    assert!(
        o.stderr.contains("can't fork"),
        "the pids limit must stop the forks: {o}"
    );
    assert!(!o.stdout.contains("all forked"), "{o}");
}
