//! Pulls from a registry that sends bad blobs or breaks connections: every failure is a clean
//! error that leaves nothing under a name in the store, and the recoverable faults (a reset
//! connection, a server ignoring `Range`, a redirect) end in a good pull.

mod fake_registry;

use berth_registry::Error;
use berth_store::oci;
use berth_store::Digest;
use fake_registry::*;

/// A baseline: the fake registry and fixtures pull fine.
#[test]
fn clean_pull_works() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let server = Server::start(move |req, _| content.serve(req));
        let store = Store::new();
        let pulled = pull_from(&server, &store).unwrap();
        assert_pulled(&store, &img, &pulled);
        assert!(pulled.downloaded);
        // Again: everything is there, only the manifest is asked for.
        let before = server.requests().len();
        let again = pull_from(&server, &store).unwrap();
        assert!(!again.downloaded);
        let blob_gets = server.requests()[before..]
            .iter()
            .filter(|r| r.path.contains("/blobs/"))
            .count();
        assert_eq!(blob_gets, 0, "{:?}", server.lines());
    })
}

/// The layer's content differs from its digest (same size).
#[test]
fn wrong_blob_digest() {
    bounded(20, || {
        let img = TestImage::standard();
        let mut content = img.content();
        let bad = img.layer_digests[1].to_string();
        let mut bytes = img.layers[1].clone();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        content.blobs.insert(bad.clone(), bytes);
        let server = Server::start(move |req, _| content.serve(req));
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::DigestMismatch { .. }), "{e:?}");
        assert!(e.to_string().contains("digest mismatch"), "{e}");
        assert!(e.to_string().contains(&bad), "{e}");
        store.assert_clean(
            &[
                &img.layer_digests[1],
                &img.config_digest,
                &img.manifest_digest,
            ],
            &[&chain(&img, 1)],
        );
        store.assert_no_partial();
        let content = img.content();
        let healthy = Server::start(move |req, _| content.serve(req));
        let pulled = pull_from(&healthy, &store).unwrap();
        assert_pulled(&store, &img, &pulled);
    })
}

/// The registry sends fewer bytes than the descriptor says (a whole, well-framed response):
/// resumed a bounded number of times, then an error.
#[test]
fn blob_shorter_than_descriptor() {
    bounded(20, || {
        let img = TestImage::standard();
        let mut content = img.content();
        let d = img.layer_digests[1].clone();
        let short = img.layers[1][..img.layers[1].len() - 100].to_vec();
        content.blobs.insert(d.to_string(), short);
        let server = Server::start(move |req, _| content.serve(req));
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("of {} bytes", img.layers[1].len())),
            "{msg}"
        );
        let gets = server.count(|r| is_blob_get(r, &d));
        assert!(
            (2..=20).contains(&gets),
            "{gets} GETs: {:?}",
            server.lines()
        );
        store.assert_clean(
            &[&d, &img.config_digest, &img.manifest_digest],
            &[&chain(&img, 1)],
        );
    })
}

/// The registry sends more bytes than the descriptor says: cut off, an error.
#[test]
fn blob_longer_than_descriptor() {
    bounded(20, || {
        let img = TestImage::standard();
        let mut content = img.content();
        let d = img.layer_digests[1].clone();
        let mut long = img.layers[1].clone();
        long.extend_from_slice(&[0u8; 4096]);
        content.blobs.insert(d.to_string(), long);
        let server = Server::start(move |req, _| content.serve(req));
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::DigestMismatch { .. }), "{e:?}");
        assert!(e.to_string().contains("more than"), "{e}");
        store.assert_clean(
            &[&d, &img.config_digest, &img.manifest_digest],
            &[&chain(&img, 1)],
        );
        // The store is not poisoned: a pull from a healthy registry works.
        let content = img.content();
        let healthy = Server::start(move |req, _| content.serve(req));
        let pulled = pull_from(&healthy, &store).unwrap();
        assert_pulled(&store, &img, &pulled);
    })
}

/// A blob body that never ends (no Content-Length, the server keeps sending): the client
/// stops after the descriptor's size instead of reading forever.
#[test]
fn endless_blob_is_cut_off() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let d = img.layer_digests[1].clone();
        let dd = d.clone();
        let server = Server::start(move |req, _| {
            if is_blob_get(req, &dd) {
                return Reply::Endless {
                    status: 200,
                    headers: vec![("Content-Type".into(), "application/octet-stream".into())],
                    chunk: vec![0x5a; 64 * 1024],
                };
            }
            content.serve(req)
        });
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::DigestMismatch { .. }), "{e:?}");
        assert_eq!(server.count(|r| is_blob_get(r, &d)), 1);
        store.assert_clean(
            &[&d, &img.config_digest, &img.manifest_digest],
            &[&chain(&img, 1)],
        );
        // What was kept for a resume is at most the blob's size.
        if let Ok(m) = std::fs::metadata(store.root().join("partial").join(d.hex())) {
            assert!(m.len() <= img.layers[1].len() as u64);
        }
    })
}

