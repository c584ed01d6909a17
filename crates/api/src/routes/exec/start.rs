//! `POST /exec/{id}/start` (detached, or a hijacked connection carrying the process's
//! stdio) and `POST /exec/{id}/resize`.

use hyper::StatusCode;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde::Deserialize;

use super::process::{self, Io};
use super::{create, pty, registry, session};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};
use crate::routes::attach::size as resize_size;
use crate::routes::mux::{self, Framing};

/// The request body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Body {
    detach: Option<bool>,
    console_size: Option<Vec<u16>>,
}

/// Starts the instance: 200 at once when detached, else the hijacked stream, which ends
/// once the process has exited (its exit code already recorded for `GET /exec/{id}/json`).
pub fn start(ctx: &Ctx, req: &mut Request, id: &str) -> ApiResult<Reply> {
    let body: Option<Body> = req.json()?;
    let body = body.unwrap_or_default();
    let ex = registry::get(id)?;
    let e = ctx.engine()?;
    let r = e.container(&ex.config.container_id)?;
    create::running(&e, &r)?;
    let detach = body.detach.unwrap_or(false);
    let keys = mux::parse_detach_keys(&ex.config.detach_keys)?;
    let size = {
        let mut s = ex.state();
        if s.running {
            return Err(ApiError::conflict(format!(
                "Exec command {id} is already running"
            )));
        }
        if s.started {
            return Err(ApiError::conflict(format!(
                "Exec command {id} has already run"
            )));
        }
        s.started = true;
        s.running = true;
        let asked = match body.console_size.as_deref() {
            Some(&[h, w]) if h > 0 || w > 0 => Some((h, w)),
            _ => None,
        };
        s.size.or(asked).or(ex.config.console_size)
    };
    let io = match process::spawn(ctx, &ex, detach, size) {
        Ok(io) => io,
        Err(err) => {
            ex.finish(126);
            return Err(err);
        }
    };
    e.container_event(&r, &format!("exec_start: {}", ex.config.cmd.join(" ")));
    if detach {
        if let Io::Pty(master) = io {
            // Nobody reads a detached exec's terminal: drain it, or the process blocks.
            let _ = std::thread::Builder::new()
                .name("exec-drain".into())
                .spawn(move || session::drain(master));
        }
        return Ok(Reply::Empty(StatusCode::OK));
    }
    let framing = Framing::for_tty(ex.config.tty);
    let delay = crate::routes::attach::headers_first(req);
    Ok(Reply::Hijack {
        content_type: framing.content_type(),
        handler: Box::new(move |conn| session::run(&ex, io, conn, framing, keys, delay)),
    })
}

/// `POST /exec/{id}/resize?h=&w=`: the exec's terminal. Before the start the size is kept
/// for it; without a TTY there is nothing to resize.
pub fn resize(req: &Request, id: &str) -> ApiResult<Reply> {
    let (rows, cols) = resize_size(&req.query)?;
    let ex = registry::get(id)?;
    let (master, pid) = {
        let mut s = ex.state();
        s.size = Some((rows, cols));
        (s.master.clone(), s.pid)
    };
    if let Some(m) = master {
        pty::set_size(&*m, rows, cols)?;
        // Not its controlling terminal: the child `berth exec` is told, reads the new size
        // from its stdin and passes it on to the process's terminal.
        let _ = kill(Pid::from_raw(pid), Signal::SIGWINCH);
    }
    Ok(Reply::Empty(StatusCode::OK))
}
