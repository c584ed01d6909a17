//! The bearer token flow against a scripted token server: the challenge is parsed, tokens are
//! asked for with the right `service` and `scope`, cached across requests, renewed when they
//! expire or are refused; credentials reach the token server and never an error message.

mod fake_registry;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use berth_registry::credentials::Credential;
use berth_registry::tags::list_tags;
use berth_registry::Error;
use fake_registry::*;

const SERVICE: &str = "fake-svc";
const USER: &str = "alice";
const SECRET: &str = "s3cr3t-pw";

/// Tokens issued by the fake token server, and which it still accepts.
#[derive(Default)]
struct Tokens {
    issued: Mutex<Vec<(String, Instant)>>,
    revoked: Mutex<HashSet<String>>,
    /// How long an issued token is accepted (and its `expires_in`).
    lifetime: Option<u64>,
}

impl Tokens {
    fn with_lifetime(secs: u64) -> Arc<Tokens> {
        Arc::new(Tokens {
            lifetime: Some(secs),
            ..Default::default()
        })
    }

    /// The token response for a new token.
    fn issue(&self) -> Reply {
        let mut issued = self.issued.lock().unwrap();
        let token = format!("tok-{}", issued.len() + 1);
        issued.push((token.clone(), Instant::now()));
        let mut body = serde_json::json!({"token": token});
        if let Some(l) = self.lifetime {
            body["expires_in"] = l.into();
        }
        Reply::json(200, &body)
    }

    fn count(&self) -> usize {
        self.issued.lock().unwrap().len()
    }

    /// Whether `req` carries a token this server issued, still valid.
    fn accepts(&self, req: &Req) -> bool {
        let Some(token) = req
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
        else {
            return false;
        };
        if self.revoked.lock().unwrap().contains(token) {
            return false;
        }
        let issued = self.issued.lock().unwrap();
        issued.iter().any(|(t, at)| {
            t == token
                && self
                    .lifetime
                    .is_none_or(|l| at.elapsed() < Duration::from_secs(l))
        })
    }

    fn revoke(&self, token: &str) {
        self.revoked.lock().unwrap().insert(token.to_string());
    }
}

/// The 401 a registry sends for a request without a valid token.
fn challenge(base: &str, scope: Option<&str>) -> Reply {
    let mut h = format!(r#"Bearer realm="{base}/token",service="{SERVICE}""#);
    if let Some(s) = scope {
        h.push_str(&format!(r#",scope="{s}""#));
    }
    Reply::error(401, "UNAUTHORIZED", "authentication required").header("WWW-Authenticate", h)
}

/// A token-protected registry serving `content`; the token server hands out tokens to
/// anyone (`check` may refuse a token request by returning a reply).
fn token_registry(
    content: Content,
    tokens: Arc<Tokens>,
    check: impl Fn(&Req) -> Option<Reply> + Send + Sync + 'static,
) -> Server {
    Server::start(move |req, base| {
        if req.path == "/token" {
            return check(req).unwrap_or_else(|| tokens.issue());
        }
        if !tokens.accepts(req) {
            let scope = req
                .path
                .strip_prefix("/v2/")
                .and_then(|p| p.split_once("/manifests/").or(p.split_once("/blobs/")))
                .map(|(repo, _)| format!("repository:{repo}:pull"));
            return challenge(base, scope.as_deref());
        }
        content.serve(req)
    })
}

fn repo_requests(server: &Server) -> Vec<Req> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with(&format!("/v2/{REPO}/")))
        .collect()
}

fn basic(user: &str, pw: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"))
    )
}

fn cred(pw: &str) -> Option<Credential> {
    Some(Credential::Basic {
        username: USER.into(),
        password: pw.into(),
    })
}