fn image_with_layer(blob: Vec<u8>, diff_id: Digest) -> TestImage {
    TestImage::from_layers(vec![blob], vec![diff_id], oci::MEDIA_LAYER_GZIP)
}

/// A gzip layer cut short (its digest is right: the registry has the broken blob).
#[test]
fn truncated_gzip_layer() {
    bounded(20, || {
        let tar = tar_of(&[("big.bin", &noise(200 * 1024, 3))]);
        let gz = gzip(&tar);
        let cut = gz[..gz.len() / 2].to_vec();
        let img = image_with_layer(cut, Digest::of_bytes(&tar));
        let content = img.content();
        let server = Server::start(move |req, _| content.serve(req));
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::Store(_)), "{e:?}");
        assert!(e.to_string().contains("truncated"), "{e}");
        store.assert_clean(
            &[&img.config_digest, &img.manifest_digest],
            &[&chain(&img, 0)],
        );
        assert!(store.entries("layers").is_empty());
        store.assert_no_partial();
    })
}

/// A gzip layer with garbage in the middle of the deflate stream.
#[test]
fn corrupt_gzip_layer() {
    bounded(20, || {
        let tar = tar_of(&[("big.bin", &noise(200 * 1024, 4))]);
        let mut gz = gzip(&tar);
        for b in &mut gz[100..400] {
            *b = 0xff;
        }
        let img = image_with_layer(gz, Digest::of_bytes(&tar));
        let content = img.content();
        let server = Server::start(move |req, _| content.serve(req));
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::Store(_)), "{e:?}");
        store.assert_clean(
            &[&img.config_digest, &img.manifest_digest],
            &[&chain(&img, 0)],
        );
        assert!(store.entries("layers").is_empty());
    })
}

/// The layer unpacks fine but is not the layer the configuration names.
#[test]
fn layer_diff_id_mismatch() {
    bounded(20, || {
        let tar = tar_of(&[("a.txt", b"aaa")]);
        let other = Digest::of_bytes(b"some other layer");
        let img = image_with_layer(gzip(&tar), other.clone());
        let content = img.content();
        let server = Server::start(move |req, _| content.serve(req));
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        match &e {
            Error::DigestMismatch {
                what,
                expected,
                actual,
            } => {
                assert!(what.contains("uncompressed"), "{e}");
                assert_eq!(*expected, other.to_string());
                assert_eq!(*actual, Digest::of_bytes(&tar).to_string());
            }
            _ => panic!("{e:?}"),
        }
        store.assert_clean(
            &[&img.config_digest, &img.manifest_digest],
            &[&chain(&img, 0)],
        );
        assert!(store.entries("layers").is_empty());
    })
}

/// The configuration blob's content differs from its digest.
#[test]
fn wrong_config_digest() {
    bounded(20, || {
        let img = TestImage::standard();
        let mut content = img.content();
        let mut cfg = img.config.clone();
        cfg[0] = b' ';
        content.blobs.insert(img.config_digest.to_string(), cfg);
        let server = Server::start(move |req, _| content.serve(req));
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::DigestMismatch { .. }), "{e:?}");
        store.assert_clean(
            &[&img.config_digest, &img.manifest_digest],
            &[&chain(&img, 0)],
        );
        assert!(store.entries("layers").is_empty());
        assert_eq!(server.count(|r| r.path.contains("/blobs/sha256")), 1);
    })
}

/// The connection closes mid-blob (a FIN before Content-Length is reached): the download
/// resumes with `Range: bytes=N-` from where it broke.
#[test]
fn closed_mid_blob_resumes_with_range() {
    bounded(20, || resumes_after_cut(false))
}

/// The same with a TCP reset.
#[test]
fn reset_mid_blob_resumes_with_range() {
    bounded(20, || resumes_after_cut(true))
}

