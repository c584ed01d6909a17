//! `GET /exec/{id}/json`: an exec instance as dockerd shows it.

use serde_json::{json, Value};

use super::registry::{self, Exec};
use crate::error::ApiResult;
use crate::http::Reply;

/// The instance's document.
pub fn inspect(id: &str) -> ApiResult<Reply> {
    let ex = registry::get(id)?;
    Reply::ok(document(&ex))
}

/// dockerd's `ExecInspect` shape (`ExitCode` null until the process exited; `Pid` the
/// child `berth exec` process's).
fn document(ex: &Exec) -> Value {
    let s = ex.state();
    let c = &ex.config;
    json!({
        "ID": ex.id,
        "Running": s.running,
        "ExitCode": s.exit_code,
        "ProcessConfig": {
            "tty": c.tty,
            "entrypoint": c.cmd.first().cloned().unwrap_or_default(),
            "arguments": c.cmd.get(1..).unwrap_or_default(),
            "privileged": c.privileged,
            "user": c.user,
        },
        "OpenStdin": c.attach_stdin,
        "OpenStderr": c.attach_stderr,
        "OpenStdout": c.attach_stdout,
        "CanRemove": false,
        "ContainerID": c.container_id,
        "DetachKeys": c.detach_keys,
        "Pid": s.pid,
    })
}

#[cfg(test)]
mod tests {
    use super::super::registry::{insert, ExecConfig};
    use super::*;

    #[test]
    fn shape() {
        let ex = insert(ExecConfig {
            container_id: "c1".into(),
            cmd: vec!["sh".into(), "-c".into(), "true".into()],
            ..Default::default()
        })
        .unwrap();
        let d = document(&ex);
        assert_eq!(d["ExitCode"], Value::Null);
        assert_eq!(d["ProcessConfig"]["arguments"], json!(["-c", "true"]));
        ex.finish(7);
        let d = document(&ex);
        assert_eq!(
            (d["ExitCode"].as_i64(), d["Running"].as_bool()),
            (Some(7), Some(false))
        );
    }
}
