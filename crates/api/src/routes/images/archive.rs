//! Archive routes: `GET /images/{name}/get` and `GET /images/get?names=` (a docker-archive
//! tar), `POST /images/load` (a tar body), `POST /images/create?fromSrc=` (import a rootfs
//! tar).

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

/// `POST /images/create?fromSrc=-&repo=&tag=&changes=&message=`: imports the body (a URL
/// source is refused) and answers `{"status": "sha256:<id>"}`.
pub fn import(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    let src = req.query.get("fromSrc").unwrap_or_default();
    if src != "-" {
        return Err(ApiError::not_implemented(format!(
            "importing from a URL ({src}) is not supported by berth: send the tar as the request body (fromSrc=-)"
        )));
    }
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
    let body = std::mem::replace(&mut req.body, BodyReader::empty());
    let id = ctx
        .engine()?
        .import(body, name.as_deref(), &changes, message.as_deref())?;
    Reply::ok(json!({"status": format!("sha256:{id}")}))
}
