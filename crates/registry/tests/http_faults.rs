//! Registries that refuse, fail or misbehave at the HTTP level: clean errors with Docker's
//! words, bounded retries for 429/5xx and dropped connections, and the store left clean.

mod fake_registry;

use std::time::{Duration, Instant};

use berth_registry::tags::list_tags;
use berth_registry::Error;
use fake_registry::*;

fn manifest_head(r: &Req) -> bool {
    r.method == "HEAD" && r.path == format!("/v2/{REPO}/manifests/{TAG}")
}

fn assert_nothing_stored(store: &Store) {
    assert!(store.blobs.list().unwrap().is_empty());
    assert!(store.entries("layers").is_empty());
    assert!(store.entries("tmp").is_empty());
}

fn status_of(e: &Error) -> (u16, Option<String>) {
    match e {
        Error::Registry { status, code, .. } => (*status, code.clone()),
        other => panic!("not a registry error: {other:?}"),
    }
}

/// 401 with a bearer challenge, and a token server that refuses anonymous tokens.
#[test]
fn unauthorized_without_credentials() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let server = Server::start(move |req, base| {
            if req.path == "/token" {
                return Reply::error(401, "UNAUTHORIZED", "authentication required");
            }
            if req.path.starts_with("/v2/") && req.header("authorization").is_none() {
                return Reply::error(401, "UNAUTHORIZED", "authentication required").header(
                    "WWW-Authenticate",
                    format!(r#"Bearer realm="{base}/token",service="fake""#),
                );
            }
            content.serve(req)
        });
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::Unauthorized(_)), "{e:?}");
        let msg = e.to_string();
        assert!(msg.starts_with("unauthorized:"), "{msg}");
        assert!(msg.contains("anonymous"), "{msg}");
        assert_eq!(
            server.count(|r| r.path == "/token"),
            1,
            "{:?}",
            server.lines()
        );
        assert_nothing_stored(&store);
    })
}

/// 401 with a basic challenge and no credentials.
#[test]
fn basic_challenge_without_credentials() {
    bounded(20, || {
        let server = Server::start(|_, _| {
            Reply::error(401, "UNAUTHORIZED", "authentication required")
                .header("WWW-Authenticate", r#"Basic realm="Registry Realm""#)
        });
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(e.to_string().contains("no basic auth credentials"), "{e}");
        assert_nothing_stored(&store);
    })
}

/// 401 without any challenge: an error, not a loop.
#[test]
fn unauthorized_without_challenge() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let server = Server::start(move |req, _| {
            if req.path.contains("/manifests/") {
                return Reply::error(401, "UNAUTHORIZED", "authentication required");
            }
            content.serve(req)
        });
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert_eq!(status_of(&e).0, 401);
        assert!(server.count(manifest_head) <= 2, "{:?}", server.lines());
    })
}

#[test]
fn forbidden() {
    bounded(20, || {
        let server = Server::start(|req, _| {
            if req.path == "/v2/" {
                return Reply::status(200);
            }
            Reply::error(403, "DENIED", "requested access to the resource is denied")
        });
        let store = Store::new();
        // HEAD: no body, the status speaks.
        let e = pull_from(&server, &store).unwrap_err();
        let (status, _) = status_of(&e);
        assert_eq!(status, 403);
        assert!(e.to_string().starts_with("denied:"), "{e}");
        assert_eq!(server.count(manifest_head), 1, "403 is not retried");
        // GET (by digest): the registry's error code.
        let reg = connect(&server, None).unwrap();
        let d = berth_store::Digest::of_bytes(b"x").to_string();
        let e = pull_ref(&reg, &store, &d).unwrap_err();
        assert_eq!(status_of(&e), (403, Some("DENIED".into())));
        assert_eq!(
            e.to_string(),
            "denied: requested access to the resource is denied"
        );
        assert_nothing_stored(&store);
    })
}

#[test]
fn tag_missing() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let server = Server::start(move |req, _| content.serve(req));
        let store = Store::new();
        let reg = connect(&server, None).unwrap();
        // By tag: the HEAD's 404 (a HEAD has no body to carry the code).
        let e = pull_ref(&reg, &store, "nope").unwrap_err();
        assert_eq!(status_of(&e).0, 404);
        assert_eq!(
            server.count(|r| r.path.ends_with("/manifests/nope")),
            1,
            "404 is not retried"
        );
        // By digest: the GET's MANIFEST_UNKNOWN.
        let d = berth_store::Digest::of_bytes(b"nope").to_string();
        let e = pull_ref(&reg, &store, &d).unwrap_err();
        assert_eq!(status_of(&e), (404, Some("MANIFEST_UNKNOWN".into())));
        assert_eq!(e.to_string(), "manifest unknown: manifest unknown");
        assert_nothing_stored(&store);
    })
}

