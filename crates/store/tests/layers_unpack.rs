//! Unpacking layers: a normal tree, compression, whiteouts (checked through a real overlay
//! mount), and corrupt input.

mod layers_common;

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};

use berth_store::unpack::unpack_layer;
use berth_store::Digest;
use layers_common::{gzip, mount_overlay, xattr, zstd, Attrs, Scene, Tar};
use tar::EntryType;

/// A small busybox-like root.
fn busybox_tar() -> Vec<u8> {
    let mut t = Tar::new();
    t.dir("./", 0o755)
        .raw(
            EntryType::Directory,
            "bin/",
            None,
            &[],
            Attrs {
                mode: 0o755,
                uid: 0,
                gid: 0,
                mtime: 1_000_000_000,
            },
        )
        .raw(
            EntryType::Regular,
            "bin/busybox",
            None,
            b"#!busybox",
            Attrs::mode(0o755),
        )
        .symlink("bin/sh", "/bin/busybox")
        .hardlink("bin/ls", "bin/busybox")
        .dir("usr/", 0o755)
        .dir("usr/bin/", 0o755)
        .symlink("usr/bin/env", "../../bin/busybox")
        .raw(
            EntryType::Regular,
            "bin/su",
            None,
            b"su",
            Attrs {
                mode: 0o4755,
                uid: 0,
                gid: 0,
                mtime: 1_500_000_000,
            },
        )
        .dir("tmp", 0o1777)
        .raw(
            EntryType::Directory,
            "home/user/",
            None,
            &[],
            Attrs {
                mode: 0o700,
                uid: 1000,
                gid: 1001,
                mtime: 1_234_567_890,
            },
        )
        .raw(
            EntryType::Symlink,
            "home/user/link",
            Some("/nowhere"),
            &[],
            Attrs {
                mode: 0o777,
                uid: 1000,
                gid: 1001,
                mtime: 1_234_567_890,
            },
        )
        .pax(&[
            ("SCHILY.xattr.user.note", b"hello"),
            (
                "SCHILY.xattr.security.capability",
                &[
                    1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                ],
            ),
            ("SCHILY.xattr.trusted.overlay.opaque", b"y"),
            ("mtime", b"1600000000.5"),
        ])
        .raw(
            EntryType::Regular,
            "bin/ping",
            None,
            b"ping",
            Attrs::mode(0o755),
        )
        .raw(EntryType::Fifo, "run/fifo", None, &[], Attrs::mode(0o600));
    t.finish()
}

#[test]
fn unpacks_a_busybox_like_tree() {
    let s = Scene::new();
    let tar = busybox_tar();
    let stats = unpack_layer(&tar[..], &s.dest).unwrap();
    assert_eq!(stats.diff_id, Digest::of_bytes(&tar));
    assert_eq!(stats.tar_size, tar.len() as u64);
    assert_eq!(stats.size, 9 + 2 + 4);
    let d = &s.dest;

    assert_eq!(fs::read(d.join("bin/busybox")).unwrap(), b"#!busybox");
    assert_eq!(
        fs::read_link(d.join("bin/sh")).unwrap().to_str(),
        Some("/bin/busybox")
    );
    assert_eq!(
        fs::read_link(d.join("usr/bin/env")).unwrap().to_str(),
        Some("../../bin/busybox")
    );
    let bb = fs::metadata(d.join("bin/busybox")).unwrap();
    let ls = fs::metadata(d.join("bin/ls")).unwrap();
    assert_eq!(bb.ino(), ls.ino());
    assert_eq!(bb.nlink(), 2);

    let su = fs::metadata(d.join("bin/su")).unwrap();
    assert_eq!(su.permissions().mode() & 0o7777, 0o4755);
    assert_eq!(su.mtime(), 1_500_000_000);
    let tmp = fs::metadata(d.join("tmp")).unwrap();
    assert_eq!(tmp.permissions().mode() & 0o7777, 0o1777);

    let home = fs::metadata(d.join("home/user")).unwrap();
    assert_eq!((home.uid(), home.gid()), (1000, 1001));
    assert_eq!(home.permissions().mode() & 0o7777, 0o700);
    // Directory times are set after their content was written.
    assert_eq!(home.mtime(), 1_234_567_890);
    assert_eq!(fs::metadata(d.join("bin")).unwrap().mtime(), 1_000_000_000);
    let link = fs::symlink_metadata(d.join("home/user/link")).unwrap();
    assert_eq!((link.uid(), link.gid()), (1000, 1001));

    // xattrs: kept, capability too, overlay's own dropped; PAX fractional mtime.
    let ping = d.join("bin/ping");
    assert_eq!(xattr(&ping, "user.note").unwrap(), b"hello");
    assert_eq!(xattr(&ping, "security.capability").unwrap().len(), 20);
    assert!(xattr(&ping, "trusted.overlay.opaque").is_none());
    let pm = fs::metadata(&ping).unwrap();
    assert_eq!((pm.mtime(), pm.mtime_nsec()), (1_600_000_000, 500_000_000));

    // Implicit parent, fifo.
    let run = fs::metadata(d.join("run")).unwrap();
    assert!(run.is_dir());
    assert_eq!(run.permissions().mode() & 0o7777, 0o755);
    assert!(fs::symlink_metadata(d.join("run/fifo"))
        .unwrap()
        .file_type()
        .is_fifo());
    s.assert_sentinel_untouched();
}

