//! Registry routes: `POST /images/create` (pull; `fromSrc` is an import), `POST
//! /images/{name}/push`, `POST /auth`, `GET /distribution/{name}/json` and `GET
//! /images/search`. Pulls and pushes run on a worker thread (the engine's transfer code is
//! plain HTTP and file I/O: no fork, no namespace change) and stream dockerd's JSON lines.

use std::sync::mpsc;
use std::time::Duration;

use base64::Engine as _;
use berth_engine::images::connect::{self, RegistryOptions};
use berth_engine::images::login::login_server;
use berth_engine::images::pull::{PullOptions, PullOutcome};
use berth_engine::images::push::PushOutcome;
use berth_engine::reference::Reference;
use berth_registry::config::registries_conf::Endpoint;
use berth_registry::credentials::Credential;
use berth_registry::manifest::Document;
use hyper::StatusCode;
use serde_json::{json, Value};

use super::progress::{error_line, status_line, JsonProgress, Msg};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{BodyWriter, Reply, Request};

/// `POST /images/create?fromImage=&tag=&platform=` (pull) or `?fromSrc=` (import).
pub fn create(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    if req.query.get("fromSrc").is_some() {
        return super::archive::import(ctx, req);
    }
    let from = match req.query.get("fromImage") {
        Some(f) if !f.is_empty() => f.to_string(),
        _ => return Err(ApiError::bad_request("fromImage or fromSrc is required")),
    };
    // A `tag` replaces a tag or digest `fromImage` may carry, as dockerd's `WithTag`.
    let name = match req.query.get("tag").filter(|t| !t.is_empty()) {
        Some(t) => {
            let base = Reference::parse(&from)
                .map(|r| r.name())
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            if t.contains(':') {
                format!("{base}@{t}")
            } else {
                format!("{base}:{t}")
            }
        }
        None => from,
    };
    let reference = Reference::parse(&name).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let opts = PullOptions {
        platform: req
            .query
            .get("platform")
            .filter(|p| !p.is_empty())
            .map(String::from),
        jobs: 0,
        registry: RegistryOptions {
            credential: registry_auth(req)?,
            ..Default::default()
        },
    };
    let (tx, rx) = mpsc::channel::<Msg<ApiResult<PullOutcome>>>();
    let c = ctx.clone();
    let n = name.clone();
    std::thread::spawn(move || {
        let progress = JsonProgress::new(tx.clone(), false);
        let r = c
            .engine()
            .and_then(|mut e| e.pull(&n, &opts, &progress).map_err(registry_error));
        let _ = tx.send(Msg::Done(r));
    });
    // An error before anything was transferred is the response's status, as dockerd's.
    let first = rx
        .recv()
        .map_err(|_| ApiError::internal("the pull ended without a result"))?;
    if let Msg::Done(Err(e)) = first {
        return Err(e);
    }
    let what = reference
        .tag
        .clone()
        .or_else(|| reference.digest.clone())
        .unwrap_or_else(|| "latest".into());
    Reply::stream("application/json", move |mut w| {
        let _ = w.json_line(&status_line(
            &format!("Pulling from {}", reference.repository),
            &what,
        ));
        let mut next = Some(first);
        while let Some(msg) = next.take().or_else(|| recv(&rx, &w)) {
            let line = match msg {
                Msg::Line(v) => v,
                Msg::Done(Ok(o)) => {
                    let _ = w.json_line(&json!({"status": format!("Digest: {}", o.digest)}));
                    let words = if o.up_to_date {
                        "Image is up to date"
                    } else {
                        "Downloaded newer image"
                    };
                    json!({"status": format!("Status: {words} for {}", o.reference.familiar())})
                }
                Msg::Done(Err(e)) => error_line(&e.message),
            };
            // A gone client is noticed here; the pull still finishes (its store work is
            // journaled, and half a pull is wasted work for the next one).
            let _ = w.json_line(&line);
        }
    })
}

