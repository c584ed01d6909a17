//! write_layer against unpack_layer: a hand-built upper directory survives the round trip,
//! output is reproducible, devices are refused.

mod diff_support;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use berth_store::diff::{write_layer, write_layer_to_blobs, DiffOptions};
use berth_store::unpack::unpack_layer;
use berth_store::{BlobStore, Error};
use diff_support::*;

const LONG: &str =
    "a-directory-name-long-enough-that-the-whole-path-passes-the-hundred-bytes-of-ustar";

/// An upper directory with every kind of entry a layer carries.
fn build_upper(root: &Path, stamp: i64) {
    let p = |rel: &str| root.join(rel);
    for d in ["bin", "etc", "run", "var/cache/apt", LONG] {
        fs::create_dir_all(p(d)).unwrap();
    }
    fs::write(p("etc/passwd"), b"root:x:0:0::/root:/bin/sh\n").unwrap();
    fs::write(p("bin/busybox"), b"\x7fELF pretend").unwrap();
    set_mode(&p("bin/busybox"), 0o755);
    fs::hard_link(p("bin/busybox"), p("bin/ls")).unwrap();
    std::os::unix::fs::symlink("busybox", p("bin/sh")).unwrap();
    fs::write(p("bin/su"), b"su").unwrap();
    chown(&p("bin/su"), 0, 0);
    set_mode(&p("bin/su"), 0o4755);
    fs::write(p("etc/secret"), b"s").unwrap();
    chown(&p("etc/secret"), 1000, 1001);
    set_mode(&p("etc/secret"), 0o600);
    fs::write(p("etc/ping"), b"ping").unwrap();
    set_xattr(
        &p("etc/ping"),
        "user.capability-like",
        b"\x01\x00\x00\x02 blob",
    );
    set_xattr(&p("etc/ping"), "user.test", b"value");
    set_xattr(&p("etc/ping"), "trusted.overlay.origin", b"forged");
    // A real v2 file capability (CAP_NET_RAW, effective) where the kernel allows it.
    let mut cap = 0x0200_0001u32.to_le_bytes().to_vec();
    for word in [1u32 << 13, 0, 0, 0] {
        cap.extend_from_slice(&word.to_le_bytes());
    }
    fs::write(p("bin/ping"), b"ping").unwrap();
    let _ = rustix::fs::lsetxattr(
        p("bin/ping"),
        "security.capability",
        &cap,
        rustix::fs::XattrFlags::empty(),
    );
    fs::write(p("a.txt"), b"sorts between a and a/...").unwrap();
    fs::create_dir(p("a")).unwrap();
    fs::write(p("a/b"), b"b").unwrap();
    mkfifo(&p("run/fifo"), 0o620);
    mknod_char(&p("etc/removed"), 0, 0);
    set_xattr(&p("var/cache"), "trusted.overlay.opaque", b"y");
    fs::write(p("var/cache/apt/pkgcache"), b"cache").unwrap();
    set_mode(&p("var/cache/apt"), 0o2775);
    fs::write(p(&format!("{LONG}/{LONG}.conf")), b"long").unwrap();
    // Long link names: a symlink target and a hard link target past 100 bytes.
    std::os::unix::fs::symlink(format!("../{LONG}/{LONG}.conf"), p("bin/longlink")).unwrap();
    fs::hard_link(p(&format!("{LONG}/{LONG}.conf")), p("etc/hl")).unwrap();
    // Times last: creating entries changes their directories' mtimes.
    for (rel, d) in snapshot(root) {
        if d.kind != 'c' {
            set_mtime(&root.join(rel), stamp, 500_000_000);
        }
    }
}

fn layer(upper: &Path, opts: &DiffOptions) -> (Vec<u8>, berth_store::diff::LayerStats) {
    let mut out = Vec::new();
    let stats = write_layer(upper, &mut out, opts).expect("write_layer");
    assert_eq!(stats.size, out.len() as u64);
    assert_eq!(stats.diff_id, berth_store::Digest::of_bytes(&out));
    (out, stats)
}

