//! Images: import (file, stdin, --change), images, tag, rmi, inspect, history, prune, and
//! hostile or broken tarballs.

use std::fs::{self, File};

use berth_e2e::Berth;

fn hostile_tar(b: &Berth, name: &str, build: impl FnOnce(&mut tar::Builder<File>)) -> String {
    let p = b.dir.join(format!("{name}.tar"));
    let mut t = tar::Builder::new(File::create(&p).unwrap());
    build(&mut t);
    t.finish().unwrap();
    p.display().to_string()
}

fn raw_entry(
    t: &mut tar::Builder<File>,
    name: &str,
    kind: tar::EntryType,
    link: Option<&str>,
    data: &[u8],
) {
    let mut h = tar::Header::new_old();
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_entry_type(kind);
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    if let Some(l) = link {
        h.as_old_mut().linkname[..l.len()].copy_from_slice(l.as_bytes());
    }
    h.set_cksum();
    t.append(&h, data).unwrap();
}

#[test]
fn import_lists_inspects_and_runs() {
    let Some(b) = Berth::new("import") else {
        return;
    };
    let id = b.busybox_image("bb:1");
    assert!(
        id.starts_with("sha256:"),
        "import prints the image ID: {id}"
    );
    let o = b.cmd(&["images"]).ok();
    let lines = o.lines();
    assert!(lines[0].starts_with("REPOSITORY"), "{o}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("bb ") && l.contains(" 1 ") && l.contains(&id[7..19])),
        "{o}"
    );
    assert_eq!(b.cmd(&["images", "-q"]).ok().out().trim(), &id[7..19]);
    let o = b
        .cmd(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Cmd}} {{.Os}}",
            "bb:1",
        ])
        .ok();
    assert_eq!(o.out().trim(), r#"["sh"] linux"#);
    let o = b.cmd(&["history", "bb:1"]).ok();
    assert!(o.out().contains("berth import"), "{o}");
    let o = b.cmd(&["run", "--rm", "bb:1", "echo", "hello"]).ok();
    assert_eq!(o.stdout, "hello\n");
}

#[test]
fn import_from_stdin_with_changes() {
    let Some(b) = Berth::new("import-stdin") else {
        return;
    };
    let tar = b.busybox_tar("bb", |_| {});
    let o = b
        .cmd_stdin(
            &[
                "import",
                "-c",
                "ENV GREETING=hi",
                "-c",
                "WORKDIR /tmp",
                "-c",
                r#"CMD ["sh", "-c", "echo $GREETING from $(pwd)"]"#,
                "-",
                "greet",
            ],
            &tar,
        )
        .ok();
    assert!(o.out().starts_with("sha256:"));
    assert_eq!(
        b.cmd(&["run", "--rm", "greet"]).ok().stdout,
        "hi from /tmp\n"
    );
}