/// `POST /images/{name}/push?tag=`.
pub fn push(ctx: &Ctx, req: &mut Request, name: &str) -> ApiResult<Reply> {
    let reference = Reference::parse(name).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let e = ctx.engine()?;
    let names = match req.query.get("tag").filter(|t| !t.is_empty()) {
        Some(t) => vec![Reference::parse(&format!("{}:{t}", reference.name()))
            .map_err(|e| ApiError::bad_request(e.to_string()))?
            .to_string()],
        None if has_tag(name) => vec![reference.to_string()],
        None => e.local_tags_of_repository(name)?,
    };
    if names.is_empty() {
        return Err(ApiError::not_found(format!(
            "An image does not exist locally with the tag: {}",
            reference.familiar_name()
        )));
    }
    drop(e);
    let opts = RegistryOptions {
        credential: registry_auth(req)?,
        ..Default::default()
    };
    let (tx, rx) = mpsc::channel::<Msg<ApiResult<PushOutcome>>>();
    let c = ctx.clone();
    let list = names.clone();
    std::thread::spawn(move || {
        let progress = JsonProgress::new(tx.clone(), true);
        let mut e = match c.engine() {
            Ok(e) => e,
            Err(err) => {
                let _ = tx.send(Msg::Done(Err(err)));
                return;
            }
        };
        for n in &list {
            let r = e.push(n, &opts, &progress).map_err(registry_error);
            let failed = r.is_err();
            let _ = tx.send(Msg::Done(r));
            if failed {
                return;
            }
        }
    });
    let repo = reference.name();
    Reply::stream("application/json", move |mut w| {
        let _ = w.json_line(&json!({
            "status": format!("The push refers to repository [{repo}]")
        }));
        while let Some(msg) = recv(&rx, &w) {
            match msg {
                Msg::Line(v) => {
                    let _ = w.json_line(&v);
                }
                Msg::Done(Ok(o)) => {
                    let _ = w.json_line(&json!({
                        "status": format!("{}: digest: {} size: {}", o.tag, o.digest, o.size)
                    }));
                    let _ = w.json_line(&json!({
                        "progressDetail": {},
                        "aux": {"Tag": o.tag, "Digest": o.digest, "Size": o.size},
                    }));
                }
                Msg::Done(Err(e)) => {
                    let _ = w.json_line(&error_line(&e.message));
                }
            }
        }
    })
}

/// The worker's next message; `None` when it is done or the client has gone (the worker
/// finishes on its own; its messages then go nowhere).
fn recv<T>(rx: &mpsc::Receiver<Msg<T>>, w: &BodyWriter) -> Option<Msg<T>> {
    loop {
        match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(m) => return Some(m),
            Err(mpsc::RecvTimeoutError::Timeout) if !w.is_closed() => {}
            Err(_) => return None,
        }
    }
}

/// Whether the last path component of `name` carries a tag or the name a digest.
fn has_tag(name: &str) -> bool {
    name.contains('@') || name.rsplit('/').next().is_some_and(|l| l.contains(':'))
}

/// `POST /auth`: checks the credentials against the registry (nothing is stored: the
/// client keeps them and sends them back in `X-Registry-Auth`).
pub fn auth(req: &mut Request) -> ApiResult<Reply> {
    let body: Value = req.json()?;
    let field = |k: &str| {
        body.as_object()
            .and_then(|o| o.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)))
            .and_then(|(_, v)| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let server = login_server(Some(&field("serveraddress")))?;
    let credential = credential_from(&body)
        .ok_or_else(|| ApiError::bad_request("username and password are required"))?;
    let (conf, _) = connect::endpoints(&server, "")?;
    let endpoint = Endpoint {
        host: server.clone(),
        repository: String::new(),
        insecure: false,
        mirror: false,
    };
    let opts = RegistryOptions {
        credential: Some(credential),
        ..Default::default()
    };
    connect::connect(&server, &endpoint, &conf, &opts)
        .and_then(|reg| Ok(reg.verify_login()?))
        .map_err(registry_error)?;
    Reply::ok(json!({"Status": "Login Succeeded", "IdentityToken": ""}))
}

/// `GET /distribution/{name}/json`: the manifest's descriptor and its platforms.
pub fn distribution(req: &mut Request, name: &str) -> ApiResult<Reply> {
    let reference = Reference::parse(name).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let opts = RegistryOptions {
        credential: registry_auth(req)?,
        ..Default::default()
    };
    let target = reference
        .digest
        .clone()
        .or_else(|| reference.tag.clone())
        .unwrap_or_else(|| "latest".into());
    let (conf, eps) = connect::endpoints(&reference.registry, &reference.repository)?;
    let ep = eps
        .last()
        .ok_or_else(|| ApiError::internal("no registry endpoint"))?;
    let reg = connect::connect(&reference.registry, ep, &conf, &opts).map_err(registry_error)?;
    let fetched = reg
        .get_manifest(&ep.repository, &target)
        .map_err(|e| registry_error(e.into()))?;
    let doc = fetched.parse(name).map_err(|e| registry_error(e.into()))?;
    let platforms: Vec<Value> = match doc {
        Document::Index(idx) => idx
            .manifests
            .iter()
            .filter_map(|m| m.platform.as_ref())
            .map(|p| serde_json::to_value(p).unwrap_or(Value::Null))
            .collect(),
        Document::Manifest(m) => {
            let cfg = reg
                .get_small_blob(&ep.repository, &m.config.digest, m.config.size)
                .map_err(|e| registry_error(e.into()))?;
            let v: Value = serde_json::from_slice(&cfg).unwrap_or(Value::Null);
            let mut p = json!({"architecture": v["architecture"], "os": v["os"]});
            if let Some(var) = v.get("variant") {
                p["variant"] = var.clone();
            }
            vec![p]
        }
    };
    Reply::ok(json!({
        "Descriptor": {
            "mediaType": fetched.media_type,
            "digest": fetched.digest.to_string(),
            "size": fetched.bytes.len(),
        },
        "Platforms": platforms,
    }))
}