#[test]
fn round_trip_through_unpack() {
    let tmp = tempfile::tempdir().unwrap();
    let (upper, dest) = (tmp.path().join("upper"), tmp.path().join("dest"));
    fs::create_dir(&upper).unwrap();
    fs::create_dir(&dest).unwrap();
    build_upper(&upper, 1_650_000_000);
    let (tar, stats) = layer(&upper, &DiffOptions::default());
    let unpacked = unpack_layer(tar.as_slice(), &dest).expect("unpack");
    assert_eq!(unpacked.diff_id, stats.diff_id);

    let want = snapshot(&upper);
    let got = snapshot(&dest);
    let mut want_kept = want.clone();
    // trusted.overlay.* other than opaque never travels (and is not compared).
    for d in want_kept.values_mut() {
        d.xattrs
            .retain(|(k, _)| !k.starts_with("trusted.overlay.") || k == "trusted.overlay.opaque");
    }
    for (path, w) in &want_kept {
        let g = got
            .get(path)
            .unwrap_or_else(|| panic!("{} missing after unpack", path.display()));
        assert_eq!(g, w, "{}", path.display());
    }
    assert_eq!(
        got.len(),
        want.len(),
        "extra files after unpack: {:?}",
        got.keys()
    );
    assert_eq!(got[Path::new("bin/su")].mode, 0o4755);
    assert_eq!(got[Path::new("etc/removed")].kind, 'c');
    assert_eq!(got[Path::new("etc/removed")].rdev, 0);
    assert_eq!(
        xattr(&dest.join("var/cache"), "trusted.overlay.opaque").as_deref(),
        Some(&b"y"[..])
    );
    assert_eq!(
        xattr(&dest.join("etc/ping"), "trusted.overlay.origin"),
        None
    );
    let ino = |rel: &str| fs::metadata(dest.join(rel)).unwrap().ino();
    assert_eq!(ino("bin/busybox"), ino("bin/ls"), "hard link pair kept");
    assert_eq!(
        ino("etc/hl"),
        ino(&format!("{LONG}/{LONG}.conf")),
        "long hard link kept"
    );
}

#[test]
fn entries_sorted_numeric_and_marked() {
    let tmp = tempfile::tempdir().unwrap();
    build_upper(tmp.path(), 1_650_000_000);
    let (tar, _) = layer(tmp.path(), &DiffOptions::default());
    let entries = list(&tar);
    let names: Vec<String> = entries
        .iter()
        .map(|e| e.name.trim_end_matches('/').to_string())
        .collect();
    let opq = names
        .iter()
        .position(|n| n == "var/cache/.wh..wh..opq")
        .expect("opaque marker");
    assert_eq!(
        names[opq - 1],
        "var/cache",
        "marker right after its directory"
    );
    let mut rest = names.clone();
    rest.remove(opq);
    let mut sorted = rest.clone();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(rest, sorted);
    assert!(names.contains(&"etc/.wh.removed".to_string()));
    assert!(!names
        .iter()
        .any(|n| n.is_empty() || n == "." || n.starts_with("./")));
    let by = |n: &str| {
        entries
            .iter()
            .find(|e| e.name.trim_end_matches('/') == n)
            .unwrap()
    };
    assert_eq!(by("etc/.wh.removed").kind, tar::EntryType::Regular);
    assert_eq!(by("bin/ls").kind, tar::EntryType::Link);
    assert_eq!(by("bin/ls").link.as_deref(), Some("bin/busybox"));
    assert_eq!(by("bin/sh").link.as_deref(), Some("busybox"));
    assert_eq!(by("run/fifo").kind, tar::EntryType::Fifo);
    assert_eq!(by("bin/su").mode, 0o4755);
    assert_eq!((by("etc/secret").uid, by("etc/secret").gid), (1000, 1001));
    assert!(entries.iter().all(|e| e.uname.is_empty()), "no user names");
    assert!(entries
        .iter()
        .all(|e| e.mtime == 1_650_000_000 || e.name.contains(".wh.")));
}

#[test]
fn same_input_same_digest() {
    let tmp = tempfile::tempdir().unwrap();
    build_upper(tmp.path(), 1_650_000_000);
    let (a, sa) = layer(tmp.path(), &DiffOptions::default());
    let (b, sb) = layer(tmp.path(), &DiffOptions::default());
    assert_eq!(sa, sb);
    assert_eq!(a, b);
}

#[test]
fn clamped_mtimes_make_the_digest_independent_of_file_times() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    fs::create_dir(&one).unwrap();
    fs::create_dir(&two).unwrap();
    build_upper(&one, 1_700_000_000);
    build_upper(&two, 1_750_000_000);
    // Whiteout devices keep their creation time: pin them too.
    for root in [&one, &two] {
        set_mtime(&root.join("etc/removed"), 1_690_000_000, 0);
    }
    let opts = DiffOptions {
        mtime: Some(1_600_000_000),
        ..Default::default()
    };
    let (a, sa) = layer(&one, &opts);
    let (_, sb) = layer(&two, &opts);
    assert_eq!(sa.diff_id, sb.diff_id);
    assert!(list(&a).iter().all(|e| e.mtime == 1_600_000_000));
    let unclamped = DiffOptions::default();
    assert_ne!(
        layer(&one, &unclamped).1.diff_id,
        layer(&two, &unclamped).1.diff_id
    );
    // A clamp later than the files leaves their times alone.
    let late = DiffOptions {
        mtime: Some(1_720_000_000),
        ..Default::default()
    };
    let entries = list(&layer(&one, &late).0);
    assert!(entries.iter().any(|e| e.mtime == 1_700_000_000));
    assert!(entries.iter().all(|e| e.mtime <= 1_720_000_000));
    // exact_mtime pins older entries too.
    let exact = DiffOptions {
        mtime: Some(1_720_000_000),
        exact_mtime: true,
    };
    assert!(list(&layer(&one, &exact).0)
        .iter()
        .all(|e| e.mtime == 1_720_000_000));
}

