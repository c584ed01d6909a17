//! Save then load in berth: both formats, several images, compressed layers and archives.

mod archive_support;

use std::io::Read;

use archive_support::*;
use berth_store::archive::{load, save, ArchiveFormat, SaveImage};
use berth_store::oci;
use berth_store::BlobStore;

fn store() -> (tempfile::TempDir, BlobStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = BlobStore::open(dir.path()).unwrap();
    (dir, s)
}

fn saved(blobs: &BlobStore, images: &[SaveImage], format: ArchiveFormat) -> Vec<u8> {
    let mut out = Vec::new();
    save(blobs, images, format, &mut out).unwrap();
    out
}

fn two_layer_image(blobs: &BlobStore, second: Comp) -> berth_store::Digest {
    put_image(
        blobs,
        &[
            (&[("etc/hostname", b"base\n")], Comp::Tar),
            (&[("bin/app", b"#!/bin/sh\necho hi\n")], second),
        ],
        "app",
    )
}

#[test]
fn docker_archive_round_trip_decompresses_layers() {
    let (_d1, src) = store();
    let m = two_layer_image(&src, Comp::Gzip);
    let names = vec![
        "docker.io/library/busybox:latest".to_string(),
        "localhost/x:1".to_string(),
    ];
    let bytes = saved(
        &src,
        &[SaveImage {
            manifest: m.clone(),
            names: names.clone(),
        }],
        ArchiveFormat::Docker,
    );
    let entries = tar_entries(&bytes);
    let mj: serde_json::Value = serde_json::from_slice(entry(&entries, "manifest.json")).unwrap();
    assert_eq!(
        mj[0]["RepoTags"],
        serde_json::json!(["busybox:latest", "localhost/x:1"])
    );
    let repos: serde_json::Value = serde_json::from_slice(entry(&entries, "repositories")).unwrap();
    assert!(repos["busybox"]["latest"].is_string(), "{repos}");
    let src_manifest = manifest(&src, &m);
    let layer_path = mj[0]["Layers"][1].as_str().unwrap();
    assert!(layer_path.ends_with("/layer.tar"));
    assert_eq!(
        berth_store::Digest::of_bytes(entry(&entries, layer_path)).to_string(),
        serde_json::from_slice::<oci::ImageConfig>(&src.read(&src_manifest.config.digest).unwrap())
            .unwrap()
            .rootfs
            .diff_ids[1]
            .to_string(),
        "the gzip layer is written uncompressed"
    );

    let (d2, dst) = store();
    let loaded = load(&dst, &bytes[..]).unwrap();
    assert_eq!(loaded.len(), 1);
    let img = &loaded[0];
    assert_eq!(img.names, names);
    assert_eq!(img.config, src_manifest.config.digest);
    assert_eq!(img.manifest.media_type, oci::MEDIA_MANIFEST);
    let got = manifest(&dst, &img.manifest.digest);
    assert_eq!(got.layers.len(), 2);
    let config: oci::ImageConfig = serde_json::from_slice(&dst.read(&img.config).unwrap()).unwrap();
    for (l, diff) in got.layers.iter().zip(&config.rootfs.diff_ids) {
        assert_eq!(l.media_type, oci::MEDIA_LAYER_TAR);
        assert_eq!(&l.digest, diff);
        assert_eq!(dst.size(&l.digest).unwrap(), l.size);
    }
    assert_eq!(dst.size(&img.manifest.digest).unwrap(), img.manifest.size);
    assert!(tmp_is_empty(d2.path()));

    // Loading the same archive again is fine and gives the same image.
    let again = load(&dst, &bytes[..]).unwrap();
    assert_eq!(again, loaded);
    assert!(tmp_is_empty(d2.path()));
}