/// `GET /images/search`: registries have no common search API, and berth does not speak
/// Docker Hub's own.
pub fn search(req: &mut Request) -> ApiResult<Reply> {
    let term = req.query.get("term").unwrap_or_default();
    if term.is_empty() {
        return Err(ApiError::bad_request("term is required"));
    }
    Err(ApiError::not_implemented(format!(
        "search is not supported by berth: no registry berth talks to offers a search API \
         (searching for {term:?})"
    )))
}

/// The credentials of `X-Registry-Auth` (base64url JSON), if any; a malformed header is a
/// 400.
pub fn registry_auth(req: &Request) -> ApiResult<Option<Credential>> {
    let Some(h) = req.header("x-registry-auth").map(str::trim) else {
        return Ok(None);
    };
    if h.is_empty() || h == "e30=" || h == "null" {
        return Ok(None);
    }
    Ok(credential_from(&decode_auth_json(h, "X-Registry-Auth")?))
}

/// A base64url JSON header (`X-Registry-Auth`, `X-Registry-Config`); malformed is a 400.
pub fn decode_auth_json(h: &str, name: &str) -> ApiResult<Value> {
    let bytes = decode_b64(h)
        .ok_or_else(|| ApiError::bad_request(format!("invalid {name} header: not base64")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("invalid {name} header: not JSON: {e}")))
}

/// A credential as a Docker `config.json` `auths` entry.
pub fn config_entry(c: &Credential) -> Value {
    use base64::engine::general_purpose::STANDARD;
    match c {
        Credential::Basic { username, password } => {
            json!({"auth": STANDARD.encode(format!("{username}:{password}"))})
        }
        Credential::IdentityToken { username, token } => json!({
            "auth": STANDARD.encode(format!("{username}:")),
            "identitytoken": token,
        }),
    }
}

/// base64, URL-safe or standard, padded or not.
fn decode_b64(s: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let t = s.trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(t)
        .or_else(|_| STANDARD_NO_PAD.decode(t))
        .ok()
}

/// `{username, password, identitytoken}` (keys in any case) as a credential.
pub fn credential_from(v: &Value) -> Option<Credential> {
    let obj = v.as_object()?;
    let get = |k: &str| {
        obj.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .and_then(|(_, v)| v.as_str())
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    let username = get("username").unwrap_or_default();
    if let Some(token) = get("identitytoken") {
        return Some(Credential::IdentityToken { username, token });
    }
    let password = get("password")?;
    Some(Credential::Basic { username, password })
}

/// A registry failure with dockerd's status: 404 for an unknown repository or manifest,
/// 401 for refused credentials, the registry's own 4xx otherwise.
pub fn registry_error(e: berth_engine::Error) -> ApiError {
    use berth_engine::Error as E;
    use berth_registry::Error as R;
    let status = match &e {
        E::Registry(R::PullDenied { .. } | R::ManifestUnknown { .. }) => StatusCode::NOT_FOUND,
        E::Registry(R::Unauthorized(_)) => StatusCode::UNAUTHORIZED,
        E::Registry(R::Registry { status, .. }) if (400..500).contains(status) => {
            StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
        E::Registry(R::Invalid(_) | R::NoMatchingPlatform { .. }) => StatusCode::BAD_REQUEST,
        _ => return ApiError::from(e),
    };
    ApiError::new(status, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_headers() {
        let h = URL_SAFE.encode(br#"{"username":"u","password":"p?>","serveraddress":"x"}"#);
        let v: Value = serde_json::from_slice(&decode_b64(&h).unwrap()).unwrap();
        assert_eq!(
            credential_from(&v),
            Some(Credential::Basic {
                username: "u".into(),
                password: "p?>".into()
            })
        );
        assert_eq!(credential_from(&json!({})), None);
        assert!(has_tag("localhost:5000/a/b:1"));
        assert!(!has_tag("localhost:5000/a/b"));
    }

    use base64::engine::general_purpose::URL_SAFE;
}
