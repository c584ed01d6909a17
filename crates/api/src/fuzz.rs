//! Entry points for the fuzz target (crates/api/tests/fuzz_api.rs): the pure mappings of
//! client input that the routes apply before they touch the engine, each taking the raw
//! bytes a client sends. Every one returns `Ok` or an [`ApiError`] that the service would
//! answer; none may panic or hang. Not part of the service's interface.

use hyper::header::{HeaderMap, HeaderValue};
use hyper::Method;

use crate::error::{ApiError, ApiResult};
use crate::http::{BodyReader, Request};
use crate::query::{Filters, Query};
use crate::routes;

/// A body as `Request::json` reads it: blank is `null`, malformed JSON a 400.
fn json<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        body
    };
    serde_json::from_slice(text).map_err(|e| ApiError::bad_request(format!("invalid JSON: {e}")))
}

/// `POST /containers/create?name=`: the body onto the engine's run options.
pub fn container_create(body: &[u8], name: Option<&str>) -> ApiResult<String> {
    let parsed = routes::containers::create::parse_body(json(body)?, name, None)?;
    Ok(format!("{parsed:?}"))
}

/// `POST /containers/{id}/update`: the body as a resource change.
pub fn container_update(body: &[u8]) -> ApiResult<String> {
    let u: Option<routes::containers::update::Update> = json(body)?;
    let change = routes::containers::update::change(&u.unwrap_or_default())?;
    Ok(format!("{change:?}"))
}

/// `POST /containers/{id}/exec`: the body as an exec configuration.
pub fn exec_create(body: &[u8]) -> ApiResult<String> {
    let b: Option<routes::exec::create::Body> = json(body)?;
    Ok(format!(
        "{:?}",
        routes::exec::create::config(b.unwrap_or_default())?
    ))
}

/// `POST /networks/create`: the body as the engine's network options.
pub fn network_create(body: &[u8]) -> ApiResult<String> {
    let b: Option<routes::networks::CreateBody> = json(body)?;
    let b = b.ok_or_else(|| ApiError::bad_request("network create: missing JSON body"))?;
    Ok(format!("{:?}", routes::networks::create_options(&b)?))
}

/// `POST /volumes/create`: the body as a name and labels.
pub fn volume_create(body: &[u8]) -> ApiResult<String> {
    Ok(format!(
        "{:?}",
        routes::volumes::create_options(json(body)?)?
    ))
}

/// `POST /commit`: a body's configuration over an image's.
pub fn commit_config(body: &[u8]) -> ApiResult<String> {
    let v: serde_json::Value = json(body)?;
    let mut cfg = berth_store::oci::ContainerConfig::default();
    routes::images::commit::merge(&mut cfg, &v)?;
    Ok(format!("{cfg:?}"))
}

/// The `X-Registry-Auth` header (pull, push) as a credential, and the same bytes as an
/// `X-Registry-Config` header (build: one credential per registry).
pub fn registry_auth(header: &[u8]) -> ApiResult<String> {
    use routes::images::registry::{config_entry, credential_from, decode_auth_json};
    let req = request(None, &[("x-registry-auth", header)]);
    let one = routes::images::registry::registry_auth(&req);
    if let Ok(serde_json::Value::Object(map)) =
        decode_auth_json(&String::from_utf8_lossy(header), "X-Registry-Config")
    {
        for entry in map.values() {
            let _ = credential_from(entry).map(|c| config_entry(&c));
        }
    }
    Ok(format!("{:?}", one?.is_some()))
}

/// An image name in a path (`/images/{name}/json`): its segments, percent-decoded.
pub fn image_name(path: &str) -> ApiResult<String> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    Ok(routes::images::name(&segs))
}

/// A query string through every typed reader the routes use: booleans, integers,
/// `filters`, resize sizes, build flags, detach keys, name and reference patterns.
pub fn query(q: &str) -> ApiResult<String> {
    let parsed = Query::parse(Some(q));
    let mut out = Vec::new();
    for (k, v) in &parsed.0 {
        out.push(format!("{}{:?}", parsed.bool(k), parsed.int(k).ok()));
        let _ = crate::query::bool_value(k, v);
        let _ = routes::mux::parse_detach_keys(v);
        let _ = routes::images::local::glob_match(v, k);
        let _ = routes::images::local::reference_matches(std::slice::from_ref(v), k);
        let _ = routes::containers::list::name_matches(k, v);
        let _ = Filters::parse(v);
    }
    let _ = routes::attach::size(&parsed);
    let req = request(Some(q), &[]);
    let _ = routes::images::build_input::flags(&req, &[]);
    let _ = routes::logs::options(&parsed, std::time::SystemTime::now());
    let _ = routes::events::time_param(&req, "since");
    let _ = routes::containers::lifecycle::stop_params(&req);
    let mut config = berth_store::oci::ContainerConfig::default();
    for c in parsed.all("changes") {
        let _ = berth_engine::images::changes::apply_change(&mut config, c);
    }
    if let Ok(f) = parsed.filters() {
        let _ = routes::events::Selector::parse(&f);
    }
    let f = parsed.filters()?;
    let _ = f.only(&["label", "name"]);
    let _ = (f.one_bool("dangling"), f.labels_match(&Default::default()));
    out.push(format!("{:?}", f.as_pairs()));
    Ok(out.join(","))
}

/// A request path: its API version prefix and segments.
pub fn path(p: &str) -> ApiResult<String> {
    let (v, rest) = crate::version::split_version(p)?;
    Ok(format!("{v} {rest}"))
}

/// A bodiless GET request with a query and headers, as the routes see one.
fn request(q: Option<&str>, headers: &[(&'static str, &[u8])]) -> Request {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_bytes(v) {
            map.insert(*k, v);
        }
    }
    Request {
        method: Method::GET,
        path: "/".into(),
        version: crate::version::MAX,
        query: Query::parse(q),
        headers: map,
        body: BodyReader::empty(),
    }
}

/// The targets [`run`] chooses from, in order.
pub const TARGETS: &[&str] = &[
    "container_create",
    "container_update",
    "exec_create",
    "network_create",
    "volume_create",
    "commit_config",
    "registry_auth",
    "query",
    "path",
    "image_name",
];

/// Runs target `TARGETS[i % len]` on `data`.
pub fn run(i: usize, data: &[u8]) -> ApiResult<String> {
    let text = || String::from_utf8_lossy(data).into_owned();
    match i % TARGETS.len() {
        0 => container_create(data, Some("fuzz")),
        1 => container_update(data),
        2 => exec_create(data),
        3 => network_create(data),
        4 => volume_create(data),
        5 => commit_config(data),
        6 => registry_auth(data),
        7 => query(&text()),
        8 => path(&text()),
        _ => image_name(&text()),
    }
}
