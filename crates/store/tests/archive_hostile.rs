//! Hostile and broken archives: each is refused with an error saying what and where, and a
//! load leaves nothing behind (its temp dir is gone, nothing is written outside it).

mod archive_support;

use archive_support::*;
use berth_store::archive::{load, save, ArchiveFormat, SaveImage};
use berth_store::{BlobStore, Digest, Error};

struct Env {
    dir: tempfile::TempDir,
    store: BlobStore,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open(&dir.path().join("store")).unwrap();
    Env { dir, store }
}

/// Loads `bytes`, expecting an error whose message contains `needle`.
fn refused(bytes: &[u8], needle: &str) -> Error {
    let e = env();
    let err = load(&e.store, bytes).expect_err("hostile archive was loaded");
    assert!(err.to_string().contains(needle), "{needle:?} not in: {err}");
    assert!(tmp_is_empty(e.store.root()), "temp dir left behind");
    let outside: Vec<_> = std::fs::read_dir(e.dir.path()).unwrap().collect();
    assert_eq!(outside.len(), 1, "something written next to the store");
    err
}

#[test]
fn bad_entry_names_and_types() {
    refused(&raw_tar(&[Raw::File("../evil", b"x")]), "'..'");
    refused(&raw_tar(&[Raw::File("a/../../evil", b"x")]), "'..'");
    refused(&raw_tar(&[Raw::File("/abs", b"x")]), "absolute");
    refused(
        &raw_tar(&[Raw::Other("dev/null", tar::EntryType::Char)]),
        "character device",
    );
    refused(
        &raw_tar(&[Raw::Other("dev/sda", tar::EntryType::Block)]),
        "block device",
    );
    refused(
        &raw_tar(&[Raw::Other("fifo", tar::EntryType::Fifo)]),
        "fifo",
    );
}

#[test]
fn symlinks_stay_inside() {
    refused(
        &raw_tar(&[Raw::Symlink("manifest.json", "../../../etc/passwd")]),
        "outside the archive",
    );
    refused(
        &raw_tar(&[Raw::Symlink("manifest.json", "/etc/passwd")]),
        "absolute",
    );
    // Writing through a symlinked directory.
    refused(
        &raw_tar(&[Raw::Symlink("d", "x"), Raw::File("d/f", b"x")]),
        "goes through a symlink",
    );
    // A chain that climbs out only once resolved.
    refused(
        &raw_tar(&[
            Raw::Dir("a/b"),
            Raw::Symlink("a/b/up", ".."),
            Raw::Symlink("a/l", "b/up/.."),
            Raw::Symlink("manifest.json", "a/l/../x"),
        ]),
        "outside the archive",
    );
    refused(
        &raw_tar(&[Raw::Hardlink("manifest.json", "../../etc/passwd")]),
        "'..'",
    );
    refused(
        &raw_tar(&[Raw::Hardlink("manifest.json", "nothing")]),
        "no such file",
    );
    refused(
        &raw_tar(&[
            Raw::Symlink("a", "b"),
            Raw::Symlink("b", "a"),
            Raw::Symlink("manifest.json", "a"),
        ]),
        "too many levels",
    );
}

#[test]
fn not_an_image_archive() {
    refused(
        &raw_tar(&[Raw::File("hello", b"x")]),
        "not an image archive",
    );
    refused(
        b"this is not a tar file at all, just some text that is long enough",
        "",
    );
    let mut garbage = raw_tar(&[Raw::File("hello", b"x")]);
    garbage[148] ^= 0x55; // the header checksum
    refused(&garbage, "corrupt");
    refused(&gzip(b"not a tar"), "");
    refused(
        &raw_tar(&[Raw::File("repositories", b"{}")]),
        "manifest.json",
    );
}

fn image_archive(format: ArchiveFormat) -> (Vec<u8>, BlobStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let s = BlobStore::open(dir.path()).unwrap();
    let m = put_image(
        &s,
        &[
            (&[("a", &[7u8; 3000][..])], Comp::Tar),
            (&[("b", b"gz")], Comp::Gzip),
        ],
        "x",
    );
    let mut out = Vec::new();
    save(
        &s,
        &[SaveImage {
            manifest: m,
            names: vec!["localhost/h:1".into()],
        }],
        format,
        &mut out,
    )
    .unwrap();
    (out, s, dir)
}