#[test]
fn gzip_and_zstd_give_the_same_diff_id() {
    let tar = busybox_tar();
    for blob in [gzip(&tar), zstd(&tar)] {
        let s = Scene::new();
        let stats = unpack_layer(&blob[..], &s.dest).unwrap();
        assert_eq!(stats.diff_id, Digest::of_bytes(&tar));
        assert_eq!(fs::read(s.dest.join("bin/su")).unwrap(), b"su");
    }
}

#[test]
fn diff_id_covers_trailing_padding() {
    let mut tar = Tar::new().file("a", b"x").finish();
    tar.extend(std::iter::repeat_n(0u8, 8192));
    let s = Scene::new();
    let stats = unpack_layer(&tar[..], &s.dest).unwrap();
    assert_eq!(stats.diff_id, Digest::of_bytes(&tar));
}

#[test]
fn replacements_follow_docker() {
    let tar = Tar::new()
        .dir("a/", 0o755)
        .file("a/inner", b"1")
        .file("a", b"now a file") // a non-directory over a directory removes it
        .file("b", b"file")
        .dir("b/", 0o700) // a directory over a file replaces it
        .dir("c/", 0o755)
        .file("c/one", b"1")
        .dir("c/", 0o711) // a directory over a directory merges
        .file("c/two", b"2")
        .file("d", b"first")
        .file("d", b"second") // later wins
        .symlink("e", "/somewhere")
        .file("e", b"not through the link")
        .finish();
    let s = Scene::new();
    unpack_layer(&tar[..], &s.dest).unwrap();
    let d = &s.dest;
    assert_eq!(fs::read(d.join("a")).unwrap(), b"now a file");
    assert!(fs::metadata(d.join("b")).unwrap().is_dir());
    assert_eq!(
        fs::metadata(d.join("c")).unwrap().permissions().mode() & 0o777,
        0o711
    );
    assert!(d.join("c/one").exists() && d.join("c/two").exists());
    assert_eq!(fs::read(d.join("d")).unwrap(), b"second");
    assert!(fs::symlink_metadata(d.join("e")).unwrap().is_file());
}

fn is_whiteout(p: &std::path::Path) -> bool {
    let m = fs::symlink_metadata(p).unwrap();
    m.file_type().is_char_device() && m.rdev() == 0
}

