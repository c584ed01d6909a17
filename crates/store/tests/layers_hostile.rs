//! Hostile layers: every one is refused with a clear error and writes nothing outside the
//! layer directory.

mod layers_common;

use std::fs;

use berth_store::unpack::unpack_layer;
use layers_common::{Attrs, Scene, Tar};
use tar::EntryType;

/// Unpacks `tar` in a fresh scene, expects an error containing `want`, checks the sentinel.
fn refused(build: impl FnOnce(&Scene) -> Vec<u8>, want: &str) {
    let s = Scene::new();
    let tar = build(&s);
    let err = unpack_layer(&tar[..], &s.dest)
        .expect_err("hostile layer accepted")
        .to_string();
    assert!(err.contains(want), "error {err:?} lacks {want:?}");
    s.assert_sentinel_untouched();
}

fn sentinel_abs(s: &Scene) -> String {
    s.sentinel.display().to_string()
}

#[test]
fn dotdot_escapes() {
    refused(
        |_| Tar::new().file("../sentinel/x", b"x").finish(),
        "escapes",
    );
    refused(|_| Tar::new().file("/a/../../x", b"x").finish(), "escapes");
    refused(|_| Tar::new().dir("./../", 0o755).finish(), "escapes");
    // `..` is lexical: up/../x is x in the root, whatever `up` is.
    let s = Scene::new();
    let tar = Tar::new()
        .symlink("up", "..")
        .file("up/../x", b"x")
        .finish();
    unpack_layer(&tar[..], &s.dest).unwrap();
    assert_eq!(fs::read(s.dest.join("x")).unwrap(), b"x");
    s.assert_sentinel_untouched();
}

#[test]
fn writing_through_symlinks() {
    // Absolute target (like link -> /etc, then link/passwd).
    refused(
        |s| {
            Tar::new()
                .symlink("link", &sentinel_abs(s))
                .file("link/passwd", b"root::0:0")
                .finish()
        },
        "layer entry link/passwd goes through a symlink",
    );
    // Relative target climbing out.
    refused(
        |_| {
            Tar::new()
                .symlink("link", "../../..")
                .file("link/x", b"x")
                .finish()
        },
        "goes through a symlink",
    );
    refused(
        |_| {
            Tar::new()
                .symlink("link", "../sentinel")
                .dir("link/sub/", 0o755)
                .finish()
        },
        "goes through a symlink",
    );
    // A symlink deeper in the path.
    refused(
        |_| {
            Tar::new()
                .dir("a/", 0o755)
                .symlink("a/b", "../../sentinel")
                .file("a/b/c/d", b"x")
                .finish()
        },
        "a/b is a symlink",
    );
    // Whiteouts and opaque markers through a symlink.
    refused(
        |_| {
            Tar::new()
                .symlink("link", "../sentinel")
                .file("link/.wh.x", b"")
                .finish()
        },
        "goes through a symlink",
    );
    refused(
        |_| {
            Tar::new()
                .symlink("link", "../sentinel")
                .file("link/.wh..wh..opq", b"")
                .finish()
        },
        "goes through a symlink",
    );
    // A hard link whose target goes through a symlink.
    let s = Scene::new();
    fs::write(s.sentinel.join("secret"), b"s").unwrap();
    let tar = Tar::new()
        .symlink("link", "../sentinel")
        .hardlink("stolen", "link/secret")
        .finish();
    let err = unpack_layer(&tar[..], &s.dest).unwrap_err().to_string();
    assert!(err.contains("goes through a symlink"), "{err}");
    assert!(!s.dest.join("stolen").exists());
    assert_eq!(fs::metadata(s.sentinel.join("secret")).unwrap().len(), 1);
}

#[test]
fn symlinks_are_replaced_not_followed() {
    let s = Scene::new();
    let target = sentinel_abs(&s);
    let tar = Tar::new()
        .symlink("f", &format!("{target}/f"))
        .file("f", b"x")
        .symlink("d", &target)
        .dir("d/", 0o755)
        .file("d/inside", b"x")
        .finish();
    unpack_layer(&tar[..], &s.dest).unwrap();
    assert!(fs::symlink_metadata(s.dest.join("f")).unwrap().is_file());
    assert!(fs::symlink_metadata(s.dest.join("d")).unwrap().is_dir());
    s.assert_sentinel_untouched();
}

#[test]
fn hardlinks_must_point_at_earlier_entries() {
    refused(
        |_| Tar::new().hardlink("passwd", "../../etc/passwd").finish(),
        "outside the layer",
    );
    refused(
        |_| Tar::new().hardlink("a", "not/there").finish(),
        "not an earlier file of the layer",
    );
    refused(
        |_| Tar::new().dir("d/", 0o755).hardlink("a", "d").finish(),
        "not an earlier file of the layer",
    );
    refused(|_| Tar::new().hardlink("a", "/").finish(), "layer root");
    // An absolute hard-link target means the layer's own file, as in Docker.
    let s = Scene::new();
    let tar = Tar::new().file("f", b"x").hardlink("g", "/f").finish();
    unpack_layer(&tar[..], &s.dest).unwrap();
    assert_eq!(fs::read(s.dest.join("g")).unwrap(), b"x");
}

#[test]
fn device_nodes_are_never_created() {
    // Outside /dev a device node is refused.
    for kind in [EntryType::Char, EntryType::Block] {
        refused(
            |_| {
                Tar::new()
                    .raw(kind, "etc/sda", None, &[], Attrs::mode(0o666))
                    .finish()
            },
            "device node etc/sda not allowed in an image layer",
        );
    }
    // Under /dev it is skipped.
    for kind in [EntryType::Char, EntryType::Block] {
        let s = Scene::new();
        let tar = Tar::new()
            .dir("dev", 0o755)
            .raw(kind, "dev/null", None, &[], Attrs::mode(0o666))
            .file("after", b"x")
            .finish();
        unpack_layer(&tar[..], &s.dest).unwrap();
        assert!(fs::symlink_metadata(s.dest.join("dev/null")).is_err());
        assert_eq!(fs::read(s.dest.join("after")).unwrap(), b"x");
    }
    // Fifos are fine.
    let s = Scene::new();
    let tar = Tar::new()
        .raw(EntryType::Fifo, "p", None, &[], Attrs::mode(0o644))
        .finish();
    unpack_layer(&tar[..], &s.dest).unwrap();
}

#[test]
fn other_bad_entries() {
    refused(
        |_| Tar::new().symlink("./", "/etc").finish(),
        "replace the layer root",
    );
    refused(
        |_| Tar::new().file("a", b"x").file("a/b", b"y").finish(),
        "a is not a directory",
    );
    refused(
        |_| {
            Tar::new()
                .raw(EntryType::new(b'Z'), "odd", None, &[], Attrs::mode(0o644))
                .finish()
        },
        "unsupported tar entry type",
    );
    refused(
        |_| Tar::new().file(".wh.", b"").finish(),
        "whiteout without a name",
    );
}