#[test]
fn oci_archive_round_trip_keeps_digests() {
    let (_d1, src) = store();
    let m = two_layer_image(&src, Comp::Zstd);
    let m2 = put_image(&src, &[(&[("x", b"y")], Comp::Gzip)], "other");
    let images = [
        SaveImage {
            manifest: m.clone(),
            names: vec!["localhost/a:1".into(), "localhost/a:latest".into()],
        },
        SaveImage {
            manifest: m2.clone(),
            names: vec![],
        },
    ];
    let bytes = saved(&src, &images, ArchiveFormat::Oci);
    let entries = tar_entries(&bytes);
    assert_eq!(
        entry(&entries, "oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#
    );
    let index: oci::Index = serde_json::from_slice(entry(&entries, "index.json")).unwrap();
    assert_eq!(index.manifests.len(), 3);
    assert_eq!(
        index.manifests[0].annotations.as_ref().unwrap()[oci::ANNOTATION_REF_NAME],
        "localhost/a:1"
    );

    let (d2, dst) = store();
    let loaded = load(&dst, &bytes[..]).unwrap();
    assert_eq!(loaded.len(), 2);
    assert_eq!(loaded[0].manifest.digest, m);
    assert_eq!(loaded[0].names, ["localhost/a:1", "localhost/a:latest"]);
    assert_eq!(loaded[1].manifest.digest, m2);
    assert!(loaded[1].names.is_empty());
    let got = manifest(&dst, &m);
    assert_eq!(got.layers[1].media_type, oci::MEDIA_LAYER_ZSTD);
    for l in &got.layers {
        assert!(dst.exists(&l.digest));
    }
    assert!(tmp_is_empty(d2.path()));
}

#[test]
fn multi_image_shared_and_repeated_layers() {
    let (_d1, src) = store();
    let base: &[(&str, &[u8])] = &[("etc/os-release", b"ID=test\n")];
    let empty: &[(&str, &[u8])] = &[];
    let a = put_image(
        &src,
        &[
            (base, Comp::Gzip),
            (empty, Comp::Tar),
            (&[("a", b"a")], Comp::Tar),
            (empty, Comp::Tar),
        ],
        "a",
    );
    let b = put_image(
        &src,
        &[(base, Comp::Gzip), (&[("b", b"b")], Comp::Zstd)],
        "b",
    );
    let images = [
        SaveImage {
            manifest: a.clone(),
            names: vec!["docker.io/me/a:1".into()],
        },
        SaveImage {
            manifest: b.clone(),
            names: vec!["docker.io/library/b:2".into()],
        },
    ];
    for format in [ArchiveFormat::Docker, ArchiveFormat::Oci] {
        let bytes = saved(&src, &images, format);
        if format == ArchiveFormat::Docker {
            let entries = tar_entries(&bytes);
            let mj: serde_json::Value =
                serde_json::from_slice(entry(&entries, "manifest.json")).unwrap();
            assert_eq!(mj[0]["RepoTags"][0], "me/a:1");
            assert_eq!(mj[1]["RepoTags"][0], "b:2");
            assert_eq!(mj[0]["Layers"][0], mj[1]["Layers"][0], "shared base layer");
            let dup = mj[0]["Layers"][3].as_str().unwrap();
            assert!(
                entry(&entries, dup).starts_with(b"-> ../"),
                "a repeated layer is a symlink"
            );
        }
        let (d2, dst) = store();
        let loaded = load(&dst, &bytes[..]).unwrap();
        assert_eq!(loaded.len(), 2, "{format:?}");
        assert_eq!(loaded[0].names, ["docker.io/me/a:1"]);
        assert_eq!(loaded[1].names, ["docker.io/library/b:2"]);
        assert_eq!(manifest(&dst, &loaded[0].manifest.digest).layers.len(), 4);
        assert!(tmp_is_empty(d2.path()));
    }
}

/// A reader that hands out a few bytes at a time, like a pipe.
struct Trickle<'a>(&'a [u8], usize);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.1 = self.1 % 7 + 1;
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn compressed_archives_from_a_stream() {
    let (_d1, src) = store();
    let m = two_layer_image(&src, Comp::Tar);
    let images = [SaveImage {
        manifest: m.clone(),
        names: vec!["localhost/s:1".into()],
    }];
    for format in [ArchiveFormat::Docker, ArchiveFormat::Oci] {
        let bytes = saved(&src, &images, format);
        for wrapped in [bytes.clone(), gzip(&bytes), zstd(&bytes)] {
            let (d2, dst) = store();
            let loaded = load(&dst, Trickle(&wrapped, 0)).unwrap();
            assert_eq!(loaded[0].names, ["localhost/s:1"]);
            // Plain-tar layers: the docker-archive manifest rebuilt is the original one.
            assert_eq!(loaded[0].manifest.digest, m, "{format:?}");
            assert!(tmp_is_empty(d2.path()));
        }
    }
}

#[test]
fn save_is_deterministic() {
    let (_d1, src) = store();
    let m = two_layer_image(&src, Comp::Gzip);
    let images = [SaveImage {
        manifest: m,
        names: vec!["localhost/d:1".into()],
    }];
    for format in [ArchiveFormat::Docker, ArchiveFormat::Oci] {
        assert_eq!(saved(&src, &images, format), saved(&src, &images, format));
    }
}

#[test]
fn save_errors_name_the_problem() {
    let (_d1, src) = store();
    let missing = berth_store::Digest::of_bytes(b"nothing");
    let e = save(
        &src,
        &[SaveImage {
            manifest: missing.clone(),
            names: vec![],
        }],
        ArchiveFormat::Docker,
        std::io::sink(),
    )
    .unwrap_err();
    assert!(e.to_string().contains(&missing.to_string()), "{e}");
    assert!(save(&src, &[], ArchiveFormat::Oci, std::io::sink()).is_err());

    // A corrupt layer blob in the store is caught while saving.
    let m = put_image(&src, &[(&[("f", b"data")], Comp::Gzip)], "x");
    let layer = manifest(&src, &m).layers[0].digest.clone();
    std::fs::write(src.path(&layer), gzip(b"something else")).unwrap();
    for format in [ArchiveFormat::Docker, ArchiveFormat::Oci] {
        let e = save(
            &src,
            &[SaveImage {
                manifest: m.clone(),
                names: vec![],
            }],
            format,
            std::io::sink(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("mismatch"), "{format:?}: {e}");
    }
}