#[test]
fn token_has_service_and_scope_and_is_cached() {
    bounded(20, || {
        let img = TestImage::standard();
        let tokens = Arc::new(Tokens::default());
        let server = token_registry(img.content(), tokens.clone(), |_| None);
        let store = Store::new();
        let reg = connect(&server, None).unwrap();
        let pulled = pull_ref(&reg, &store, TAG).unwrap();
        assert_pulled(&store, &img, &pulled);

        let token_reqs: Vec<Req> = server
            .requests()
            .into_iter()
            .filter(|r| r.path == "/token")
            .collect();
        assert_eq!(token_reqs.len(), 1, "{:?}", server.lines());
        let t = &token_reqs[0];
        assert_eq!(t.method, "GET");
        assert_eq!(t.query("service").as_deref(), Some(SERVICE));
        assert_eq!(t.query_all("scope"), [format!("repository:{REPO}:pull")]);
        assert_eq!(t.header("authorization"), None, "anonymous");
        assert_eq!(t.query("account"), None);

        // Every repository request (a HEAD, a manifest and three blob GETs) used the token.
        let repo = repo_requests(&server);
        assert!(repo.len() >= 5, "{:?}", server.lines());
        for r in &repo {
            assert_eq!(
                r.header("authorization"),
                Some("Bearer tok-1"),
                "{}",
                r.line()
            );
        }
        let blob_gets = repo.iter().filter(|r| r.path.contains("/blobs/")).count();
        assert_eq!(blob_gets, 3);

        // More requests of the same scope: still one token.
        reg.head_manifest(REPO, TAG).unwrap();
        assert_eq!(tokens.count(), 1);
    })
}

/// A header with several challenges, a realm with a query string and a quoted comma, mixed
/// case, and extra parameters.
#[test]
fn challenge_variants_are_parsed() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let tokens = Arc::new(Tokens::default());
        let server = Server::start(move |req, base| {
            if req.path == "/auth/token" {
                return tokens.issue();
            }
            if !tokens.accepts(req) {
                let h = format!(
                    r#"Basic realm="basic realm", BEARER Realm="{base}/auth/token?kind=a,b" , Service="my registry",error="invalid_token""#
                );
                return Reply::status(401).header("WWW-Authenticate", h);
            }
            content.serve(req)
        });
        let store = Store::new();
        let pulled = pull_from(&server, &store).unwrap();
        assert_pulled(&store, &img, &pulled);
        let t: Vec<Req> = server
            .requests()
            .into_iter()
            .filter(|r| r.path == "/auth/token")
            .collect();
        assert_eq!(t.len(), 1, "{:?}", server.lines());
        assert_eq!(t[0].query("kind").as_deref(), Some("a,b"));
        assert_eq!(t[0].query("service").as_deref(), Some("my registry"));
        assert_eq!(t[0].query_all("scope"), [format!("repository:{REPO}:pull")]);
    })
}

/// A token with `expires_in: 1` is renewed before the next request once it has expired
/// (the server refuses it after a second; no request of the client is refused).
#[test]
fn expired_token_is_renewed() {
    bounded(20, || {
        let img = TestImage::standard();
        let tokens = Tokens::with_lifetime(1);
        let server = token_registry(img.content(), tokens.clone(), |_| None);
        let reg = connect(&server, None).unwrap();
        reg.head_manifest(REPO, TAG).unwrap();
        assert_eq!(tokens.count(), 1);
        std::thread::sleep(Duration::from_millis(1100));
        reg.head_manifest(REPO, TAG).unwrap();
        assert_eq!(tokens.count(), 2, "{:?}", server.lines());
        let repo = repo_requests(&server);
        assert_eq!(
            repo.len(),
            2,
            "no request was refused: {:?}",
            server.lines()
        );
        assert_eq!(repo[0].header("authorization"), Some("Bearer tok-1"));
        assert_eq!(repo[1].header("authorization"), Some("Bearer tok-2"));
        // The renewed token is cached again.
        reg.head_manifest(REPO, TAG).unwrap();
        assert_eq!(tokens.count(), 2);
    })
}

