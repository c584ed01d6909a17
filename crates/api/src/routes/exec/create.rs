//! `POST /containers/{id}/exec`: a new exec instance in a running container.

use berth_engine::containers::ContainerRecord;
use berth_engine::Engine;
use serde::Deserialize;
use serde_json::json;

use super::registry::{self, ExecConfig};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};
use crate::routes::mux;

/// The request body (every field optional; null is absent).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct Body {
    attach_stdin: Option<bool>,
    attach_stdout: Option<bool>,
    attach_stderr: Option<bool>,
    tty: Option<bool>,
    env: Option<Vec<String>>,
    cmd: Option<Vec<String>>,
    working_dir: Option<String>,
    user: Option<String>,
    privileged: Option<bool>,
    detach_keys: Option<String>,
    console_size: Option<Vec<u16>>,
}

/// Creates the instance; 201 `{"Id": ...}`.
pub fn create(ctx: &Ctx, req: &mut Request, id: &str) -> ApiResult<Reply> {
    let body: Option<Body> = req.json()?;
    let config = config(body.unwrap_or_default())?;
    let e = ctx.engine()?;
    let r = e.container(id)?;
    running(&e, &r)?;
    let ex = registry::insert(ExecConfig {
        container_id: r.id.clone(),
        ..config
    })?;
    e.container_event(&r, &format!("exec_create: {}", ex.config.cmd.join(" ")));
    Reply::created(json!({ "Id": ex.id }))
}

/// The instance's configuration from the body; a 400 for what dockerd refuses.
pub(crate) fn config(b: Body) -> ApiResult<ExecConfig> {
    let cmd = b.cmd.unwrap_or_default();
    if cmd.is_empty() {
        return Err(ApiError::bad_request("No exec command specified"));
    }
    let detach_keys = b.detach_keys.unwrap_or_default();
    mux::parse_detach_keys(&detach_keys)?;
    let console_size = match b.console_size.as_deref() {
        None | Some([0, 0]) => None,
        Some(&[h, w]) => Some((h, w)),
        Some(_) => return Err(ApiError::bad_request("ConsoleSize must be [height, width]")),
    };
    Ok(ExecConfig {
        container_id: String::new(),
        cmd,
        env: b.env.unwrap_or_default(),
        user: b.user.unwrap_or_default(),
        workdir: b.working_dir.unwrap_or_default(),
        tty: b.tty.unwrap_or(false),
        privileged: b.privileged.unwrap_or(false),
        attach_stdin: b.attach_stdin.unwrap_or(false),
        attach_stdout: b.attach_stdout.unwrap_or(false),
        attach_stderr: b.attach_stderr.unwrap_or(false),
        detach_keys,
        console_size,
    })
}

/// A 409 unless the container is running and not paused, as dockerd says it.
pub(super) fn running(e: &Engine, r: &ContainerRecord) -> ApiResult<()> {
    let s = e.state(r);
    if s.status == "paused" {
        return Err(ApiError::conflict(format!(
            "Container {} is paused, unpause the container before exec",
            r.id
        )));
    }
    if !s.is_running() {
        return Err(ApiError::conflict(format!(
            "Container {} is not running",
            r.id
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ApiResult<ExecConfig> {
        config(serde_json::from_str(text).unwrap())
    }

    #[test]
    fn bodies() {
        let c = parse(
            r#"{"AttachStdout":true,"Cmd":["sh","-c","exit 3"],"Env":null,"Tty":false,
               "ConsoleSize":[24,80],"DetachKeys":"ctrl-x","WorkingDir":"/tmp"}"#,
        )
        .unwrap();
        assert_eq!(c.cmd, ["sh", "-c", "exit 3"]);
        assert!(c.attach_stdout && !c.attach_stdin && !c.tty);
        assert_eq!(
            (c.console_size, c.workdir.as_str()),
            (Some((24, 80)), "/tmp")
        );
        assert!(parse(r#"{"Cmd":[]}"#).is_err());
        assert!(parse(r#"{"Cmd":["x"],"DetachKeys":"bogus"}"#).is_err());
        assert!(parse(r#"{"Cmd":["x"],"ConsoleSize":[1]}"#).is_err());
    }
}