#[test]
fn whiteouts_work_through_overlayfs() {
    let s = Scene::new();
    let lower = s.tmp.path().join("l1");
    let upper = s.tmp.path().join("l2");
    let mnt = s.tmp.path().join("mnt");
    for p in [&lower, &upper, &mnt] {
        fs::create_dir(p).unwrap();
    }
    let l1 = Tar::new()
        .dir("a/", 0o755)
        .file("a/x", b"x")
        .file("a/y", b"y")
        .file("del", b"gone soon")
        .dir("opq/", 0o755)
        .file("opq/old", b"old")
        .dir("opq/sub/", 0o755)
        .finish();
    let l2 = Tar::new()
        .file(".wh.del", b"")
        .file("a/.wh.x", b"")
        .dir("opq/", 0o755)
        .file("opq/.wh..wh..opq", b"")
        .file("opq/new", b"new")
        .file(".wh..wh.plnk", b"")
        .finish();
    unpack_layer(&l1[..], &lower).unwrap();
    unpack_layer(&l2[..], &upper).unwrap();

    assert!(is_whiteout(&upper.join("del")));
    assert!(is_whiteout(&upper.join("a/x")));
    assert!(!upper.join(".wh.del").exists());
    assert!(!upper.join(".wh..wh.plnk").exists());
    let opq = xattr(&upper.join("opq"), "trusted.overlay.opaque");
    assert_eq!(opq.unwrap(), b"y");

    let _guard = mount_overlay(&[&upper, &lower], &mnt);
    assert!(!mnt.join("del").exists());
    assert!(!mnt.join("a/x").exists());
    assert_eq!(fs::read(mnt.join("a/y")).unwrap(), b"y");
    assert!(!mnt.join("opq/old").exists());
    assert!(!mnt.join("opq/sub").exists());
    assert_eq!(fs::read(mnt.join("opq/new")).unwrap(), b"new");
    let mut names: Vec<_> = fs::read_dir(mnt.join("opq"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["new"]);
}

#[test]
fn truncated_and_garbage_input_are_errors() {
    let big = vec![7u8; 10_000];
    let tar = Tar::new().file("a", b"aaa").file("big", &big).finish();
    for cut in [
        100,
        512 + 512 + 300,
        512 + 512 + 512 + 5000,
        tar.len() - 2048 - 10,
    ] {
        let s = Scene::new();
        let err = unpack_layer(&tar[..cut], &s.dest).unwrap_err().to_string();
        assert!(
            err.contains("truncated") || err.contains("corrupt"),
            "cut {cut}: {err}"
        );
    }
    let garbage: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let s = Scene::new();
    let err = unpack_layer(&garbage[..], &s.dest).unwrap_err().to_string();
    assert!(err.contains("corrupt"), "{err}");

    let gz = gzip(&tar);
    let s = Scene::new();
    assert!(unpack_layer(&gz[..gz.len() / 2], &s.dest).is_err());
    let zs = zstd(&tar);
    let s = Scene::new();
    assert!(unpack_layer(&zs[..zs.len() / 2], &s.dest).is_err());

    // An empty stream is an empty layer.
    let s = Scene::new();
    let stats = unpack_layer(&b""[..], &s.dest).unwrap();
    assert_eq!(stats.diff_id, Digest::of_bytes(b""));
}

#[test]
fn long_names_and_owner_changes_keep_special_bits() {
    let long_dir = "d".repeat(80);
    let long_name = format!("{long_dir}/{}", "f".repeat(120));
    let long_target = format!("/{}", "t".repeat(150));
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(3);
    h.set_mode(0o6755);
    h.set_uid(1000);
    h.set_gid(1000);
    h.set_entry_type(EntryType::Regular);
    b.append_data(&mut h, &long_name, &b"abc"[..]).unwrap();
    let mut l = tar::Header::new_gnu();
    l.set_entry_type(EntryType::Symlink);
    l.set_size(0);
    b.append_link(&mut l, "short", &long_target).unwrap();
    let tar = b.into_inner().unwrap();

    let s = Scene::new();
    unpack_layer(&tar[..], &s.dest).unwrap();
    let f = fs::metadata(s.dest.join(&long_name)).unwrap();
    assert_eq!(f.permissions().mode() & 0o7777, 0o6755);
    assert_eq!((f.uid(), f.gid()), (1000, 1000));
    assert_eq!(
        fs::read_link(s.dest.join("short")).unwrap().to_str(),
        Some(long_target.as_str())
    );
}

#[test]
fn whiteout_of_an_entry_of_the_same_layer() {
    let tar = Tar::new()
        .dir("d/", 0o755)
        .file("d/x", b"x")
        .file(".wh.d", b"")
        .finish();
    let s = Scene::new();
    unpack_layer(&tar[..], &s.dest).unwrap();
    assert!(is_whiteout(&s.dest.join("d")));
}
