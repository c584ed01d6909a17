//! Pushes to a scripted registry: blobs it has are skipped after a `HEAD`, blobs another
//! repository has are mounted, the rest go up in one monolithic `PUT` to the upload
//! session's `Location`, and the manifest is `PUT` last with its media type. Refusals are
//! clean errors, and no manifest is pushed after a failed blob.

mod fake_registry;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use berth_registry::client::Registry;
use berth_registry::progress::Silent;
use berth_registry::push::{push, PushRequest, Pushed};
use berth_registry::Error;
use berth_store::oci;
use berth_store::Digest;
use fake_registry::*;

const BASE_REPO: &str = "library/base";

/// A pushed manifest: its `Content-Type` and bytes.
type PushedManifest = (String, Vec<u8>);

/// What the fake registry holds, per repository.
#[derive(Default)]
struct Held {
    /// repository -> blob digests.
    blobs: Mutex<HashMap<String, HashSet<String>>>,
    /// (repository, reference) -> (content type, bytes).
    manifests: Mutex<HashMap<(String, String), PushedManifest>>,
    uploads: Counter,
    /// upload id -> bytes received by `PATCH` so far.
    sessions: Mutex<HashMap<String, Vec<u8>>>,
}

impl Held {
    fn give(&self, repo: &str, d: &Digest) {
        self.blobs
            .lock()
            .unwrap()
            .entry(repo.into())
            .or_default()
            .insert(d.to_string());
    }

    fn has(&self, repo: &str, d: &str) -> bool {
        self.blobs
            .lock()
            .unwrap()
            .get(repo)
            .is_some_and(|s| s.contains(d))
    }
}

/// How the fake registry hands out upload locations.
#[derive(Clone, Copy, PartialEq)]
enum Location {
    /// `/v2/<repo>/blobs/uploads/<id>?_state=s<id>`
    Relative,
    /// `http://127.0.0.1:PORT/upload-elsewhere/<id>` (no query)
    Absolute,
    /// None at all (a broken registry).
    Missing,
}

