//! Pulls of bad manifests and indexes: each is a clean error with a clear message, and the
//! store gets nothing.

mod fake_registry;

use berth_registry::Error;
use berth_store::oci;
use berth_store::Digest;
use fake_registry::*;

/// A registry whose tag `HEAD` gives no digest (so the client `GET`s the tag) and whose
/// `GET` of the tag answers `reply`; everything else as `img` has it.
fn serving_tag(img: &TestImage, reply: Reply) -> Server {
    let content = img.content();
    Server::start(move |req, _| {
        if req.path == format!("/v2/{REPO}/manifests/{TAG}") {
            if req.method == "HEAD" {
                return Reply::status(200).header("Content-Type", oci::MEDIA_MANIFEST);
            }
            return reply.clone();
        }
        content.serve(req)
    })
}

fn assert_store_empty(store: &Store) {
    assert!(
        store.blobs.list().unwrap().is_empty(),
        "{:?}",
        store.blobs.list()
    );
    assert!(store.entries("layers").is_empty());
    assert!(store.entries("tmp").is_empty());
    store.assert_no_partial();
}

fn blob_gets(server: &Server) -> usize {
    server.count(|r| r.path.contains("/blobs/"))
}

#[test]
fn manifest_too_large() {
    bounded(20, || {
        let img = TestImage::standard();
        // Valid JSON, 5 MiB.
        let mut big = br#"{"schemaVersion":2,"annotations":{"pad":""#.to_vec();
        big.extend(std::iter::repeat_n(b'x', 5 << 20));
        big.extend_from_slice(br#""}}"#);
        let server = serving_tag(
            &img,
            Reply::status(200)
                .header("Content-Type", oci::MEDIA_MANIFEST)
                .body(big),
        );
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::BadManifest(_)), "{e:?}");
        assert!(e.to_string().contains("larger than 4194304 bytes"), "{e}");
        assert_eq!(blob_gets(&server), 0);
        assert_store_empty(&store);
    })
}

/// A manifest body that never ends: refused at the limit, not read forever.
#[test]
fn manifest_endless() {
    bounded(20, || {
        let img = TestImage::standard();
        let server = serving_tag(
            &img,
            Reply::Endless {
                status: 200,
                headers: vec![("Content-Type".into(), oci::MEDIA_MANIFEST.into())],
                chunk: b" ".repeat(64 * 1024),
            },
        );
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(e.to_string().contains("larger than"), "{e}");
        assert_store_empty(&store);
    })
}

#[test]
fn manifest_not_json() {
    bounded(20, || {
        let img = TestImage::standard();
        let server = serving_tag(
            &img,
            Reply::status(200)
                .header("Content-Type", "text/html")
                .body("<html><body>Welcome to our proxy</body></html>"),
        );
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::BadManifest(_)), "{e:?}");
        assert!(e.to_string().contains("not JSON"), "{e}");
        assert_store_empty(&store);
    })
}

#[test]
fn manifest_unknown_media_type() {
    bounded(20, || {
        let img = TestImage::standard();
        let server = serving_tag(
            &img,
            Reply::status(200)
                .header("Content-Type", "application/vnd.example.thing.v1+json")
                .body(r#"{"schemaVersion":2,"mediaType":"application/vnd.example.thing.v1+json"}"#),
        );
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::BadManifest(_)), "{e:?}");
        let msg = e.to_string();
        assert!(
            msg.contains("application/vnd.example.thing.v1+json"),
            "{msg}"
        );
        assert!(msg.contains("cannot pull"), "{msg}");
        assert_store_empty(&store);
    })
}

const SCHEMA1: &str = r#"{
   "schemaVersion": 1,
   "name": "library/hello",
   "tag": "latest",
   "architecture": "amd64",
   "fsLayers": [{"blobSum": "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"}],
   "history": [{"v1Compatibility": "{}"}],
   "signatures": []
}"#;

#[test]
fn manifest_schema1_signed() {
    bounded(20, || {
        let img = TestImage::standard();
        let server = serving_tag(
            &img,
            Reply::status(200)
                .header(
                    "Content-Type",
                    "application/vnd.docker.distribution.manifest.v1+prettyjws",
                )
                .body(SCHEMA1),
        );
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::BadManifest(_)), "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains("schema 1"), "{msg}");
        assert!(msg.contains("no longer supported"), "{msg}");
        assert_store_empty(&store);
    })
}