#[test]
fn tag_and_rmi_follow_docker() {
    let Some(b) = Berth::new("tag-rmi") else {
        return;
    };
    let id = b.busybox_image("bb");
    b.cmd(&["tag", "bb", "other:2"]).ok();
    let o = b
        .cmd(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
        .ok();
    let mut names = o.lines();
    names.sort();
    assert_eq!(names, ["bb:latest", "other:2"]);
    // An ID with two names needs -f; a name just untags.
    b.cmd(&["rmi", &id[7..19]])
        .fails()
        .stderr_mentions(&["must be forced"]);
    let o = b.cmd(&["rmi", "other:2"]).ok();
    assert_eq!(o.stdout, "Untagged: other:2\n");
    // In use by a container: refused.
    b.cmd(&["create", "--name", "user-of-bb", "bb"]).ok();
    b.cmd(&["rmi", "bb"])
        .fails()
        .stderr_mentions(&["being used by container"]);
    b.cmd(&["rm", "user-of-bb"]).ok();
    let o = b.cmd(&["rmi", "bb"]).ok();
    assert!(
        o.out().contains("Untagged: bb:latest") && o.out().contains(&format!("Deleted: {id}")),
        "{o}"
    );
    assert_eq!(b.cmd(&["images", "-q"]).ok().stdout, "");
    // Blobs and unpacked layers went with it.
    let blobs = fs::read_dir(b.root.join("store/blobs/sha256"))
        .unwrap()
        .count();
    assert_eq!(blobs, 0, "blobs left after rmi");
}

#[test]
fn unknown_image_and_bad_references() {
    let Some(b) = Berth::new("unknown-image") else {
        return;
    };
    b.cmd(&["run", "--rm", "--pull", "never", "nosuch"])
        .code_is(125)
        .stderr_mentions(&["No such image"]);
    // Missing, it is pulled first (Docker Hub, out of the test namespace's reach): a clean
    // 125 that says what it tried, with nothing created.
    b.cmd(&["run", "--rm", "nosuch"])
        .code_is(125)
        .stderr_mentions(&["Unable to find image 'nosuch:latest' locally"]);
    assert!(b.container_ids().is_empty());
    b.cmd(&["image", "inspect", "nosuch"]).fails();
    b.cmd(&["tag", "nosuch", "x"]).code_is(1);
    let tar = b.busybox_tar("bb", |_| {});
    b.cmd(&["import", tar.to_str().unwrap(), "Bad:Name"])
        .code_is(1)
        .stderr_mentions(&["lowercase"]);
}

#[test]
fn corrupt_and_hostile_tarballs_are_refused_cleanly() {
    let Some(b) = Berth::new("hostile-import") else {
        return;
    };
    let sentinel = b.host_dir("sentinel");
    let cases: Vec<(&str, String)> = vec![
        (
            "dotdot",
            hostile_tar(&b, "dotdot", |t| {
                raw_entry(t, "../../escape", tar::EntryType::Regular, None, b"x")
            }),
        ),
        (
            "hardlink-out",
            hostile_tar(&b, "hardlink", |t| {
                raw_entry(
                    t,
                    "passwd",
                    tar::EntryType::Link,
                    Some("../../../etc/passwd"),
                    b"",
                )
            }),
        ),
        (
            "through-symlink",
            hostile_tar(&b, "symlink", |t| {
                raw_entry(
                    t,
                    "link",
                    tar::EntryType::Symlink,
                    Some(sentinel.to_str().unwrap()),
                    b"",
                );
                raw_entry(t, "link/owned", tar::EntryType::Regular, None, b"x");
            }),
        ),
    ];
    for (what, path) in &cases {
        let o = b.cmd(&["import", path, &format!("hostile-{what}")]);
        assert_eq!(o.code, Some(1), "{what}: {o}");
        assert!(!o.stderr.trim().is_empty(), "{what}: no error message");
    }
    // A device node outside /dev is refused; under /dev (a debootstrap rootfs has them)
    // it is accepted but never created.
    let evil = hostile_tar(&b, "device-etc", |t| {
        raw_entry(t, "etc/sda", tar::EntryType::Block, None, b"")
    });
    b.cmd(&["import", &evil, "evil-device"])
        .code_is(1)
        .stderr_mentions(&["device node"]);
    let dev = hostile_tar(&b, "device", |t| {
        raw_entry(t, "dev/sda", tar::EntryType::Block, None, b"");
        raw_entry(t, "marker", tar::EntryType::Regular, None, b"m");
    });
    b.cmd(&["import", &dev, "with-device"]).ok();
    let layers: Vec<_> = fs::read_dir(b.root.join("layers"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("diff"))
        .filter(|d| d.join("marker").exists())
        .collect();
    assert_eq!(layers.len(), 1, "the device image's layer");
    assert!(fs::symlink_metadata(layers[0].join("dev/sda")).is_err());
    b.cmd(&["rmi", "with-device"]).ok();
    // Truncated: a valid tarball cut in the middle.
    let good = b.busybox_tar("bb", |_| {});
    let bytes = fs::read(&good).unwrap();
    let cut = b.dir.join("cut.tar");
    fs::write(&cut, &bytes[..bytes.len() / 2 + 100]).unwrap();
    b.cmd(&["import", cut.to_str().unwrap(), "cut"]).code_is(1);
    let garbage = b.dir.join("garbage.tar");
    fs::write(&garbage, vec![0x5a; 5000]).unwrap();
    b.cmd(&["import", garbage.to_str().unwrap(), "garbage"])
        .code_is(1);
    assert_eq!(
        b.cmd(&["images", "-q"]).ok().stdout,
        "",
        "a refused import must not be listed"
    );
    assert_eq!(
        fs::read_dir(&sentinel).unwrap().count(),
        0,
        "wrote outside the store"
    );
    assert!(!b.dir.join("escape").exists() && !b.root.join("escape").exists());
    let tmp = b.root.join("store/tmp");
    assert_eq!(
        fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0),
        0,
        "temp files left in {}",
        tmp.display()
    );
}

#[test]
fn image_prune_removes_dangling() {
    let Some(b) = Berth::new("image-prune") else {
        return;
    };
    b.busybox_image("bb");
    let tar = b.busybox_tar("two", |r| fs::write(r.join("marker"), "2").unwrap());
    b.cmd(&["import", tar.to_str().unwrap()]).ok();
    let o = b.cmd(&["images"]).ok();
    assert!(o.out().contains("<none>"), "{o}");
    b.cmd(&["image", "prune", "-f"]).ok();
    let o = b.cmd(&["images", "--format", "{{.Repository}}"]).ok();
    assert_eq!(o.stdout, "bb\n");
}