/// A registry implementing the push side of the distribution API, with `fault` consulted
/// first for each request.
fn push_registry(
    held: Arc<Held>,
    location: Location,
    fault: impl Fn(&Req) -> Option<Reply> + Send + Sync + 'static,
) -> Server {
    Server::start(move |req, base| {
        if let Some(r) = fault(req) {
            return r;
        }
        if req.path == "/v2/" {
            return Reply::status(200);
        }
        let path = req.path.as_str();
        // Uploads: start (maybe a mount), then the monolithic PUT.
        if let Some(repo) = path
            .strip_prefix("/v2/")
            .and_then(|p| p.strip_suffix("/blobs/uploads/"))
        {
            if req.method != "POST" {
                return Reply::status(405);
            }
            if let (Some(d), Some(from)) = (req.query("mount"), req.query("from")) {
                if held.has(&from, &d) {
                    held.give(repo, &d.parse().unwrap());
                    return Reply::status(201)
                        .header("Location", format!("/v2/{repo}/blobs/{d}"))
                        .header("Docker-Content-Digest", d);
                }
            }
            let id = held.uploads.bump();
            let loc = match location {
                Location::Relative => format!("/v2/{repo}/blobs/uploads/{id}?_state=s{id}"),
                Location::Absolute => format!("{base}/upload-elsewhere/{repo}/{id}"),
                Location::Missing => return Reply::status(202),
            };
            return Reply::status(202)
                .header("Location", loc)
                .header("Docker-Upload-UUID", id.to_string());
        }
        let upload_repo = path
            .strip_prefix("/v2/")
            .and_then(|p| p.split_once("/blobs/uploads/"))
            .map(|(r, _)| r.to_string())
            .or_else(|| {
                path.strip_prefix("/upload-elsewhere/")
                    .and_then(|p| p.rsplit_once('/'))
                    .map(|(r, _)| r.to_string())
            });
        if let Some(repo) = upload_repo {
            let id = path.rsplit('/').next().unwrap_or("").to_string();
            let mut sessions = held.sessions.lock().unwrap();
            let data = sessions.entry(id.clone()).or_default();
            if req.method == "PATCH" {
                let expected = format!("{}-{}", data.len(), data.len() + req.body.len() - 1);
                if req.header("content-range") != Some(expected.as_str()) {
                    return Reply::error(416, "BLOB_UPLOAD_INVALID", "bad range");
                }
                data.extend_from_slice(&req.body);
                return Reply::status(202)
                    .header("Location", format!("{path}?_state=after{}", data.len()))
                    .header("Range", format!("0-{}", data.len() - 1));
            }
            if req.method != "PUT" {
                return Reply::status(405);
            }
            let Some(d) = req.query("digest") else {
                return Reply::error(400, "DIGEST_INVALID", "no digest");
            };
            let mut whole = std::mem::take(data);
            whole.extend_from_slice(&req.body);
            if Digest::of_bytes(&whole).to_string() != d {
                return Reply::error(
                    400,
                    "DIGEST_INVALID",
                    "provided digest did not match uploaded content",
                );
            }
            held.give(&repo, &d.parse().unwrap());
            return Reply::status(201)
                .header("Location", format!("/v2/{repo}/blobs/{d}"))
                .header("Docker-Content-Digest", d);
        }
        if let Some((repo, d)) = path
            .strip_prefix("/v2/")
            .and_then(|p| p.split_once("/blobs/"))
        {
            if req.method == "HEAD" {
                return if held.has(repo, d) {
                    Reply::status(200).header("Docker-Content-Digest", d)
                } else {
                    Reply::status(404)
                };
            }
            return Reply::status(405);
        }
        if let Some((repo, reference)) = path
            .strip_prefix("/v2/")
            .and_then(|p| p.split_once("/manifests/"))
        {
            if req.method == "PUT" {
                let ct = req.header("content-type").unwrap_or("").to_string();
                held.manifests
                    .lock()
                    .unwrap()
                    .insert((repo.into(), reference.into()), (ct, req.body.clone()));
                let d = Digest::of_bytes(&req.body).to_string();
                return Reply::status(201)
                    .header("Location", format!("/v2/{repo}/manifests/{d}"))
                    .header("Docker-Content-Digest", d);
            }
        }
        Reply::error(404, "NOT_FOUND", "no such thing")
    })
}

/// A store holding `img`'s blobs.
fn store_with(img: &TestImage) -> Store {
    let store = Store::new();
    store.blobs.put_bytes(&img.config).unwrap();
    for l in &img.layers {
        store.blobs.put_bytes(l).unwrap();
    }
    store
}

fn push_img(
    reg: &Registry,
    store: &Store,
    img: &TestImage,
    media_type: &str,
    mount_from: &[&str],
) -> berth_registry::Result<Pushed> {
    push(
        reg,
        &PushRequest {
            repository: REPO,
            reference: TAG,
            manifest: &img.manifest,
            media_type,
            config: img.config_desc(),
            layers: (0..img.layers.len()).map(|i| img.layer_desc(i)).collect(),
            mount_from: mount_from.iter().map(|s| s.to_string()).collect(),
            jobs: 2,
        },
        &store.blobs,
        &Silent,
    )
}

fn all_blobs(img: &TestImage) -> Vec<(Digest, Vec<u8>)> {
    let mut v = vec![(img.config_digest.clone(), img.config.clone())];
    for (d, l) in img.layer_digests.iter().zip(&img.layers) {
        v.push((d.clone(), l.clone()));
    }
    v
}

fn manifest_puts(server: &Server) -> Vec<Req> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.path.contains("/manifests/"))
        .collect()
}

fn blob_puts(server: &Server) -> Vec<Req> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && !r.path.contains("/manifests/"))
        .collect()
}

