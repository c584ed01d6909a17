//! `exec SERVICE COMMAND...`: a command in a running container of a service (replica
//! `--index`, 1 by default), with a terminal when the caller has one (`-T` turns it off);
//! the exit code is the command's. Also the container lookup `port` and `cp` share.

use std::io::IsTerminal;

use anyhow::bail;
use berth_engine::containers::exec::ExecRequest;
use berth_engine::spec::parse::parse_env;
use berth_engine::{Engine, Paths};

use super::args::{ExecArgs, ProjectOptions};
use super::labels::{self, ProjectContainer};
use super::ps::project_name;

/// The container of `service` numbered `index` (the lowest-numbered one when `None`), run
/// containers excluded; with `running`, only a running one will do. The errors are docker
/// compose's (`service "web" is not running`).
pub(super) fn target(
    e: &Engine,
    project: &str,
    service: &str,
    index: Option<u32>,
    running: bool,
) -> anyhow::Result<ProjectContainer> {
    let list = labels::service_containers(e, project, &[service.to_string()], false)?;
    let found = list
        .into_iter()
        .filter(|c| !running || c.is_running())
        .find(|c| index.is_none_or(|i| c.number == i));
    match (found, index) {
        (Some(c), _) => Ok(c),
        (None, Some(i)) if i > 1 => {
            bail!("service {service:?} is not running container #{i}")
        }
        (None, _) => bail!("service {service:?} is not running"),
    }
}

/// Whether a command gets a terminal: unless `-T`, when both standard input and output are
/// terminals (docker compose allocates one by default, which only works on a terminal).
pub(super) fn wants_tty(no_tty: bool) -> bool {
    !no_tty && std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

/// The host environment, for `-e NAME` without a value.
fn host_env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

/// `exec`.
pub fn exec(paths: &Paths, o: &ProjectOptions, a: ExecArgs) -> anyhow::Result<i32> {
    let name = project_name(o)?;
    let e = Engine::open(paths.clone())?;
    let c = target(&e, &name, &a.service, Some(a.index), true)?;
    let mut env = Vec::new();
    for v in &a.env {
        if let Some(kv) = parse_env(v, host_env)? {
            env.push(kv);
        }
    }
    let tty = !a.detach && wants_tty(a.no_tty);
    let req = ExecRequest {
        args: a.command.clone(),
        env,
        workdir: a.workdir.clone(),
        user: a.user.clone(),
        detach: a.detach,
        tty,
        console_socket: None,
        privileged: a.privileged,
        console_size: if tty {
            crate::docker::run::window_size()
        } else {
            None
        },
    };
    crate::docker::exec_tty::exec(&e, &c.rec, &req, a.interactive && !a.detach)
}