/// Old registries serve schema 1 as `application/json`.
#[test]
fn manifest_schema1_as_plain_json() {
    bounded(20, || {
        let img = TestImage::standard();
        let server = serving_tag(
            &img,
            Reply::status(200)
                .header("Content-Type", "application/json; charset=utf-8")
                .body(SCHEMA1),
        );
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(e.to_string().contains("schema 1"), "{e}");
        assert_store_empty(&store);
    })
}

fn platform_entry(manifest: &[u8], arch: &str, variant: Option<&str>) -> serde_json::Value {
    let mut p = serde_json::json!({"os": "linux", "architecture": arch});
    if let Some(v) = variant {
        p["variant"] = v.into();
    }
    serde_json::json!({
        "mediaType": oci::MEDIA_MANIFEST,
        "digest": Digest::of_bytes(manifest),
        "size": manifest.len(),
        "platform": p,
    })
}

#[test]
fn index_without_the_platform() {
    bounded(20, || {
        let img = TestImage::standard();
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": oci::MEDIA_INDEX,
            "manifests": [
                platform_entry(&img.manifest, "arm64", Some("v8")),
                platform_entry(&img.manifest, "s390x", None),
            ],
        }))
        .unwrap();
        let mut content = img.content();
        content.add_manifest(TAG, oci::MEDIA_INDEX, &index);
        let server = Server::start(move |req, _| content.serve(req));
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::NoMatchingPlatform { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(
            msg.starts_with("no matching manifest for linux/amd64 in the manifest list entries"),
            "{msg}"
        );
        assert!(msg.contains("linux/arm64/v8, linux/s390x"), "{msg}");
        // Nothing but the index was asked for.
        let fetched: Vec<_> = server
            .requests()
            .into_iter()
            .filter(|r| {
                r.path.contains(&img.manifest_digest.to_string()) || r.path.contains("/blobs/")
            })
            .collect();
        assert!(fetched.is_empty(), "{:?}", server.lines());
        assert_store_empty(&store);
    })
}

/// An index whose amd64 entry is fine pulls (the fixture itself is sane).
#[test]
fn index_with_the_platform_pulls() {
    bounded(20, || {
        let img = TestImage::standard();
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": oci::MEDIA_INDEX,
            "manifests": [
                platform_entry(b"{}", "arm64", Some("v8")),
                platform_entry(&img.manifest, "amd64", None),
            ],
        }))
        .unwrap();
        let mut content = img.content();
        let index_digest = content.add_manifest(TAG, oci::MEDIA_INDEX, &index);
        let server = Server::start(move |req, _| content.serve(req));
        let store = Store::new();
        let pulled = pull_from(&server, &store).unwrap();
        assert_eq!(pulled.digest, index_digest);
        assert_pulled(&store, &img, &pulled);
    })
}

/// Pull by digest: the registry sends other bytes.
#[test]
fn manifest_by_digest_mismatch() {
    bounded(20, || {
        let img = TestImage::standard();
        let mut content = img.content();
        let wanted = Digest::of_bytes(b"the manifest the user asked for");
        content.manifests.insert(
            wanted.to_string(),
            (oci::MEDIA_MANIFEST.into(), img.manifest.clone()),
        );
        let server = Server::start(move |req, _| content.serve(req));
        let store = Store::new();
        let reg = connect(&server, None).unwrap();
        let e = pull_ref(&reg, &store, &wanted.to_string()).unwrap_err();
        match &e {
            Error::DigestMismatch {
                expected, actual, ..
            } => {
                assert_eq!(*expected, wanted.to_string());
                assert_eq!(*actual, img.manifest_digest.to_string());
            }
            _ => panic!("{e:?}"),
        }
        assert_eq!(blob_gets(&server), 0);
        assert_store_empty(&store);
    })
}

/// By tag: the `HEAD` names one digest, the `GET` of that digest sends other bytes.
#[test]
fn manifest_head_digest_then_other_bytes() {
    bounded(20, || {
        let img = TestImage::standard();
        let mut content = img.content();
        let mut other = img.manifest.clone();
        other.push(b'\n');
        content.manifests.insert(
            img.manifest_digest.to_string(),
            (oci::MEDIA_MANIFEST.into(), other),
        );
        let server = Server::start(move |req, _| content.serve(req));
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::DigestMismatch { .. }), "{e:?}");
        assert_eq!(blob_gets(&server), 0);
        assert_store_empty(&store);
    })
}