#[test]
fn monolithic_upload_then_manifest() {
    bounded(20, || {
        let img = TestImage::standard();
        let held = Arc::new(Held::default());
        let server = push_registry(held.clone(), Location::Relative, |_| None);
        let store = store_with(&img);
        let reg = connect(&server, None).unwrap();
        let pushed = push_img(&reg, &store, &img, oci::MEDIA_MANIFEST, &[]).unwrap();
        assert_eq!(pushed.digest, img.manifest_digest);
        assert_eq!(pushed.size, img.manifest.len() as u64);

        // Each blob: a HEAD (404), a POST, a PUT of the whole blob to the Location with the
        // session's query kept and the digest added.
        let puts = blob_puts(&server);
        assert_eq!(puts.len(), 3, "{:?}", server.lines());
        for (d, bytes) in all_blobs(&img) {
            assert_eq!(
                server.count(|r| r.method == "HEAD" && r.path == format!("/v2/{REPO}/blobs/{d}")),
                1
            );
            let put = puts
                .iter()
                .find(|p| p.query("digest") == Some(d.to_string()))
                .unwrap_or_else(|| panic!("no PUT of {d}: {:?}", server.lines()));
            assert!(put.path.starts_with(&format!("/v2/{REPO}/blobs/uploads/")));
            assert!(
                put.query("_state").is_some_and(|s| s.starts_with('s')),
                "{put:?}"
            );
            assert_eq!(put.body, bytes);
            assert_eq!(
                put.header("content-length"),
                Some(bytes.len().to_string().as_str())
            );
            assert_eq!(put.header("content-type"), Some("application/octet-stream"));
            assert!(held.has(REPO, &d.to_string()));
        }
        assert_eq!(
            server.count(|r| r.method == "POST" && r.path == format!("/v2/{REPO}/blobs/uploads/")),
            3
        );
        assert_eq!(server.count(|r| r.method == "PATCH"), 0);

        // The manifest last, with its media type.
        let m = manifest_puts(&server);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].path, format!("/v2/{REPO}/manifests/{TAG}"));
        assert_eq!(m[0].header("content-type"), Some(oci::MEDIA_MANIFEST));
        assert_eq!(m[0].body, img.manifest);
        let last = server.requests().pop().unwrap();
        assert_eq!(last.path, m[0].path, "{:?}", server.lines());
    })
}

#[test]
fn docker_media_type_is_the_content_type() {
    bounded(20, || {
        let img = TestImage::standard();
        let held = Arc::new(Held::default());
        let server = push_registry(held.clone(), Location::Relative, |_| None);
        let store = store_with(&img);
        let reg = connect(&server, None).unwrap();
        push_img(&reg, &store, &img, oci::MEDIA_DOCKER_MANIFEST, &[]).unwrap();
        let m = manifest_puts(&server);
        assert_eq!(
            m[0].header("content-type"),
            Some(oci::MEDIA_DOCKER_MANIFEST)
        );
        let stored = held.manifests.lock().unwrap()[&(REPO.to_string(), TAG.to_string())].clone();
        assert_eq!(
            stored,
            (oci::MEDIA_DOCKER_MANIFEST.to_string(), img.manifest.clone())
        );
    })
}

#[test]
fn existing_blobs_are_skipped() {
    bounded(20, || {
        let img = TestImage::standard();
        let held = Arc::new(Held::default());
        for (d, _) in all_blobs(&img) {
            held.give(REPO, &d);
        }
        let server = push_registry(held.clone(), Location::Relative, |_| None);
        let store = store_with(&img);
        let reg = connect(&server, None).unwrap();
        push_img(&reg, &store, &img, oci::MEDIA_MANIFEST, &[BASE_REPO]).unwrap();
        assert_eq!(
            server.count(|r| r.method == "HEAD"),
            3,
            "{:?}",
            server.lines()
        );
        assert_eq!(
            server.count(|r| r.method == "POST"),
            0,
            "{:?}",
            server.lines()
        );
        assert!(blob_puts(&server).is_empty());
        assert_eq!(manifest_puts(&server).len(), 1);
    })
}