/// A blob the registry does not have (404 BLOB_UNKNOWN): no retry, a clean error.
#[test]
fn blob_missing() {
    bounded(20, || {
        let img = TestImage::standard();
        let mut content = img.content();
        content.blobs.remove(&img.layer_digests[1].to_string());
        let server = Server::start(move |req, _| content.serve(req));
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert_eq!(status_of(&e), (404, Some("BLOB_UNKNOWN".into())));
        assert_eq!(server.count(|r| is_blob_get(r, &img.layer_digests[1])), 1);
        store.assert_clean(
            &[
                &img.layer_digests[1],
                &img.config_digest,
                &img.manifest_digest,
            ],
            &[&chain(&img, 1)],
        );
    })
}

/// 429 on every manifest request: retried a bounded number of times (honouring
/// `Retry-After: 0`), then Docker's words.
#[test]
fn too_many_requests_is_bounded() {
    bounded(20, || {
        let server = Server::start(|req, _| {
            if req.path == "/v2/" {
                return Reply::status(200);
            }
            Reply::error(
                429,
                "TOOMANYREQUESTS",
                "You have reached your pull rate limit.",
            )
            .header("Retry-After", "0")
        });
        let store = Store::new();
        let started = Instant::now();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(status_of(&e).0, 429);
        let n = server.count(manifest_head);
        assert!((2..=6).contains(&n), "{n} attempts");
        assert_nothing_stored(&store);
    })
}

/// 500 on every blob request: bounded retries (with the default backoff), then an error.
#[test]
fn server_error_on_blob_is_bounded() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let d = img.layer_digests[1].clone();
        let dd = d.clone();
        let server = Server::start(move |req, _| {
            if is_blob_get(req, &dd) {
                return Reply::status(500).body("oops");
            }
            content.serve(req)
        });
        let store = Store::new();
        let started = Instant::now();
        let e = pull_from(&server, &store).unwrap_err();
        let took = started.elapsed();
        assert_eq!(status_of(&e).0, 500);
        assert!(e.to_string().contains("500"), "{e}");
        let n = server.count(|r| is_blob_get(r, &d));
        assert!((2..=6).contains(&n), "{n} attempts");
        assert!(took < Duration::from_secs(10), "{took:?}");
        store.assert_clean(
            &[&d, &img.config_digest, &img.manifest_digest],
            &[&chain(&img, 1)],
        );
    })
}

/// 503 on the manifest, twice, then 200: the pull succeeds after the retries.
#[test]
fn service_unavailable_then_ok() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let seen = Counter::default();
        let server = Server::start(move |req, _| {
            if manifest_head(req) && seen.bump() < 2 {
                return Reply::status(503).header("Retry-After", "0");
            }
            content.serve(req)
        });
        let store = Store::new();
        let pulled = pull_from(&server, &store).unwrap();
        assert_pulled(&store, &img, &pulled);
        assert_eq!(server.count(manifest_head), 3);
    })
}

/// Without `Retry-After` the retries back off (not a busy loop).
#[test]
fn retries_back_off() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let seen = Counter::default();
        let server = Server::start(move |req, _| {
            if manifest_head(req) && seen.bump() < 2 {
                return Reply::status(503);
            }
            content.serve(req)
        });
        let store = Store::new();
        let started = Instant::now();
        pull_from(&server, &store).unwrap();
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(500), "{took:?}");
        assert!(took < Duration::from_secs(8), "{took:?}");
    })
}

/// `Retry-After: 1` is honoured.
#[test]
fn retry_after_is_honoured() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let seen = Counter::default();
        let server = Server::start(move |req, _| {
            if manifest_head(req) && seen.bump() == 0 {
                return Reply::error(429, "TOOMANYREQUESTS", "slow down")
                    .header("Retry-After", "1");
            }
            content.serve(req)
        });
        let store = Store::new();
        let reg = connect(&server, None).unwrap();
        let started = Instant::now();
        pull_ref(&reg, &store, TAG).unwrap();
        assert!(started.elapsed() >= Duration::from_millis(950));
    })
}

/// The connection is closed before any response, once: retried, the pull succeeds.
#[test]
fn hangup_once_is_retried() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let d = img.layer_digests[0].clone();
        let seen = Counter::default();
        let dd = d.clone();
        let server = Server::start(move |req, _| {
            if is_blob_get(req, &dd) && seen.bump() == 0 {
                return Reply::Hangup;
            }
            content.serve(req)
        });
        let store = Store::new();
        let pulled = pull_from(&server, &store).unwrap();
        assert_pulled(&store, &img, &pulled);
        assert_eq!(server.count(|r| is_blob_get(r, &d)), 2);
    })
}

/// The connection is always closed before a response: bounded, a transport error.
#[test]
fn hangup_always_is_bounded() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let server = Server::start(move |req, _| {
            if req.path.contains("/manifests/") {
                return Reply::Hangup;
            }
            content.serve(req)
        });
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(matches!(e, Error::Transport { .. }), "{e:?}");
        let n = server.count(|r| r.path.contains("/manifests/"));
        assert!((2..=6).contains(&n), "{n} attempts");
        assert_nothing_stored(&store);
    })
}

