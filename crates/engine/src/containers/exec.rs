//! `exec`: another process in a running container, through the runtime.

use berth_runtime::ops::exec::{exec, ExecOptions};

use crate::containers::record::ContainerRecord;
use crate::engine::Engine;
use crate::error::{Error, Result};

/// What `berth exec` asks for.
#[derive(Debug, Clone, Default)]
pub struct ExecRequest {
    /// Command and arguments.
    pub args: Vec<String>,
    /// Extra `KEY=value` environment.
    pub env: Vec<String>,
    /// Working directory.
    pub workdir: Option<String>,
    /// user[:group] (names looked up in the container).
    pub user: Option<String>,
    /// Run in the background.
    pub detach: bool,
    /// Terminal (via a console socket the caller listens on).
    pub tty: bool,
    /// The console socket for `tty`.
    pub console_socket: Option<std::path::PathBuf>,
    /// All capabilities.
    pub privileged: bool,
}

impl Engine {
    /// Runs a process in a running container; returns its exit code (0 when detached).
    pub fn exec_in(&self, r: &ContainerRecord, req: &ExecRequest) -> Result<i32> {
        let s = self.state(r);
        if s.status == "paused" {
            return Err(Error::Conflict(format!("Container {} is paused, unpause the container before exec", r.id)));
        }
        if !s.is_running() {
            return Err(Error::Conflict(format!("Container {} is not running", r.id)));
        }
        let user = match &req.user {
            Some(u) => {
                let rootfs = self.paths.container(&r.id).join("rootfs");
                let eu = crate::spec::users::resolve_user(&rootfs, u, &[])?;
                Some(format!("{}:{}", eu.uid, eu.gid))
            }
            None => None,
        };
        let mut env = req.env.clone();
        if req.tty && !env.iter().any(|e| e.starts_with("TERM=")) {
            env.push("TERM=xterm".into());
        }
        let o = ExecOptions {
            id: r.id.clone(),
            process_file: None,
            args: req.args.clone(),
            tty: req.tty,
            cwd: req.workdir.as_ref().map(Into::into),
            env,
            user,
            additional_gids: Vec::new(),
            no_new_privs: false,
            caps: if req.privileged { crate::spec::ALL_CAPS.iter().map(|c| format!("CAP_{c}")).collect() } else { Vec::new() },
            detach: req.detach,
            pid_file: None,
            console_socket: req.console_socket.clone(),
            preserve_fds: 0,
        };
        exec(&self.runtime(), &o).map_err(|e| {
            let msg = e.to_string();
            let lower = msg.to_ascii_lowercase();
            if lower.contains("not found") || lower.contains("no such file") {
                Error::CommandNotFound(format!("OCI runtime exec failed: {msg}"))
            } else if lower.contains("permission denied") {
                Error::CannotExecute(format!("OCI runtime exec failed: {msg}"))
            } else {
                Error::Runtime(e)
            }
        })
    }
}