/// The layers are in another repository: mounted (201), not uploaded. The config is not:
/// the mount's 202 starts an upload, and its `Location` is used for the `PUT`.
#[test]
fn mount_from_another_repository() {
    bounded(20, || {
        let img = TestImage::standard();
        let held = Arc::new(Held::default());
        for d in &img.layer_digests {
            held.give(BASE_REPO, d);
        }
        let server = push_registry(held.clone(), Location::Relative, |_| None);
        let store = store_with(&img);
        let reg = connect(&server, None).unwrap();
        push_img(&reg, &store, &img, oci::MEDIA_MANIFEST, &[BASE_REPO, REPO]).unwrap();
        for d in &img.layer_digests {
            let mounts = server.count(|r| {
                r.method == "POST"
                    && r.query("mount") == Some(d.to_string())
                    && r.query("from").as_deref() == Some(BASE_REPO)
            });
            assert_eq!(mounts, 1, "{:?}", server.lines());
            assert!(held.has(REPO, &d.to_string()));
        }
        // No mount from the repository itself.
        assert_eq!(
            server.count(|r| r.query("from").as_deref() == Some(REPO)),
            0
        );
        let puts = blob_puts(&server);
        assert_eq!(puts.len(), 1, "{:?}", server.lines());
        assert_eq!(puts[0].query("digest"), Some(img.config_digest.to_string()));
        // The config's upload came from the mount attempt: one POST for it, not two.
        let config_posts = server.count(|r| {
            r.method == "POST"
                && (r.query("mount") == Some(img.config_digest.to_string())
                    || r.query("mount").is_none())
        });
        assert_eq!(config_posts, 1, "{:?}", server.lines());
        assert_eq!(manifest_puts(&server).len(), 1);
    })
}

/// An absolute upload `Location` without a query: the digest goes in a new query.
#[test]
fn absolute_upload_location() {
    bounded(20, || {
        let img = TestImage::standard();
        let held = Arc::new(Held::default());
        let server = push_registry(held.clone(), Location::Absolute, |_| None);
        let store = store_with(&img);
        let reg = connect(&server, None).unwrap();
        push_img(&reg, &store, &img, oci::MEDIA_MANIFEST, &[]).unwrap();
        let puts = blob_puts(&server);
        assert_eq!(puts.len(), 3);
        for p in puts {
            assert!(p.path.starts_with("/upload-elsewhere/"), "{p:?}");
            assert!(p.query.starts_with("digest=sha256"), "{p:?}");
        }
    })
}

#[test]
fn upload_without_location_fails() {
    bounded(20, || {
        let img = TestImage::standard();
        let held = Arc::new(Held::default());
        let server = push_registry(held, Location::Missing, |_| None);
        let store = store_with(&img);
        let reg = connect(&server, None).unwrap();
        let e = push_img(&reg, &store, &img, oci::MEDIA_MANIFEST, &[]).unwrap_err();
        assert!(e.to_string().contains("no Location"), "{e}");
        assert!(manifest_puts(&server).is_empty());
    })
}

#[test]
fn upload_refused() {
    bounded(20, || {
        let img = TestImage::standard();
        let held = Arc::new(Held::default());
        let server = push_registry(held, Location::Relative, |r| {
            (r.method == "POST")
                .then(|| Reply::error(403, "DENIED", "requested access to the resource is denied"))
        });
        let store = store_with(&img);
        let reg = connect(&server, None).unwrap();
        let e = push_img(&reg, &store, &img, oci::MEDIA_MANIFEST, &[]).unwrap_err();
        assert!(matches!(e, Error::Registry { status: 403, .. }), "{e:?}");
        assert!(e.to_string().starts_with("denied:"), "{e}");
        assert!(manifest_puts(&server).is_empty());
    })
}

