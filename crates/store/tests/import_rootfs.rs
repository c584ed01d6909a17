//! `docker import`: a rootfs tarball becomes a one-layer image; bad tarballs leave nothing.

mod layers_common;

use std::fs;

use berth_store::import::{import_rootfs, ImportOptions, CREATED_BY};
use berth_store::layers::{chain_id, LayerStore};
use berth_store::oci::{ContainerConfig, ImageConfig, Manifest, MEDIA_CONFIG, MEDIA_LAYER_TAR};
use berth_store::{BlobStore, Digest};
use layers_common::{gzip, zstd, Tar};

fn rootfs() -> Vec<u8> {
    Tar::new()
        .dir("./", 0o755)
        .dir("bin/", 0o755)
        .file("bin/busybox", b"#!busybox")
        .symlink("bin/sh", "/bin/busybox")
        .hardlink("bin/ls", "bin/busybox")
        .finish()
}

#[test]
fn imports_plain_gzip_and_zstd() {
    let tar = rootfs();
    for (i, input) in [tar.clone(), gzip(&tar), zstd(&tar)]
        .into_iter()
        .enumerate()
    {
        let root = tempfile::tempdir().unwrap();
        let blobs = BlobStore::open(root.path()).unwrap();
        let config = ContainerConfig {
            cmd: Some(vec!["sh".into()]),
            ..ContainerConfig::default()
        };
        let opts = ImportOptions {
            created: (i == 0).then(|| "2024-01-02T03:04:05Z".to_string()),
            comment: Some("from a tarball".into()),
            ..ImportOptions::default()
        };
        let imported = import_rootfs(&blobs, &input[..], config, &opts).unwrap();

        // The layer blob is the uncompressed tar: its digest is the diff ID.
        assert_eq!(imported.layer.digest, Digest::of_bytes(&tar));
        assert_eq!(imported.layer.media_type, MEDIA_LAYER_TAR);
        assert_eq!(imported.layer.size, tar.len() as u64);
        assert_eq!(blobs.read(&imported.layer.digest).unwrap(), tar);

        let cfg: ImageConfig =
            serde_json::from_slice(&blobs.read(&imported.config).unwrap()).unwrap();
        assert_eq!(cfg.rootfs.diff_ids, vec![imported.layer.digest.clone()]);
        assert_eq!(cfg.os, "linux");
        assert_eq!(cfg.architecture, berth_store::oci::host_architecture());
        assert_eq!(cfg.config.cmd.as_deref(), Some(&["sh".to_string()][..]));
        assert_eq!(cfg.history.len(), 1);
        assert_eq!(cfg.history[0].created_by.as_deref(), Some(CREATED_BY));
        assert_eq!(cfg.history[0].comment.as_deref(), Some("from a tarball"));
        assert_eq!(cfg.extra["comment"], "from a tarball");
        let created = cfg.created.clone().unwrap();
        if i == 0 {
            assert_eq!(created, "2024-01-02T03:04:05Z");
        } else {
            assert!(created.ends_with('Z') && created.len() >= 20, "{created}");
        }
        assert_eq!(cfg.history[0].created.as_deref(), Some(created.as_str()));

        let manifest: Manifest =
            serde_json::from_slice(&blobs.read(&imported.manifest.digest).unwrap()).unwrap();
        assert_eq!(manifest.schema_version, 2);
        assert_eq!(manifest.config.media_type, MEDIA_CONFIG);
        assert_eq!(manifest.config.digest, imported.config);
        assert_eq!(manifest.layers, vec![imported.layer.clone()]);
        assert_eq!(
            imported.manifest.size,
            blobs.size(&imported.manifest.digest).unwrap()
        );

        let mut all = blobs.list().unwrap();
        all.sort();
        let mut want = vec![
            imported.layer.digest.clone(),
            imported.config.clone(),
            imported.manifest.digest.clone(),
        ];
        want.sort();
        assert_eq!(all, want);
        assert_eq!(fs::read_dir(root.path().join("tmp")).unwrap().count(), 0);

        // The stored layer unpacks with the diff ID the config names.
        let layers = LayerStore::open(root.path()).unwrap();
        let diff_id = &cfg.rootfs.diff_ids[0];
        let diff = layers
            .ensure(&chain_id(None, diff_id), diff_id, || {
                blobs.open_blob(&imported.layer.digest)
            })
            .unwrap();
        assert_eq!(fs::read(diff.join("bin/ls")).unwrap(), b"#!busybox");
    }
}

#[test]
fn platform_overrides() {
    let root = tempfile::tempdir().unwrap();
    let blobs = BlobStore::open(root.path()).unwrap();
    let opts = ImportOptions {
        architecture: Some("arm64".into()),
        os: Some("linux".into()),
        variant: Some("v8".into()),
        ..ImportOptions::default()
    };
    let tar = rootfs();
    let imported = import_rootfs(&blobs, &tar[..], ContainerConfig::default(), &opts).unwrap();
    let cfg: ImageConfig = serde_json::from_slice(&blobs.read(&imported.config).unwrap()).unwrap();
    assert_eq!(cfg.architecture, "arm64");
    assert_eq!(cfg.variant.as_deref(), Some("v8"));
    assert!(cfg.history[0].comment.is_none());
    assert!(!cfg.extra.contains_key("comment"));
}

/// Imports `input`, expects an error containing `want`, and checks the store is empty.
fn refused(input: &[u8], want: &str) {
    let root = tempfile::tempdir().unwrap();
    let blobs = BlobStore::open(root.path()).unwrap();
    let err = import_rootfs(
        &blobs,
        input,
        ContainerConfig::default(),
        &ImportOptions::default(),
    )
    .expect_err("bad tarball imported")
    .to_string();
    assert!(err.contains(want), "error {err:?} lacks {want:?}");
    assert!(blobs.list().unwrap().is_empty());
    assert_eq!(fs::read_dir(root.path().join("tmp")).unwrap().count(), 0);
}

#[test]
fn bad_tarballs_leave_nothing() {
    let mut big = Tar::new();
    big.file("a", &vec![1u8; 300_000]).file("b", b"b");
    let big = big.finish();
    refused(&big[..200_000], "truncated");
    refused(&gzip(&big)[..500], "corrupt");
    let garbage: Vec<u8> = (0..3000u32).map(|i| (i * 31 % 253) as u8).collect();
    refused(&garbage, "corrupt");
    refused(&Tar::new().file("../../etc/x", b"x").finish(), "escapes");
    refused(
        &Tar::new().hardlink("x", "../outside").finish(),
        "outside the layer",
    );
    refused(
        &Tar::new()
            .symlink("etc", "/etc")
            .file("etc/passwd", b"x")
            .finish(),
        "goes through a symlink",
    );
    refused(
        &[0xfd, b'7', b'z', b'X', b'Z', 0, 0, 0],
        "unsupported compression xz",
    );
}