/// The registry stops accepting the token mid-pull (401): a new token is fetched and the
/// pull goes on.
#[test]
fn refused_token_is_replaced() {
    bounded(20, || {
        let img = TestImage::standard();
        let tokens = Arc::new(Tokens::default());
        let content = img.content();
        let t = tokens.clone();
        let server = Server::start(move |req, base| {
            if req.path == "/token" {
                return t.issue();
            }
            if req.path.contains("/blobs/") && t.accepts(req) {
                // The first token works for one blob only.
                t.revoke("tok-1");
            }
            if !t.accepts(req) {
                return challenge(base, Some(&format!("repository:{REPO}:pull")));
            }
            content.serve(req)
        });
        let store = Store::new();
        let pulled = pull_from(&server, &store).unwrap();
        assert_pulled(&store, &img, &pulled);
        let n = tokens.count();
        assert!((2..=4).contains(&n), "{n} tokens: {:?}", server.lines());
    })
}

/// A registry that always answers 401 even with a fresh token (`insufficient_scope`): one
/// retry with a new token, then an error.
#[test]
fn insufficient_scope_is_bounded() {
    bounded(20, || {
        let tokens = Arc::new(Tokens::default());
        let t = tokens.clone();
        let server = Server::start(move |req, base| {
            if req.path == "/token" {
                return t.issue();
            }
            let h = format!(
                r#"Bearer realm="{base}/token",service="{SERVICE}",scope="repository:{REPO}:pull",error="insufficient_scope""#
            );
            Reply::error(401, "UNAUTHORIZED", "insufficient scope").header("WWW-Authenticate", h)
        });
        let store = Store::new();
        let e = pull_from(&server, &store).unwrap_err();
        assert!(e.to_string().contains("unauthorized"), "{e}");
        assert!(tokens.count() <= 2, "{:?}", server.lines());
        assert!(repo_requests(&server).len() <= 2, "{:?}", server.lines());
    })
}

/// Basic credentials go to the token server (with `account`), never to the registry.
#[test]
fn credentials_go_to_the_token_server() {
    bounded(20, || {
        let img = TestImage::standard();
        let tokens = Arc::new(Tokens::default());
        let server = token_registry(img.content(), tokens.clone(), |req| {
            if req.header("authorization") != Some(basic(USER, SECRET).as_str()) {
                return Some(Reply::status(401));
            }
            None
        });
        let store = Store::new();
        let reg = connect(&server, cred(SECRET)).unwrap();
        let pulled = pull_ref(&reg, &store, TAG).unwrap();
        assert_pulled(&store, &img, &pulled);
        let t: Vec<Req> = server
            .requests()
            .into_iter()
            .filter(|r| r.path == "/token")
            .collect();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].query("account").as_deref(), Some(USER));
        for r in repo_requests(&server) {
            assert!(
                r.header("authorization").unwrap().starts_with("Bearer "),
                "{}",
                r.line()
            );
        }
        assert!(!format!("{reg:?}").contains(SECRET));
    })
}

/// An identity token (OAuth2 refresh token) is exchanged with a POST.
#[test]
fn identity_token_is_posted() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let server = Server::start(move |req, base| {
            if req.path == "/token" {
                assert_eq!(req.method, "POST");
                return Reply::json(200, &serde_json::json!({"access_token": "tok-x"}));
            }
            if req.header("authorization") != Some("Bearer tok-x") {
                return challenge(base, None);
            }
            content.serve(req)
        });
        let store = Store::new();
        let reg = connect(
            &server,
            Some(Credential::IdentityToken {
                username: USER.into(),
                token: "s3cr3t-refresh".into(),
            }),
        )
        .unwrap();
        pull_ref(&reg, &store, TAG).unwrap();
        let t: Vec<Req> = server
            .requests()
            .into_iter()
            .filter(|r| r.path == "/token")
            .collect();
        assert_eq!(t.len(), 1);
        let form = Req {
            query: String::from_utf8(t[0].body.clone()).unwrap(),
            ..t[0].clone()
        };
        assert_eq!(form.query("grant_type").as_deref(), Some("refresh_token"));
        assert_eq!(
            form.query("refresh_token").as_deref(),
            Some("s3cr3t-refresh")
        );
        assert_eq!(form.query("service").as_deref(), Some(SERVICE));
        assert_eq!(form.query("scope"), Some(format!("repository:{REPO}:pull")));
        assert!(form.query("client_id").is_some());
    })
}