/// Nothing listens: a clean transport error.
#[test]
fn connection_refused() {
    bounded(20, || {
        let host = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().to_string()
        };
        let e = berth_registry::client::Registry::connect(
            &host,
            &host,
            &berth_registry::client::ConnectOptions {
                insecure: true,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(matches!(e, Error::Transport { .. }), "{e:?}");
        assert!(e.to_string().contains(&host), "{e}");
    })
}

/// Something that is not a registry (`GET /v2/` is a 404 over HTTP, and HTTPS fails): a
/// clean transport error naming the host. (Which attempt's words are shown, the HTTPS
/// failure's or HTTP's "not an OCI distribution registry?", is the client's choice.)
#[test]
fn not_a_registry() {
    bounded(20, || {
        let server = Server::start(|_, _| Reply::status(404).body("<html>nope</html>"));
        let e = connect(&server, None).unwrap_err();
        assert!(matches!(e, Error::Transport { .. }), "{e:?}");
        assert!(e.to_string().contains(&server.host()), "{e}");
        assert_eq!(
            server.count(|r| r.path == "/v2/"),
            1,
            "{:?}",
            server.lines()
        );
    })
}

#[test]
fn tag_list_errors() {
    bounded(20, || {
        let server = Server::start(|req, _| match req.path.as_str() {
            "/v2/" => Reply::status(200),
            "/v2/missing/tags/list" => {
                Reply::error(404, "NAME_UNKNOWN", "repository name not known to registry")
            }
            "/v2/garbage/tags/list" => Reply::status(200).body("{\"tags\": [1, 2"),
            _ => Reply::json(200, &serde_json::json!({"name": "x", "tags": null})),
        });
        let reg = connect(&server, None).unwrap();
        let e = list_tags(&reg, "missing").unwrap_err();
        assert_eq!(status_of(&e), (404, Some("NAME_UNKNOWN".into())));
        let e = list_tags(&reg, "garbage").unwrap_err();
        assert!(matches!(e, Error::BadManifest(_)), "{e:?}");
        assert!(list_tags(&reg, "empty").unwrap().is_empty());
    })
}

/// Tag list pages (`Link: <...>; rel="next"`) are followed.
#[test]
fn tag_list_pages() {
    bounded(20, || {
        let server = Server::start(|req, _| {
            if req.path == "/v2/" {
                return Reply::status(200);
            }
            match req.query("last").as_deref() {
                None => Reply::json(200, &serde_json::json!({"tags": ["a", "b"]})).header(
                    "Link",
                    format!(r#"</v2/{REPO}/tags/list?n=2&last=b>; rel="next""#),
                ),
                Some("b") => Reply::json(200, &serde_json::json!({"tags": ["c"]})),
                Some(_) => Reply::status(500),
            }
        });
        let reg = connect(&server, None).unwrap();
        assert_eq!(list_tags(&reg, REPO).unwrap(), ["a", "b", "c"]);
    })
}

/// A `Link` that points at the page itself: an error after two requests, not a thousand
/// pages of repeated tags.
#[test]
fn tag_list_link_loop() {
    bounded(20, || {
        let server = Server::start(|req, _| {
            if req.path == "/v2/" {
                return Reply::status(200);
            }
            Reply::json(200, &serde_json::json!({"tags": ["a"]})).header(
                "Link",
                format!(r#"</v2/{REPO}/tags/list?n=1&last=a>; rel="next""#),
            )
        });
        let reg = connect(&server, None).unwrap();
        let e = list_tags(&reg, REPO).unwrap_err();
        assert!(e.to_string().contains("loop"), "{e}");
        let n = server.count(|r| r.path.ends_with("/tags/list"));
        assert_eq!(n, 2, "{n} requests for a looping tag list");
    })
}

/// A registry that accepts the connection and never answers. The client gives up only
/// after its 60 s per-read timeout, on each of its attempts: ignored by default (about four
/// minutes); a shorter, configurable stall timeout would let this run in the suite.
#[test]
#[ignore = "takes minutes: the stall timeout is a fixed 60 s per attempt"]
fn stalled_registry_fails() {
    bounded(600, || {
        let server = Server::start(|req, _| {
            if req.path == "/v2/" {
                return Reply::status(200);
            }
            Reply::Stall(Duration::from_secs(90))
        });
        let store = Store::new();
        let started = Instant::now();
        let e = pull_from(&server, &store).unwrap_err();
        eprintln!(
            "stalled: {e} after {:?}, {} attempts",
            started.elapsed(),
            server.count(manifest_head)
        );
        assert!(matches!(e, Error::Transport { .. }), "{e:?}");
        assert!(e.to_string().contains("timed out"), "{e}");
        assert_nothing_stored(&store);
    })
}