/// By tag (no digest on `HEAD`): the `Docker-Content-Digest` of the `GET` does not match
/// its body.
#[test]
fn manifest_content_digest_header_mismatch() {
    bounded(20, || {
        let img = TestImage::standard();
        let server = serving_tag(
            &img,
            Reply::status(200)
                .header("Content-Type", oci::MEDIA_MANIFEST)
                .header(
                    "Docker-Content-Digest",
                    Digest::of_bytes(b"something else").to_string(),
                )
                .body(img.manifest.clone()),
        );
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::DigestMismatch { .. }), "{e:?}");
        assert_store_empty(&store);
    })
}

/// An index entry whose manifest does not hash to the entry's digest.
#[test]
fn index_child_digest_mismatch() {
    bounded(20, || {
        let img = TestImage::standard();
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": oci::MEDIA_INDEX,
            "manifests": [platform_entry(&img.manifest, "amd64", None)],
        }))
        .unwrap();
        let mut content = img.content();
        content.add_manifest(TAG, oci::MEDIA_INDEX, &index);
        let mut other = img.manifest.clone();
        other.push(b' ');
        content.manifests.insert(
            img.manifest_digest.to_string(),
            (oci::MEDIA_MANIFEST.into(), other),
        );
        let server = Server::start(move |req, _| content.serve(req));
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::DigestMismatch { .. }), "{e:?}");
        assert_eq!(blob_gets(&server), 0);
        assert_store_empty(&store);
    })
}

/// The manifest lists more layers than its configuration has diff IDs.
#[test]
fn manifest_and_config_disagree() {
    bounded(20, || {
        let base = TestImage::standard();
        let img = TestImage::from_layers(
            base.layers.clone(),
            vec![base.diff_ids[0].clone()],
            oci::MEDIA_LAYER_GZIP,
        );
        let content = img.content();
        let server = Server::start(move |req, _| content.serve(req));
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::BadManifest(_)), "{e:?}");
        assert!(e.to_string().contains("diff IDs"), "{e}");
        assert_store_empty(&store);
    })
}

/// A layer digest of another algorithm (berth takes sha256 only): a clean error.
#[test]
fn manifest_with_sha512_layer() {
    bounded(20, || {
        let img = TestImage::standard();
        let text = String::from_utf8(img.manifest.clone()).unwrap();
        let bad = text.replacen(
            &img.layer_digests[0].to_string(),
            &format!("sha512:{}", "ab".repeat(64)),
            1,
        );
        let server = serving_tag(
            &img,
            Reply::status(200)
                .header("Content-Type", oci::MEDIA_MANIFEST)
                .body(bad),
        );
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::BadManifest(_)), "{e:?}");
        assert_eq!(blob_gets(&server), 0);
        assert_store_empty(&store);
    })
}

/// A configuration the manifest says is huge is not fetched.
#[test]
fn config_too_large() {
    bounded(20, || {
        let img = TestImage::standard();
        let text = String::from_utf8(img.manifest.clone()).unwrap();
        let bad = text.replacen(
            &format!("\"size\":{}", img.config.len()),
            "\"size\":1073741824",
            1,
        );
        assert_ne!(bad, text);
        let server = serving_tag(
            &img,
            Reply::status(200)
                .header("Content-Type", oci::MEDIA_MANIFEST)
                .body(bad),
        );
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::BadManifest(_)), "{e:?}");
        assert!(e.to_string().contains("1073741824"), "{e}");
        assert_eq!(blob_gets(&server), 0);
        assert_store_empty(&store);
    })
}

/// An error response whose body never ends: the error is still reported.
#[test]
fn endless_error_body() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let server = Server::start(move |req, _| {
            if req.path.contains("/manifests/") {
                return Reply::Endless {
                    status: 404,
                    headers: Vec::new(),
                    chunk: b"x".repeat(64 * 1024),
                };
            }
            content.serve(req)
        });
        let store = Store::new();
        let reg = connect(&server, None).unwrap();
        let d = Digest::of_bytes(b"x").to_string();
        let e = pull_ref(&reg, &store, &d).unwrap_err();
        assert!(matches!(e, Error::Registry { status: 404, .. }), "{e:?}");
        assert_store_empty(&store);
    })
}