/// Rebuilds a tar with `edit` applied to each (name, content).
fn rewrite(bytes: &[u8], edit: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in tar_entries(bytes) {
        let mut h = tar::Header::new_gnu();
        if let Some(target) = data.strip_prefix(b"-> ") {
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            b.append_link(&mut h, &name, std::str::from_utf8(target).unwrap())
                .unwrap();
            continue;
        }
        if let Some(data) = edit(&name, data) {
            h.set_size(data.len() as u64);
            b.append_data(&mut h, &name, &data[..]).unwrap();
        }
    }
    b.into_inner().unwrap()
}

#[test]
fn truncated_archives() {
    for format in [ArchiveFormat::Docker, ArchiveFormat::Oci] {
        let (bytes, _, _d) = image_archive(format);
        // Cut inside the 3000-byte layer's data.
        let at = bytes.windows(16).position(|w| w == [7u8; 16]).unwrap() + 100;
        refused(&bytes[..at], "truncated");
        // Cut inside a header.
        refused(&bytes[..bytes.len() - 1024 - 700], "");
        // Cut inside a gzip-compressed archive.
        let gz = gzip(&bytes);
        refused(&gz[..gz.len() / 2], "");
    }
}

#[test]
fn docker_archive_content_checks() {
    let (bytes, _, _d) = image_archive(ArchiveFormat::Docker);
    // Missing manifest.json (and repositories): not recognized.
    let no_manifest = rewrite(&bytes, |n, d| (n != "manifest.json").then_some(d));
    refused(&no_manifest, "manifest.json");
    // A layer whose content is not what the config's diff_id says.
    let bad_layer = rewrite(&bytes, |n, d| {
        Some(if n.ends_with("/layer.tar") && d.len() > 3000 {
            layer_tar(&[("a", &[8u8; 3000])])
        } else {
            d
        })
    });
    let e = refused(&bad_layer, "does not match its digest");
    assert!(matches!(e, Error::ArchiveDigestMismatch { .. }), "{e:?}");
    assert!(e.to_string().contains("/layer.tar"), "{e}");
    // The same, compressed.
    let bad_gz = rewrite(&bytes, |n, d| {
        Some(if n.ends_with("/layer.tar") && d.len() > 3000 {
            gzip(&layer_tar(&[("a", &[8u8; 3000])]))
        } else {
            d
        })
    });
    refused(&bad_gz, "uncompressed layer");
    // A config whose content does not match the digest in its name.
    let bad_config = rewrite(&bytes, |n, d| {
        Some(if n.ends_with(".json") && n != "manifest.json" {
            String::from_utf8(d)
                .unwrap()
                .replace("\"x\"", "\"y\"")
                .into_bytes()
        } else {
            d
        })
    });
    refused(&bad_config, "image config");
    // A layer listed but absent.
    let missing = rewrite(&bytes, |n, d| {
        (!(n.ends_with("/layer.tar") && d.len() > 3000)).then_some(d)
    });
    refused(&missing, "is missing from the archive");
    // manifest.json that is not JSON.
    let bad_json = rewrite(&bytes, |n, d| {
        Some(if n == "manifest.json" {
            b"[{".to_vec()
        } else {
            d
        })
    });
    refused(&bad_json, "manifest.json");
}

#[test]
fn oci_archive_content_checks() {
    let (bytes, s, _d) = image_archive(ArchiveFormat::Oci);
    let big_layer = Digest::of_bytes(&layer_tar(&[("a", &[7u8; 3000])]));
    let entry = format!("blobs/sha256/{}", big_layer.hex());
    assert!(s.exists(&big_layer));
    let bad = rewrite(&bytes, |n, d| {
        Some(if n == entry {
            layer_tar(&[("a", &[8u8; 3000])])
        } else {
            d
        })
    });
    let e = refused(&bad, "does not match its digest");
    assert!(e.to_string().contains(&entry), "{e}");
    let missing = rewrite(&bytes, |n, d| (n != entry).then_some(d));
    refused(&missing, "is missing from the archive");
    let no_index = rewrite(&bytes, |n, d| (n != "index.json").then_some(d));
    refused(&no_index, "not an image archive");
    let bad_layout = rewrite(&bytes, |n, d| {
        Some(if n == "oci-layout" {
            br#"{"imageLayoutVersion":"9"}"#.to_vec()
        } else {
            d
        })
    });
    refused(&bad_layout, "imageLayoutVersion");
}
