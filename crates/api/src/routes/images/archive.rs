//! Archive routes: `GET /images/{name}/get` and `GET /images/get?names=` (a docker-archive
//! tar), `POST /images/load` (a tar body), `POST /images/create?fromSrc=` (import a rootfs
//! tar from the body or a URL).

use std::io::Read;

use berth_store::archive::ArchiveFormat;
use serde_json::json;

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{BodyReader, Reply, Request};

/// The saved archive of `names` (every name is checked before the tar starts: an unknown
/// one is a 404, not a broken tar).
pub fn save(ctx: &Ctx, names: Vec<String>) -> ApiResult<Reply> {
    if names.is_empty() {
        return Err(ApiError::bad_request("no images given: names is required"));
    }
    let e = ctx.engine()?;
    for n in &names {
        e.resolve_image_id(n)?;
    }
    Reply::stream("application/x-tar", move |w| {
        // A failure mid-way (or a gone client) ends the body early: the client sees a
        // short tar, as with dockerd.
        let _ = e.save_images(&names, ArchiveFormat::Docker, w);
    })
}

/// `POST /images/load?quiet=`: `{"stream": "Loaded image: x:tag\n"}` lines.
pub fn load(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    let body = std::mem::replace(&mut req.body, BodyReader::empty());
    let lines = ctx.engine()?.load_images(body)?;
    let mut out = Vec::new();
    for l in lines {
        let mut line = serde_json::to_vec(&json!({ "stream": format!("{l}\n") }))?;
        line.push(b'\n');
        out.extend(line);
    }
    Ok(Reply::Bytes(hyper::StatusCode::OK, "application/json", out))
}

/// `POST /images/create?fromSrc=-|URL&repo=&tag=&changes=&message=`: imports the body, or
/// what an http(s) URL serves, and answers `{"status": "sha256:<id>"}`.
pub fn import(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    let src = req.query.get("fromSrc").unwrap_or_default().to_string();
    let name = match (
        req.query.get("repo").filter(|r| !r.is_empty()),
        req.query.get("tag"),
    ) {
        (Some(r), Some(t)) if !t.is_empty() => Some(format!("{r}:{t}")),
        (Some(r), _) => Some(r.to_string()),
        _ => None,
    };
    let changes: Vec<String> = req
        .query
        .all("changes")
        .iter()
        .map(|s| s.to_string())
        .collect();
    let message = req
        .query
        .get("message")
        .filter(|m| !m.is_empty())
        .map(String::from);
    let input: Box<dyn Read> = if src == "-" {
        Box::new(std::mem::replace(&mut req.body, BodyReader::empty()))
    } else if src.starts_with("http://") || src.starts_with("https://") {
        fetch(&src)?
    } else {
        return Err(ApiError::bad_request(format!(
            "fromSrc must be - (the request body) or an http(s) URL, not {src:?}"
        )));
    };
    let id = ctx
        .engine()?
        .import(input, name.as_deref(), &changes, message.as_deref())?;
    Reply::ok(json!({"status": format!("sha256:{id}")}))
}

/// The body of `GET url` (redirects followed); a failure is a 500 naming the URL.
fn fetch(url: &str) -> ApiResult<Box<dyn Read>> {
    let agent =
        berth_registry::http::agent().map_err(|e| ApiError::internal(format!("GET {url}: {e}")))?;
    let resp = agent
        .get(url)
        .call()
        .map_err(|e| ApiError::internal(format!("GET {url}: {e}")))?;
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(ApiError::internal(format!(
            "GET {url}: the server answered {status}"
        )));
    }
    Ok(Box::new(resp.into_body().into_reader()))
}
