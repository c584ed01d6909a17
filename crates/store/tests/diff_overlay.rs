//! write_layer on the upper directory of a real overlay mount: deletions become `.wh.`
//! entries, a replaced directory becomes opaque, additions are listed, the lower layer's
//! untouched files are not.

mod diff_support;

use std::fs;

use berth_store::diff::{write_layer, DiffOptions};
use diff_support::*;

#[test]
fn overlay_upper_becomes_a_layer() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = |n: &str| {
        let p = tmp.path().join(n);
        fs::create_dir(&p).unwrap();
        p
    };
    let (lower, upper, work, merged) = (dir("lower"), dir("upper"), dir("work"), dir("merged"));
    fs::write(lower.join("deleted"), b"gone soon").unwrap();
    fs::write(lower.join("keep"), b"kept").unwrap();
    fs::create_dir(lower.join("replaced")).unwrap();
    fs::write(lower.join("replaced/old.txt"), b"old").unwrap();
    fs::create_dir(lower.join("etc")).unwrap();
    fs::write(lower.join("etc/hosts"), b"old hosts").unwrap();
    fs::write(lower.join("etc/deleted-too"), b"x").unwrap();

    {
        let Some(_guard) = mount_rw_overlay(&lower, &upper, &work, &merged) else {
            return;
        };
        fs::remove_file(merged.join("deleted")).unwrap();
        fs::remove_file(merged.join("etc/deleted-too")).unwrap();
        fs::remove_dir_all(merged.join("replaced")).unwrap();
        fs::create_dir(merged.join("replaced")).unwrap();
        fs::write(merged.join("replaced/new.txt"), b"new").unwrap();
        fs::write(merged.join("added.txt"), b"added").unwrap();
        fs::write(merged.join("etc/hosts"), b"new hosts").unwrap();
        // _guard unmounts here, even when an assertion above failed.
    }

    let mut tar = Vec::new();
    write_layer(&upper, &mut tar, &DiffOptions::default()).expect("write_layer");
    let names: Vec<String> = list(&tar)
        .iter()
        .map(|e| e.name.trim_end_matches('/').to_string())
        .collect();
    assert_eq!(
        names,
        [
            ".wh.deleted",
            "added.txt",
            "etc",
            "etc/.wh.deleted-too",
            "etc/hosts",
            "replaced",
            "replaced/.wh..wh..opq",
            "replaced/new.txt",
        ],
        "{names:?}"
    );
    let entries = list(&tar);
    let wh = entries.iter().find(|e| e.name == ".wh.deleted").unwrap();
    assert_eq!(wh.kind, tar::EntryType::Regular);

    // Unpacked, the layer is overlay form again and hides what the upper dir hid.
    let dest = dir("dest");
    berth_store::unpack::unpack_layer(tar.as_slice(), &dest).expect("unpack");
    let snap = snapshot(&dest);
    assert_eq!(snap[std::path::Path::new("deleted")].kind, 'c');
    assert_eq!(
        xattr(&dest.join("replaced"), "trusted.overlay.opaque").as_deref(),
        Some(&b"y"[..])
    );
}
