//! Transfer routes: `POST /images/create` (pull; `fromSrc` is an import) and `POST
//! /images/{name}/push`. Pulls and pushes run on a worker thread (the engine's transfer code is
//! plain HTTP and file I/O: no fork, no namespace change) and stream dockerd's JSON lines.

use std::sync::mpsc;
use std::time::Duration;

use berth_engine::images::connect::RegistryOptions;
use berth_engine::images::pull::{PullOptions, PullOutcome};
use berth_engine::images::push::PushOutcome;
use berth_engine::reference::Reference;
use serde_json::json;

use super::progress::{error_line, status_line, JsonProgress, Msg};
use super::registry::{registry_auth, registry_error};
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        assert!(has_tag("localhost:5000/a/b:1"));
        assert!(!has_tag("localhost:5000/a/b"));
        assert!(has_tag("a@sha256:00"));
    }
}
