//! A layer written by write_layer, imported by podman (private vfs store in a temp dir):
//! podman must read it and give back the same files. Skips (or fails when
//! `BERTH_E2E_REQUIRE` is set) where podman does not work.

mod diff_support;

use std::fs;
use std::process::Command;

use berth_store::diff::{write_layer, DiffOptions};
use diff_support::*;

#[path = "shared/podman.rs"]
mod podman_support;
use podman_support::podman;

/// Runs a command, failing the test with its output when it fails; returns stdout.
fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn podman_imports_and_exports_the_same_files() {
    let works = Command::new("podman")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !works {
        skip("podman does not work here");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let upper = d.join("upper");
    let long = "x".repeat(120);
    for dir in ["bin", "etc", "run"] {
        fs::create_dir_all(upper.join(dir)).unwrap();
    }
    fs::write(upper.join("bin/busybox"), b"bb").unwrap();
    set_mode(&upper.join("bin/busybox"), 0o755);
    fs::hard_link(upper.join("bin/busybox"), upper.join("bin/ls")).unwrap();
    std::os::unix::fs::symlink("busybox", upper.join("bin/sh")).unwrap();
    fs::write(upper.join("bin/su"), b"su").unwrap();
    set_mode(&upper.join("bin/su"), 0o4755);
    fs::write(upper.join("etc/secret"), b"s").unwrap();
    chown(&upper.join("etc/secret"), 1000, 1001);
    set_mode(&upper.join("etc/secret"), 0o600);
    fs::write(upper.join("etc").join(&long), b"long").unwrap();
    mkfifo(&upper.join("run/fifo"), 0o620);
    set_xattr(&upper.join("etc/secret"), "user.test", b"v");

    let layer = d.join("layer.tar");
    let mut out = fs::File::create(&layer).unwrap();
    write_layer(
        &upper,
        &mut out,
        &DiffOptions {
            mtime: Some(0),
            ..Default::default()
        },
    )
    .unwrap();
    drop(out);

    let tag = format!("localhost/berth-diff-it:{}", std::process::id());
    run(podman(d).arg("import").arg(&layer).arg(&tag));
    let ctr = String::from_utf8(run(podman(d).args(["create", &tag, "/bin/sh"]))).unwrap();
    let exported = d.join("export.tar");
    run(podman(d)
        .args(["export", "-o"])
        .arg(&exported)
        .arg(ctr.trim()));
    let _ = podman(d).args(["rm", "-f", ctr.trim()]).output();
    let _ = podman(d).args(["rmi", "-f", &tag]).output();

    let entries = list(&fs::read(&exported).unwrap());
    let by = |n: &str| {
        entries
            .iter()
            .find(|e| e.name.trim_start_matches("./").trim_end_matches('/') == n)
            .unwrap_or_else(|| panic!("{n} missing from podman's export: {entries:?}"))
    };
    assert_eq!(by("bin/su").mode & 0o7777, 0o4755);
    assert_eq!((by("etc/secret").uid, by("etc/secret").gid), (1000, 1001));
    assert_eq!(by("bin/sh").link.as_deref(), Some("busybox"));
    assert_eq!(by("run/fifo").kind, tar::EntryType::Fifo);
    let ls = by("bin/ls");
    let bb = by("bin/busybox");
    assert!(
        ls.kind == tar::EntryType::Link || bb.kind == tar::EntryType::Link,
        "hard link pair kept: {ls:?} {bb:?}"
    );
    by(&format!("etc/{long}"));
}
