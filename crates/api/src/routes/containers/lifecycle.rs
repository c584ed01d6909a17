//! Start, stop, restart, kill, pause, unpause and rename.

use hyper::StatusCode;

use berth_engine::Error as EngineError;

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};

/// 304: the container already is as asked.
fn not_modified() -> ApiResult<Reply> {
    Ok(Reply::Empty(StatusCode::NOT_MODIFIED))
}

/// A start failure: the container's command not found or not executable is the client's
/// doing (400, with dockerd's wording the docker CLI turns into exit codes 127 and 126).
fn start_error(e: EngineError) -> ApiError {
    match e {
        EngineError::CommandNotFound(m) => ApiError::bad_request(format!(
            "failed to create shim task: OCI runtime create failed: exec: executable file not found in $PATH: {m}"
        )),
        EngineError::CannotExecute(m) => ApiError::bad_request(format!(
            "failed to create shim task: OCI runtime create failed: exec: permission denied: {m}"
        )),
        e => e.into(),
    }
}

/// `POST /containers/{id}/start`: 204, or 304 when it is running.
pub fn start(ctx: &Ctx, id: &str) -> ApiResult<Reply> {
    let e = ctx.engine()?;
    let r = e.container(id)?;
    let s = e.state(&r);
    if s.status == "paused" {
        return Err(ApiError::conflict(
            "cannot start a paused container, try unpause instead",
        ));
    }
    if s.is_running() {
        return not_modified();
    }
    e.start_container(&r).map_err(start_error)?;
    Reply::no_content()
}

/// The `t` (seconds before SIGKILL) and `signal` parameters of stop and restart.
pub(crate) fn stop_params(req: &Request) -> ApiResult<(Option<i64>, Option<String>)> {
    let t = req.query.int("t")?;
    let signal = req.query.get("signal").filter(|s| !s.is_empty());
    if let Some(s) = signal {
        berth_engine::spec::parse::parse_signal(s)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
    }
    Ok((t, signal.map(str::to_string)))
}

/// `POST /containers/{id}/stop?t=&signal=`: 204, or 304 when it is not running.
pub fn stop(ctx: &Ctx, req: &mut Request, id: &str) -> ApiResult<Reply> {
    let (t, signal) = stop_params(req)?;
    let e = ctx.engine()?;
    let r = e.container(id)?;
    let s = e.state(&r);
    if !s.is_running() && s.status != "restarting" {
        return not_modified();
    }
    e.stop_container(&r, t, signal.as_deref())?;
    Reply::no_content()
}

/// `POST /containers/{id}/restart?t=&signal=`.
pub fn restart(ctx: &Ctx, req: &mut Request, id: &str) -> ApiResult<Reply> {
    let (t, signal) = stop_params(req)?;
    let e = ctx.engine()?;
    let r = e.container(id)?;
    e.stop_container(&r, t, signal.as_deref())?;
    e.start_container(&r).map_err(start_error)?;
    Reply::no_content()
}

/// `POST /containers/{id}/kill?signal=` (SIGKILL by default); 409 when not running.
pub fn kill(ctx: &Ctx, req: &mut Request, id: &str) -> ApiResult<Reply> {
    let signal = req
        .query
        .get("signal")
        .filter(|s| !s.is_empty())
        .unwrap_or("SIGKILL")
        .to_string();
    berth_engine::spec::parse::parse_signal(&signal)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let e = ctx.engine()?;
    let r = e.container(id)?;
    e.kill_container(&r, &signal)?;
    Reply::no_content()
}

/// `POST /containers/{id}/pause` and `/unpause`; 409 when not running (or already so).
pub fn pause(ctx: &Ctx, id: &str, paused: bool) -> ApiResult<Reply> {
    let e = ctx.engine()?;
    let r = e.container(id)?;
    e.set_paused(&r, paused)?;
    Reply::no_content()
}

/// `POST /containers/{id}/rename?name=`.
pub fn rename(ctx: &Ctx, req: &mut Request, id: &str) -> ApiResult<Reply> {
    let name = req
        .query
        .get("name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("rename needs a new name (?name=)"))?
        .to_string();
    let e = ctx.engine()?;
    let r = e.container(id)?;
    e.rename_container(&r, &name)?;
    Reply::no_content()
}
