//! Image routes: listing and inspecting (`local`), pull and push (`transfer`, with
//! `progress` for its JSON lines), login/distribution/search and registry credentials
//! (`registry`), save/load/import (`archive`), `commit` and the legacy builder (`build`).
//!
//! Image names may hold slashes and a tag (`/images/localhost:5000/a/b:tag/json`), so the
//! per-image routes match the path by its last segment and join the rest as the name.

use crate::ctx::Ctx;
use crate::error::ApiResult;
use crate::http::{Reply, Request};

mod archive;
mod build;
mod build_input;
mod commit;
mod local;
mod progress;
mod registry;
mod transfer;

/// The image routes.
pub fn route(ctx: &Ctx, req: &mut Request, segs: &[&str]) -> Option<ApiResult<Reply>> {
    let method = req.method.as_str();
    Some(match (method, segs) {
        ("GET", ["images", "json"]) => local::list(ctx, req),
        ("POST", ["images", "prune"]) => local::prune(ctx, req),
        ("POST", ["images", "create"]) => transfer::create(ctx, req),
        ("POST", ["images", "load"]) => archive::load(ctx, req),
        ("GET", ["images", "get"]) => {
            let names = req
                .query
                .all("names")
                .iter()
                .map(|s| s.to_string())
                .collect();
            archive::save(ctx, names)
        }
        ("GET" | "POST", ["images", "search"]) => registry::search(req),
        ("POST", ["auth"]) => registry::auth(req),
        ("POST", ["build"]) => build::build(ctx, req),
        ("POST", ["commit"]) => commit::commit(ctx, req),
        ("GET", ["distribution", rest @ .., "json"]) if !rest.is_empty() => {
            registry::distribution(req, &rest.join("/"))
        }
        ("GET", ["images", rest @ .., "json"]) if !rest.is_empty() => {
            local::inspect(ctx, &rest.join("/"))
        }
        ("GET", ["images", rest @ .., "history"]) if !rest.is_empty() => {
            local::history(ctx, &rest.join("/"))
        }
        ("GET", ["images", rest @ .., "get"]) if !rest.is_empty() => {
            archive::save(ctx, vec![rest.join("/")])
        }
        ("POST", ["images", rest @ .., "tag"]) if !rest.is_empty() => {
            local::tag(ctx, req, &rest.join("/"))
        }
        ("POST", ["images", rest @ .., "push"]) if !rest.is_empty() => {
            transfer::push(ctx, req, &rest.join("/"))
        }
        ("DELETE", ["images", rest @ ..]) if !rest.is_empty() => {
            local::remove(ctx, req, &rest.join("/"))
        }
        _ => return None,
    })
}
