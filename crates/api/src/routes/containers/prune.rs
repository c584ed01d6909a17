//! `POST /containers/prune?filters=`: removes the stopped containers.

use serde_json::json;

use berth_engine::system::prune_filter::PruneFilter;

use super::summary::dir_size;
use crate::ctx::Ctx;
use crate::error::ApiResult;
use crate::http::{Reply, Request};

/// `{"ContainersDeleted": [...], "SpaceReclaimed": n}`; filters `until` and `label`
/// (`label!=`), anything else is a 400.
pub fn prune(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    let filters = req.query.filters()?;
    let filter = PruneFilter::parse(&filters.as_pairs())?;
    let e = ctx.engine()?;
    // The writable layers' sizes, measured before they go.
    let sizes: Vec<(String, u64)> = e
        .containers()?
        .into_iter()
        .filter(|(_, s)| !s.is_running() && s.status != "restarting")
        .map(|(r, _)| {
            let size = dir_size(&e.paths.container(&r.id).join("upper"));
            (r.id, size)
        })
        .collect();
    let removed = e.prune_containers(&filter)?;
    let reclaimed: u64 = sizes
        .iter()
        .filter(|(id, _)| removed.contains(id))
        .map(|(_, n)| n)
        .sum();
    Reply::ok(json!({"ContainersDeleted": removed, "SpaceReclaimed": reclaimed}))
}