/// The blob `PUT` fails with 500 every time: bounded retries, each sending the whole blob
/// again; no manifest.
#[test]
fn blob_put_server_error_is_bounded() {
    bounded(20, || {
        let img = TestImage::standard();
        let held = Arc::new(Held::default());
        let server = push_registry(held, Location::Relative, |r| {
            (r.method == "PUT" && r.path.contains("/blobs/uploads/"))
                .then(|| Reply::status(500).header("Retry-After", "0"))
        });
        let store = store_with(&img);
        let reg = connect(&server, None).unwrap();
        let e = push_img(&reg, &store, &img, oci::MEDIA_MANIFEST, &[]).unwrap_err();
        assert!(matches!(e, Error::Registry { status: 500, .. }), "{e:?}");
        let puts = blob_puts(&server);
        assert!(!puts.is_empty() && puts.len() <= 12, "{:?}", server.lines());
        let blobs: HashMap<String, Vec<u8>> = all_blobs(&img)
            .into_iter()
            .map(|(d, b)| (d.to_string(), b))
            .collect();
        for p in &puts {
            assert_eq!(
                p.body,
                blobs[&p.query("digest").unwrap()],
                "a retry sent other bytes"
            );
        }
        assert!(manifest_puts(&server).is_empty());
    })
}

/// The registry rejects the blob's digest (400 DIGEST_INVALID).
#[test]
fn blob_digest_rejected() {
    bounded(20, || {
        let img = TestImage::standard();
        let held = Arc::new(Held::default());
        let server = push_registry(held, Location::Relative, |r| {
            (r.method == "PUT" && r.path.contains("/blobs/uploads/")).then(|| {
                Reply::error(
                    400,
                    "DIGEST_INVALID",
                    "provided digest did not match uploaded content",
                )
            })
        });
        let store = store_with(&img);
        let reg = connect(&server, None).unwrap();
        let e = push_img(&reg, &store, &img, oci::MEDIA_MANIFEST, &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "digest invalid: provided digest did not match uploaded content"
        );
        assert!(manifest_puts(&server).is_empty());
    })
}

#[test]
fn manifest_refused() {
    bounded(20, || {
        let img = TestImage::standard();
        let held = Arc::new(Held::default());
        let server = push_registry(held, Location::Relative, |r| {
            (r.method == "PUT" && r.path.contains("/manifests/"))
                .then(|| Reply::error(400, "MANIFEST_INVALID", "manifest invalid"))
        });
        let store = store_with(&img);
        let reg = connect(&server, None).unwrap();
        let e = push_img(&reg, &store, &img, oci::MEDIA_MANIFEST, &[]).unwrap_err();
        assert!(matches!(e, Error::Registry { status: 400, .. }), "{e:?}");
        assert_eq!(e.to_string(), "manifest invalid: manifest invalid");
    })
}

/// A blob the local store lacks: a clean error before any upload of it.
#[test]
fn local_blob_missing() {
    bounded(20, || {
        let img = TestImage::standard();
        let held = Arc::new(Held::default());
        let server = push_registry(held, Location::Relative, |_| None);
        let store = store_with(&img);
        store.blobs.delete(&img.layer_digests[1]).unwrap();
        let reg = connect(&server, None).unwrap();
        let e = push_img(&reg, &store, &img, oci::MEDIA_MANIFEST, &[]).unwrap_err();
        assert!(matches!(e, Error::Store(_)), "{e:?}");
        assert!(manifest_puts(&server).is_empty());
        assert_eq!(
            server.count(|r| r.method == "PUT"
                && r.query("digest") == Some(img.layer_digests[1].to_string())),
            0
        );
    })
}