/// A registry with basic authentication: the credentials on every request; wrong ones are
/// an error.
#[test]
fn basic_auth_registry() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let server = Server::start(move |req, _| {
            if req.header("authorization") != Some(basic(USER, SECRET).as_str()) {
                return Reply::error(401, "UNAUTHORIZED", "authentication required")
                    .header("WWW-Authenticate", r#"Basic realm="Registry Realm""#);
            }
            content.serve(req)
        });
        let store = Store::new();
        let reg = connect(&server, cred(SECRET)).unwrap();
        reg.verify_login().unwrap();
        pull_ref(&reg, &store, TAG).unwrap();
        let reg = connect(&server, cred("wrong")).unwrap();
        let e = reg.verify_login().unwrap_err();
        assert!(
            e.to_string().contains("incorrect username or password"),
            "{e}"
        );
        let store = Store::new();
        let e = pull_ref(&reg, &store, TAG).unwrap_err();
        assert!(e.to_string().starts_with("unauthorized"), "{e}");
    })
}

/// The secret must not be in any error's text (Display or Debug), nor in the registry's
/// Debug, whatever fails.
fn assert_no_secret(what: &str, e: &Error) {
    let encoded = basic(USER, SECRET);
    let encoded = encoded.trim_start_matches("Basic ");
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(!text.contains(SECRET), "{what}: {text}");
        assert!(!text.contains(encoded), "{what}: {text}");
    }
}