#[test]
fn device_nodes_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("dev")).unwrap();
    mknod_char(&tmp.path().join("dev/null"), 1, 3);
    let err = write_layer(tmp.path(), std::io::sink(), &DiffOptions::default()).unwrap_err();
    assert!(matches!(err, Error::NotLayerable { .. }), "{err}");
    assert!(err.to_string().contains("dev/null"), "{err}");
}

#[test]
fn whiteout_looking_names_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join(".wh.sneaky"), b"").unwrap();
    let err = write_layer(tmp.path(), std::io::sink(), &DiffOptions::default()).unwrap_err();
    assert!(err.to_string().contains(".wh.sneaky"), "{err}");
}

#[test]
fn into_the_blob_store() {
    let tmp = tempfile::tempdir().unwrap();
    let (upper, store) = (tmp.path().join("upper"), tmp.path().join("store"));
    fs::create_dir(&upper).unwrap();
    build_upper(&upper, 1_650_000_000);
    // Large enough to take several channel chunks.
    fs::write(upper.join("big"), vec![7u8; 3 * 1024 * 1024 + 17]).unwrap();
    let blobs = BlobStore::open(&store).unwrap();
    let (desc, stats) = write_layer_to_blobs(&blobs, &upper, &DiffOptions::default()).unwrap();
    assert_eq!(desc.media_type, berth_store::oci::MEDIA_LAYER_TAR);
    assert_eq!(desc.digest, stats.diff_id);
    assert_eq!(desc.size, stats.size);
    let (tar, direct) = layer(&upper, &DiffOptions::default());
    assert_eq!(direct, stats);
    assert_eq!(blobs.read(&desc.digest).unwrap(), tar);

    // A failing layer leaves nothing behind.
    mknod_char(&upper.join("tty"), 4, 1);
    assert!(write_layer_to_blobs(&blobs, &upper, &DiffOptions::default()).is_err());
    assert_eq!(blobs.list().unwrap(), vec![desc.digest.clone()]);
    assert_eq!(fs::read_dir(store.join("tmp")).unwrap().count(), 0);
}

#[test]
fn gnu_tar_lists_it() {
    let Ok(out) = std::process::Command::new("tar").arg("--version").output() else {
        skip("no tar");
        return;
    };
    assert!(out.status.success());
    let tmp = tempfile::tempdir().unwrap();
    let upper = tmp.path().join("upper");
    fs::create_dir(&upper).unwrap();
    build_upper(&upper, 1_650_000_000);
    let (tar, _) = layer(&upper, &DiffOptions::default());
    let file = tmp.path().join("layer.tar");
    fs::write(&file, &tar).unwrap();
    let out = std::process::Command::new("tar")
        .arg("-tvf")
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("-rwsr-xr-x 0/0"), "{text}");
    assert!(text.contains("bin/ls link to bin/busybox"), "{text}");
    assert!(text.contains(&format!("{LONG}/{LONG}.conf")), "{text}");
    assert!(text.contains("var/cache/.wh..wh..opq"), "{text}");
}

#[test]
fn redirect_and_metacopy_uppers_are_refused() {
    for name in ["trusted.overlay.redirect", "trusted.overlay.metacopy"] {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join("moved")).unwrap();
        set_xattr(&tmp.path().join("moved"), name, b"/elsewhere");
        let err = write_layer(tmp.path(), std::io::sink(), &DiffOptions::default()).unwrap_err();
        assert!(err.to_string().contains(name), "{err}");
        assert!(err.to_string().contains("moved"), "{err}");
    }
}

#[test]
fn capabilities_travel_as_pax_records() {
    let tmp = tempfile::tempdir().unwrap();
    let (upper, dest) = (tmp.path().join("upper"), tmp.path().join("dest"));
    fs::create_dir(&upper).unwrap();
    fs::create_dir(&dest).unwrap();
    build_upper(&upper, 1_650_000_000);
    let Some(cap) = xattr(&upper.join("bin/ping"), "security.capability") else {
        skip("cannot set security.capability here");
        return;
    };
    let (tar, _) = layer(&upper, &DiffOptions::default());
    let mut archive = tar::Archive::new(tar.as_slice());
    let mut found = None;
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path_bytes().as_ref() == b"bin/ping" {
            for ext in e.pax_extensions().unwrap().expect("a PAX header") {
                let ext = ext.unwrap();
                if ext.key().unwrap() == "SCHILY.xattr.security.capability" {
                    found = Some(ext.value_bytes().to_vec());
                }
            }
        } else if e.path_bytes().as_ref() == b"etc/passwd" {
            assert!(
                e.pax_extensions().unwrap().is_none(),
                "PAX only where needed"
            );
        }
    }
    assert_eq!(found.as_deref(), Some(cap.as_slice()));
    unpack_layer(tar.as_slice(), &dest).unwrap();
    assert_eq!(
        xattr(&dest.join("bin/ping"), "security.capability"),
        Some(cap)
    );
}
