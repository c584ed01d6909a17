//! The API's routes, one module per area. Each module's `route` answers the requests it
//! knows (`Some`) and passes on the rest (`None`); [`dispatch`] asks them in turn.

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};

pub mod attach;
pub mod container_stats;
pub mod container_views;
pub mod containers;
pub mod df;
pub mod encode;
pub mod events;
pub mod exec;
pub mod images;
pub mod info;
pub mod logs;
pub mod mux;
pub mod networks;
pub mod status;
pub mod system;
pub mod volumes;

/// A route table: `Some(reply)` for a request it serves.
pub type Route = fn(&Ctx, &mut Request, &[&str]) -> Option<ApiResult<Reply>>;

/// Every area's routes, asked in order.
const ROUTES: &[Route] = &[
    system::route,
    containers::route,
    attach::route,
    logs::route,
    exec::route,
    images::route,
    info::route,
    events::route,
    df::route,
    networks::route,
    volumes::route,
    container_views::route,
    container_stats::route,
];

/// Answers one request (on a blocking thread).
pub fn dispatch(ctx: &Ctx, mut req: Request) -> ApiResult<Reply> {
    let path = req.path.clone();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    for route in ROUTES {
        if let Some(reply) = route(ctx, &mut req, &segs) {
            return reply;
        }
    }
    Err(ApiError::not_found("page not found"))
}