/// With bearer tokens: a push asks for `pull,push` on the repository, and a mount adds
/// `pull` on the source repository.
#[test]
fn push_token_scopes() {
    bounded(20, || {
        let img = TestImage::standard();
        let held = Arc::new(Held::default());
        for d in &img.layer_digests {
            held.give(BASE_REPO, d);
        }
        let scopes: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
        let s = scopes.clone();
        let server = push_registry(held, Location::Relative, move |r| {
            if r.path == "/token" {
                let mut got = r.query_all("scope");
                got.sort();
                let token = format!("tok:{}", got.join(" "));
                s.lock().unwrap().push(got);
                return Some(Reply::json(200, &serde_json::json!({"token": token})));
            }
            if r.path.starts_with("/v2/") && r.header("authorization").is_none() {
                return Some(Reply::status(401).header(
                    "WWW-Authenticate",
                    format!(
                        r#"Bearer realm="http://{}/token",service="svc""#,
                        r.header("host").unwrap()
                    ),
                ));
            }
            None
        });
        let store = store_with(&img);
        let reg = connect(&server, None).unwrap();
        push_img(&reg, &store, &img, oci::MEDIA_MANIFEST, &[BASE_REPO]).unwrap();
        let scopes = scopes.lock().unwrap().clone();
        let push_scope = format!("repository:{REPO}:pull,push");
        let mount_scope = format!("repository:{BASE_REPO}:pull");
        assert!(scopes.contains(&vec![push_scope.clone()]), "{scopes:?}");
        let mut both = vec![mount_scope, push_scope];
        both.sort();
        assert!(scopes.contains(&both), "{scopes:?}");
        // Cached per scope set: at most one token each (two threads may race for one).
        assert!(scopes.len() <= 4, "{scopes:?}");
        for r in server.requests() {
            if r.path.starts_with(&format!("/v2/{REPO}/")) {
                assert!(r.header("authorization").is_some(), "{}", r.line());
            }
        }
    })
}

/// A blob larger than one chunk goes up in `PATCH`es with `Content-Range` (each to the
/// `Location` the previous answer gave), then a `PUT` with the digest. Ignored by default:
/// hashing 64 MiB several times takes ~15 s in a debug build (`--ignored` runs it).
#[test]
#[ignore = "slow in debug builds: a 64 MiB blob"]
fn large_blob_in_chunks() {
    bounded(120, || {
        let chunk = berth_registry::push::CHUNK as usize;
        let mut big = vec![0u8; chunk + 1000];
        big[..4096].copy_from_slice(&noise(4096, 9));
        let tar_digest = Digest::of_bytes(b"not unpacked by a push");
        let img = TestImage::from_layers(vec![big], vec![tar_digest], oci::MEDIA_LAYER_GZIP);
        let held = Arc::new(Held::default());
        let server = push_registry(held.clone(), Location::Relative, |_| None);
        let store = store_with(&img);
        let reg = connect(&server, None).unwrap();
        push_img(&reg, &store, &img, oci::MEDIA_MANIFEST, &[]).unwrap();
        let d = &img.layer_digests[0];
        assert!(held.has(REPO, &d.to_string()));
        let patches: Vec<Req> = server
            .requests()
            .into_iter()
            .filter(|r| r.method == "PATCH")
            .collect();
        assert_eq!(patches.len(), 2, "{:?}", server.lines());
        assert_eq!(
            patches[0].header("content-range"),
            Some(format!("0-{}", chunk - 1).as_str())
        );
        assert_eq!(patches[1].query("_state"), Some(format!("after{chunk}")));
        assert_eq!(
            patches[1].header("content-range"),
            Some(format!("{chunk}-{}", chunk + 999).as_str())
        );
        let put = blob_puts(&server)
            .into_iter()
            .find(|p| p.query("digest") == Some(d.to_string()))
            .unwrap();
        assert!(put.body.is_empty());
        assert_eq!(put.query("_state"), Some(format!("after{}", chunk + 1000)));
    })
}
