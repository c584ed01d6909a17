//! Layers written by GNU tar (PAX format, xattrs) unpack to the same tree.

mod layers_common;

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use berth_store::unpack::unpack_layer;
use berth_store::Digest;
use layers_common::{xattr, Scene};

fn build_tree(src: &Path) {
    fs::create_dir_all(src.join("bin")).unwrap();
    fs::create_dir_all(
        src.join("usr/share/very-long-directory-name-to-need-extensions")
            .join("x".repeat(90)),
    )
    .unwrap();
    fs::write(src.join("bin/busybox"), b"#!busybox").unwrap();
    fs::set_permissions(src.join("bin/busybox"), fs::Permissions::from_mode(0o4755)).unwrap();
    fs::hard_link(src.join("bin/busybox"), src.join("bin/ls")).unwrap();
    symlink("/bin/busybox", src.join("bin/sh")).unwrap();
    symlink("../bin/busybox", src.join("usr/env")).unwrap();
    let deep = src
        .join("usr/share/very-long-directory-name-to-need-extensions")
        .join("x".repeat(90))
        .join("y".repeat(60));
    fs::write(&deep, b"deep").unwrap();
    rustix::fs::chown(
        &deep,
        Some(rustix::fs::Uid::from_raw(1234)),
        Some(rustix::fs::Gid::from_raw(5678)),
    )
    .unwrap();
    rustix::fs::setxattr(&deep, "user.berth", b"v", rustix::fs::XattrFlags::empty()).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        src.join("fifo"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o640),
        0,
    )
    .unwrap();
}

#[test]
fn gnu_tar_pax_layers_unpack_faithfully() {
    let s = Scene::new();
    let src = s.tmp.path().join("src");
    build_tree(&src);
    let out = Command::new("tar")
        .args([
            "--format=pax",
            "--xattrs",
            "--xattrs-include=*",
            "--numeric-owner",
            "-C",
        ])
        .arg(&src)
        .args(["-cf", "-", "."])
        .output()
        .expect("run GNU tar");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tar = out.stdout;
    let stats = unpack_layer(&tar[..], &s.dest).unwrap();
    assert_eq!(stats.diff_id, Digest::of_bytes(&tar));

    let d = &s.dest;
    let bb = fs::metadata(d.join("bin/busybox")).unwrap();
    assert_eq!(bb.permissions().mode() & 0o7777, 0o4755);
    assert_eq!(bb.ino(), fs::metadata(d.join("bin/ls")).unwrap().ino());
    assert_eq!(
        fs::read_link(d.join("bin/sh")).unwrap().to_str(),
        Some("/bin/busybox")
    );
    assert_eq!(
        fs::read_link(d.join("usr/env")).unwrap().to_str(),
        Some("../bin/busybox")
    );
    let deep = d
        .join("usr/share/very-long-directory-name-to-need-extensions")
        .join("x".repeat(90))
        .join("y".repeat(60));
    assert_eq!(fs::read(&deep).unwrap(), b"deep");
    let m = fs::metadata(&deep).unwrap();
    assert_eq!((m.uid(), m.gid()), (1234, 5678));
    assert_eq!(
        m.mtime(),
        fs::metadata(src.join(deep.strip_prefix(d).unwrap()))
            .unwrap()
            .mtime()
    );
    assert_eq!(xattr(&deep, "user.berth").unwrap(), b"v");
    let fifo = fs::symlink_metadata(d.join("fifo")).unwrap();
    assert_eq!(fifo.permissions().mode() & 0o7777, 0o640);
    assert_eq!(fs::read_dir(&s.sentinel).unwrap().count(), 0);
}