#[test]
fn credentials_never_in_errors() {
    bounded(25, || {
        type Scenario = (&'static str, fn(&Req, &str) -> Option<Reply>);
        // What the token server (and the registry behind it) does wrong.
        let scenarios: Vec<Scenario> = vec![
            ("token 401", |r, _| {
                (r.path == "/token").then(|| Reply::status(401))
            }),
            ("token 403", |r, _| {
                (r.path == "/token").then(|| Reply::error(403, "DENIED", "no"))
            }),
            ("token 500", |r, _| {
                (r.path == "/token").then(|| Reply::status(500).header("Retry-After", "0"))
            }),
            ("token not JSON", |r, _| {
                (r.path == "/token").then(|| Reply::status(200).body("<html>"))
            }),
            ("token empty", |r, _| {
                (r.path == "/token").then(|| Reply::json(200, &serde_json::json!({"token": ""})))
            }),
            ("token hangup", |r, _| {
                (r.path == "/token").then_some(Reply::Hangup)
            }),
            ("token endless", |r, _| {
                (r.path == "/token").then(|| Reply::Endless {
                    status: 200,
                    headers: Vec::new(),
                    chunk: b"{".repeat(64 * 1024),
                })
            }),
            ("token redirect loop", |r, base| {
                (r.path == "/token")
                    .then(|| Reply::status(307).header("Location", format!("{base}/token?again=1")))
            }),
            ("registry 403", |r, _| {
                r.path.contains("/manifests/").then(|| {
                    Reply::error(403, "DENIED", "requested access to the resource is denied")
                })
            }),
            ("registry 500", |r, _| {
                r.path
                    .contains("/manifests/")
                    .then(|| Reply::status(500).header("Retry-After", "0"))
            }),
            ("blob mismatch", |r, _| {
                (r.method == "GET" && r.path.contains("/blobs/"))
                    .then(|| Reply::status(200).body("not the blob"))
            }),
        ];
        let img = TestImage::standard();
        for (what, fault) in scenarios {
            let tokens = Arc::new(Tokens::default());
            let content = img.content();
            let t = tokens.clone();
            let server = Server::start(move |req, base| {
                if let Some(r) = fault(req, base) {
                    return r;
                }
                if req.path == "/token" {
                    return t.issue();
                }
                if !t.accepts(req) {
                    return challenge(base, None);
                }
                content.serve(req)
            });
            let store = Store::new();
            let reg = connect(&server, cred(SECRET)).unwrap();
            assert!(!format!("{reg:?}").contains(SECRET));
            let e = pull_ref(&reg, &store, TAG).expect_err(what);
            assert_no_secret(what, &e);
            if let Err(e) = reg.verify_login() {
                assert_no_secret(what, &e);
            }
            if let Err(e) = list_tags(&reg, REPO) {
                assert_no_secret(what, &e);
            }
        }
        // Nothing listening.
        let host = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().to_string()
        };
        let e = berth_registry::client::Registry::connect(
            &host,
            &host,
            &berth_registry::client::ConnectOptions {
                credential: cred(SECRET),
                insecure: true,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_no_secret("refused", &e);
        // A basic registry refusing the password.
        let server = Server::start(|_, _| {
            Reply::error(401, "UNAUTHORIZED", "authentication required")
                .header("WWW-Authenticate", r#"Basic realm="r""#)
        });
        let reg = connect(&server, cred(SECRET)).unwrap();
        assert_no_secret("basic", &reg.verify_login().unwrap_err());
        assert_no_secret("basic", &pull_ref(&reg, &Store::new(), TAG).unwrap_err());
    })
}

/// A registry that lets anyone ping `/v2/` but wants a token for the repository: the scheme
/// is learnt from the repository request's 401.
#[test]
fn challenge_learnt_after_an_open_ping() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let tokens = Arc::new(Tokens::default());
        let t = tokens.clone();
        let server = Server::start(move |req, base| {
            if req.path == "/v2/" {
                return Reply::status(200);
            }
            if req.path == "/token" {
                return t.issue();
            }
            if !t.accepts(req) {
                return challenge(base, Some(&format!("repository:{REPO}:pull")));
            }
            content.serve(req)
        });
        let store = Store::new();
        let pulled = pull_from(&server, &store).unwrap();
        assert_pulled(&store, &img, &pulled);
        assert_eq!(tokens.count(), 1, "{:?}", server.lines());
        let refused = server
            .requests()
            .into_iter()
            .filter(|r| r.path.starts_with("/v2/library") && r.header("authorization").is_none())
            .count();
        assert_eq!(refused, 1, "{:?}", server.lines());
    })
}

/// Blobs redirected to storage (presigned URLs): the pull works, and the registry's token is
/// not sent along to the storage (S3 refuses a request with two authorizations).
#[test]
fn redirected_blobs_get_no_token() {
    bounded(20, || {
        let img = TestImage::standard();
        let content = img.content();
        let tokens = Arc::new(Tokens::default());
        let t = tokens.clone();
        let server = Server::start(move |req, base| {
            if req.path == "/token" {
                return t.issue();
            }
            if let Some(d) = req.path.strip_prefix("/storage/") {
                if req.header("authorization").is_some() {
                    return Reply::status(400).body("Only one auth mechanism allowed");
                }
                return serve_bytes(req, &content.blobs[d]);
            }
            if !t.accepts(req) {
                return challenge(base, None);
            }
            if req.method == "GET" && req.path.contains("/blobs/") {
                let d = req.path.rsplit('/').next().unwrap();
                return Reply::status(307).header(
                    "Location",
                    format!("{base}/storage/{d}?X-Amz-Signature=abc"),
                );
            }
            content.serve(req)
        });
        let store = Store::new();
        let pulled = pull_from(&server, &store).unwrap();
        assert_pulled(&store, &img, &pulled);
        assert_eq!(
            server.count(|r| r.path.starts_with("/storage/")),
            3,
            "{:?}",
            server.lines()
        );
    })
}
