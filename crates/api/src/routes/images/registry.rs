//! Registry questions: `POST /auth` (a login check), `GET /distribution/{name}/json` (a
//! manifest's descriptor and platforms), `GET /images/search` (refused: no registry berth
//! talks to offers search), and the credentials of `X-Registry-Auth` / `X-Registry-Config`.

use base64::Engine as _;
use berth_engine::images::connect::{self, RegistryOptions};
use berth_engine::images::login::login_server;
use berth_engine::reference::Reference;
use berth_registry::config::registries_conf::Endpoint;
use berth_registry::credentials::Credential;
use berth_registry::manifest::Document;
use hyper::StatusCode;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};

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
    }

    use base64::engine::general_purpose::URL_SAFE;
}
