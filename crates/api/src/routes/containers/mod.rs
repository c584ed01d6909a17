//! Container routes: list, create, inspect, the lifecycle (start, stop, restart, kill,
//! pause, unpause, rename, update), wait, remove and prune. Attach, logs, exec, archive,
//! stats and the like live in other modules.

pub(crate) mod create;
mod host_config;
mod inspect;
pub(crate) mod lifecycle;
pub(crate) mod list;
mod prune;
mod remove;
mod summary;
pub(crate) mod update;
mod wait;

use crate::ctx::Ctx;
use crate::error::ApiResult;
use crate::http::{Reply, Request};

/// The container routes.
pub fn route(ctx: &Ctx, req: &mut Request, segs: &[&str]) -> Option<ApiResult<Reply>> {
    let method = req.method.as_str().to_string();
    Some(match (method.as_str(), segs) {
        ("GET", ["containers", "json"]) => list::list(ctx, req),
        ("POST", ["containers", "create"]) => create::create(ctx, req),
        ("POST", ["containers", "prune"]) => prune::prune(ctx, req),
        ("GET", ["containers", id, "json"]) => inspect::inspect(ctx, req, id),
        ("POST", ["containers", id, "start"]) => lifecycle::start(ctx, id),
        ("POST", ["containers", id, "stop"]) => lifecycle::stop(ctx, req, id),
        ("POST", ["containers", id, "restart"]) => lifecycle::restart(ctx, req, id),
        ("POST", ["containers", id, "kill"]) => lifecycle::kill(ctx, req, id),
        ("POST", ["containers", id, "pause"]) => lifecycle::pause(ctx, id, true),
        ("POST", ["containers", id, "unpause"]) => lifecycle::pause(ctx, id, false),
        ("POST", ["containers", id, "rename"]) => lifecycle::rename(ctx, req, id),
        ("POST", ["containers", id, "update"]) => update::update(ctx, req, id),
        ("POST", ["containers", id, "wait"]) => wait::wait(ctx, req, id),
        ("DELETE", ["containers", id]) => remove::remove(ctx, req, id),
        _ => return None,
    })
}