fn resumes_after_cut(reset: bool) {
    let img = TestImage::standard();
    let content = img.content();
    let d = img.layer_digests[1].clone();
    let full = img.layers[1].clone();
    let cut_at = 100_000usize;
    let first = Counter::default();
    let dd = d.clone();
    let server = Server::start(move |req, _| {
        if is_blob_get(req, &dd) && first.bump() == 0 {
            return Reply::Cut {
                status: 200,
                headers: vec![("Content-Type".into(), "application/octet-stream".into())],
                content_length: full.len() as u64,
                body: full[..cut_at].to_vec(),
                reset,
            };
        }
        content.serve(req)
    });
    let store = Store::new();
    let pulled = pull_from(&server, &store).unwrap();
    assert_pulled(&store, &img, &pulled);
    let gets: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| is_blob_get(r, &d))
        .collect();
    assert_eq!(gets.len(), 2, "{:?}", server.lines());
    assert_eq!(gets[0].header("range"), None);
    assert_eq!(
        gets[1].header("range"),
        Some(format!("bytes={cut_at}-").as_str())
    );
}

/// The connection closes mid-blob every time: bounded resumes, then an error (the partial
/// download is kept for a later pull, nothing is named in the store).
#[test]
fn always_cut_gives_up() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let d = img.layer_digests[1].clone();
        let full = img.layers[1].clone();
        let dd = d.clone();
        let server = Server::start(move |req, _| {
            if is_blob_get(req, &dd) {
                let start = range_start(req).unwrap_or(0) as usize;
                return Reply::Cut {
                    status: if start > 0 { 206 } else { 200 },
                    headers: vec![(
                        "Content-Range".into(),
                        format!("bytes {start}-{}/{}", full.len() - 1, full.len()),
                    )],
                    content_length: (full.len() - start) as u64,
                    body: full[start..(start + 1000).min(full.len() - 1)].to_vec(),
                    reset: false,
                };
            }
            content.serve(req)
        });
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::Transport { .. }), "{e:?}");
        let gets = server.count(|r| is_blob_get(r, &d));
        assert!((2..=10).contains(&gets), "{gets}: {:?}", server.lines());
        store.assert_clean(
            &[&d, &img.config_digest, &img.manifest_digest],
            &[&chain(&img, 1)],
        );
        // The next pull from a healthy registry resumes the partial download and succeeds.
        let content = img.content();
        let healthy = Server::start(move |req, _| content.serve(req));
        let pulled = pull_from(&healthy, &store).unwrap();
        assert_pulled(&store, &img, &pulled);
        let gets: Vec<_> = healthy
            .requests()
            .into_iter()
            .filter(|r| is_blob_get(r, &d))
            .collect();
        assert_eq!(gets.len(), 1);
        assert!(gets[0].header("range").is_some(), "{:?}", gets[0]);
    })
}

/// After a broken connection the server ignores `Range` and sends the whole blob (200): the
/// download starts over and succeeds.
#[test]
fn range_ignored_restarts() {
    bounded(20, || {
        let img = TestImage::standard();
        let d = img.layer_digests[1].clone();
        let full = img.layers[1].clone();
        let content = img.content();
        let first = Counter::default();
        let dd = d.clone();
        let server = Server::start(move |req, _| {
            if is_blob_get(req, &dd) {
                if first.bump() == 0 {
                    return Reply::Cut {
                        status: 200,
                        headers: Vec::new(),
                        content_length: full.len() as u64,
                        body: full[..50_000].to_vec(),
                        reset: false,
                    };
                }
                // No Range support at all.
                return Reply::status(200).body(full.clone());
            }
            content.serve(req)
        });
        let store = Store::new();
        let pulled = pull_from(&server, &store).unwrap();
        assert_pulled(&store, &img, &pulled);
        let gets: Vec<_> = server
            .requests()
            .into_iter()
            .filter(|r| is_blob_get(r, &d))
            .collect();
        assert!((2..=3).contains(&gets.len()), "{:?}", server.lines());
        assert_eq!(gets[1].header("range"), Some("bytes=50000-"));
    })
}

/// A 206 whose `Content-Range` starts elsewhere than asked: started over, not spliced.
#[test]
fn wrong_content_range_restarts() {
    bounded(20, || {
        let img = TestImage::standard();
        let d = img.layer_digests[1].clone();
        let full = img.layers[1].clone();
        let content = img.content();
        let first = Counter::default();
        let dd = d.clone();
        let server = Server::start(move |req, _| {
            if is_blob_get(req, &dd) {
                if first.bump() == 0 {
                    return Reply::Cut {
                        status: 200,
                        headers: Vec::new(),
                        content_length: full.len() as u64,
                        body: full[..50_000].to_vec(),
                        reset: false,
                    };
                }
                if range_start(req).is_some() {
                    let len = full.len();
                    return Reply::status(206)
                        .header("Content-Range", format!("bytes 10-{}/{len}", len - 1))
                        .body(full[10..].to_vec());
                }
            }
            content.serve(req)
        });
        let store = Store::new();
        let pulled = pull_from(&server, &store).unwrap();
        assert_pulled(&store, &img, &pulled);
    })
}

