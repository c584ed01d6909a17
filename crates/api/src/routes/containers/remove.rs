//! `DELETE /containers/{id}?force=&v=&link=`.

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};

/// Removes a container: 409 when it runs and `force` is not given; `v` removes its
/// anonymous volumes too.
pub fn remove(ctx: &Ctx, req: &mut Request, id: &str) -> ApiResult<Reply> {
    let force = req.query.bool("force");
    let volumes = req.query.bool("v");
    let e = ctx.engine()?;
    let r = e.container(id)?;
    if req.query.bool("link") {
        return Err(ApiError::bad_request(format!(
            "Conflict, cannot remove the default link name of the container: berth has no container links ({})",
            r.name
        )));
    }
    e.remove_container(&r, force, volumes)?;
    Reply::no_content()
}
