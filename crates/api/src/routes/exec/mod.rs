//! Exec: `POST /containers/{id}/exec`, `POST /exec/{id}/start` (a hijacked connection, as
//! attach), `POST /exec/{id}/resize` and `GET /exec/{id}/json`.
//!
//! Each exec runs as a child `berth exec` process: the engine's in-process exec joins the
//! container's namespaces, which a multi-threaded service must not do on its threads. The
//! child's stdio is on pipes, or on a pty made here for a TTY (`berth exec -t` wants a
//! terminal); the exec instances live in memory for the service's lifetime, as dockerd's do.

pub(crate) mod create;
mod inspect;
mod process;
mod pty;
mod registry;
mod session;
mod start;

use crate::ctx::Ctx;
use crate::error::ApiResult;
use crate::http::{Reply, Request};

/// The exec routes.
pub fn route(ctx: &Ctx, req: &mut Request, segs: &[&str]) -> Option<ApiResult<Reply>> {
    Some(match (req.method.as_str(), segs) {
        ("POST", ["containers", id, "exec"]) => create::create(ctx, req, id),
        ("POST", ["exec", id, "start"]) => start::start(ctx, req, id),
        ("POST", ["exec", id, "resize"]) => start::resize(req, id),
        ("GET", ["exec", id, "json"]) => inspect::inspect(id),
        _ => return None,
    })
}