/// Blobs redirected (307) to another path, as registries do to their storage: followed, and
/// the registry's `Authorization` is not sent to the storage.
#[test]
fn blob_redirect_is_followed() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let server = Server::start(move |req, base| {
            if req.method == "GET" && req.path.contains("/blobs/sha256:") {
                let digest = req.path.rsplit('/').next().unwrap();
                return Reply::status(307)
                    .header("Location", format!("{base}/storage/{digest}?sig=abc"));
            }
            if let Some(digest) = req.path.strip_prefix("/storage/") {
                return match content.blobs.get(digest) {
                    Some(b) => serve_bytes(req, b),
                    None => Reply::status(404),
                };
            }
            content.serve(req)
        });
        let store = Store::new();
        let pulled = pull_from(&server, &store).unwrap();
        assert_pulled(&store, &img, &pulled);
        let storage = server.count(|r| r.path.starts_with("/storage/") && r.query == "sig=abc");
        assert_eq!(storage, 3, "{:?}", server.lines());
    })
}

/// A redirect that resumes: the `Range` header survives the redirect.
#[test]
fn redirected_blob_resumes_with_range() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let d = img.layer_digests[1].clone();
        let full = img.layers[1].clone();
        let first = Counter::default();
        let server = Server::start(move |req, base| {
            if req.method == "GET" && req.path.contains("/blobs/sha256:") {
                let digest = req.path.rsplit('/').next().unwrap();
                return Reply::status(307).header("Location", format!("{base}/storage/{digest}"));
            }
            if let Some(digest) = req.path.strip_prefix("/storage/") {
                if digest == full_digest(&full) && first.bump() == 0 {
                    return Reply::Cut {
                        status: 200,
                        headers: Vec::new(),
                        content_length: full.len() as u64,
                        body: full[..70_000].to_vec(),
                        reset: false,
                    };
                }
                return serve_bytes(req, &content.blobs[digest]);
            }
            content.serve(req)
        });
        let store = Store::new();
        let pulled = pull_from(&server, &store).unwrap();
        assert_pulled(&store, &img, &pulled);
        let ranged = server.count(|r| {
            r.path == format!("/storage/{d}") && r.header("range") == Some("bytes=70000-")
        });
        assert_eq!(ranged, 1, "{:?}", server.lines());
    })
}

fn full_digest(b: &[u8]) -> String {
    Digest::of_bytes(b).to_string()
}

/// A redirect loop: a clear error, in bounded time.
#[test]
fn blob_redirect_loop_fails() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let server = Server::start(move |req, base| {
            if req.method == "GET" && req.path.contains("/blobs/sha256:") {
                return Reply::status(307).header("Location", format!("{base}/storage/a"));
            }
            if req.path == "/storage/a" {
                return Reply::status(307).header("Location", format!("{base}/storage/b"));
            }
            if req.path == "/storage/b" {
                return Reply::status(307).header("Location", "/storage/a");
            }
            content.serve(req)
        });
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(e.to_string().contains("redirect"), "{e}");
        let storage = server.count(|r| r.path.starts_with("/storage/"));
        assert!(storage <= 50, "{storage} redirects followed");
        store.assert_clean(
            &[&img.config_digest, &img.manifest_digest],
            &[&chain(&img, 0)],
        );
        assert!(store.entries("layers").is_empty());
    })
}

/// A server that answers every blob request with a 206 whose `Content-Range` is not the
/// range asked for (here: none was asked for): an error, not an endless restart loop.
#[test]
fn bogus_partial_content_is_bounded() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let d = img.layer_digests[1].clone();
        let full = img.layers[1].clone();
        let dd = d.clone();
        let server = Server::start(move |req, _| {
            if is_blob_get(req, &dd) {
                let len = full.len();
                return Reply::status(206)
                    .header("Content-Range", format!("bytes 10-{}/{len}", len - 1))
                    .body(full[10..].to_vec());
            }
            content.serve(req)
        });
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        let gets = server.count(|r| is_blob_get(r, &d));
        assert!(gets <= 3, "{gets} GETs");
        assert!(e.to_string().contains("206"), "{e}");
        store.assert_clean(
            &[&d, &img.config_digest, &img.manifest_digest],
            &[&chain(&img, 1)],
        );
    })
}
