//! `POST /containers/{id}/attach`: a hijacked connection relayed to the container's monitor
//! over its control socket (output from it, stdin to it), after the logged output when
//! `logs` is asked for; and `POST /containers/{id}/resize`.
//!
//! `docker run` and `docker start -a` attach before they start: attaching to a container
//! that is not running spawns its monitor (the container created, waiting), and the start
//! that follows tells that monitor to start it (`Engine::start_container`).

use std::io::{self, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::path::Path;

use berth_engine::containers::ContainerRecord;
use berth_engine::Engine;
use berth_monitor::client::AttachClient;
use berth_monitor::log_reader::{read_logs, LogsOptions};
use berth_monitor::proto::{self, Hello};
use hyper::StatusCode;

use super::mux::{self, DetachFilter, Framing, StreamWriter};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};
use crate::query::Query;

/// The attach and resize routes.
pub fn route(ctx: &Ctx, req: &mut Request, segs: &[&str]) -> Option<ApiResult<Reply>> {
    Some(match (req.method.as_str(), segs) {
        ("POST", ["containers", id, "attach"]) => attach(ctx, req, id),
        ("POST", ["containers", id, "resize"]) => resize(ctx, req, id),
        _ => return None,
    })
}

/// How long a hijacked stream waits before its first bytes, so that the client has read
/// the response's headers on their own.
const HEADERS_FIRST: std::time::Duration = std::time::Duration::from_millis(50);

/// The wait before a hijacked stream's first bytes for this client: docker-py reads the
/// 101 through a buffered reader and then the raw socket, so bytes that arrive with the
/// headers are lost to it (docker-py issue 1799). Go clients (the docker CLI, Go's HTTP
/// client) read the stream through the same reader and need no wait.
pub(crate) fn headers_first(req: &Request) -> std::time::Duration {
    let agent = req.header("user-agent").unwrap_or("");
    if agent.starts_with("Docker-Client/") || agent.starts_with("Go-http-client/") {
        std::time::Duration::ZERO
    } else {
        HEADERS_FIRST
    }
}

/// Which of the container's streams the client wants.
#[derive(Debug, Clone, Copy)]
struct Streams {
    stdin: bool,
    stdout: bool,
    stderr: bool,
}

/// `POST /containers/{id}/attach?stream=&logs=&stdin=&stdout=&stderr=&detachKeys=`.
fn attach(ctx: &Ctx, req: &Request, id: &str) -> ApiResult<Reply> {
    let e = ctx.engine()?;
    let r = e.container(id)?;
    let q = &req.query;
    let want = Streams {
        stdin: q.bool("stdin") && r.stdin_open,
        stdout: q.bool("stdout"),
        stderr: q.bool("stderr"),
    };
    let keys = mux::parse_detach_keys(q.get("detachKeys").unwrap_or(""))?;
    let framing = Framing::for_tty(r.tty);
    let logs = q.bool("logs").then(|| r.monitor.log.path.clone());
    // Connected, and the hello sent, before the reply: the start a client sends after it
    // cannot overtake the attach and lose the first output.
    let monitor = if q.bool("stream") {
        connect(&e, &r, want)?
    } else {
        None
    };
    // `docker run -i` sets StdinOnce: the client's EOF closes the container's stdin. A
    // record without the key (made by the berth CLI) does as `berth run -i` does.
    let stdin_once = r.config["StdinOnce"].as_bool().unwrap_or(true);
    let delay = headers_first(req);
    Ok(Reply::Hijack {
        content_type: framing.content_type(),
        handler: Box::new(move |conn| {
            std::thread::sleep(delay);
            if let Some(path) = logs {
                replay_logs(&path, framing, want, &conn);
            }
            if let Some(m) = monitor {
                relay(m, &conn, framing, want, stdin_once, keys);
            }
            let _ = conn.shutdown(Shutdown::Both);
        }),
    })
}

/// Connects to the container's monitor and says what this attach wants. A container that
/// is not running gets its monitor spawned first (the container created, waiting for the
/// start `docker run` and `docker start -a` send next); if that fails, None: the start
/// will fail the same way and say why.
fn connect(e: &Engine, r: &ContainerRecord, want: Streams) -> ApiResult<Option<UnixStream>> {
    let s = e.state(r);
    if s.is_stopped() {
        if let Err(err) = e.spawn_monitor(r) {
            eprintln!("attach {}: {err}", r.id);
            return Ok(None);
        }
    }
    let mut sock = UnixStream::connect(e.paths.socket(&r.id))
        .map_err(|err| ApiError::conflict(format!("container {} is not running: {err}", r.id)))?;
    let hello = Hello {
        stdin: want.stdin,
        stdout: want.stdout,
        stderr: want.stderr,
        start: false,
    };
    proto::write_frame(&mut sock, proto::HELLO, &hello.encode())?;
    Ok(Some(sock))
}

/// Writes the logged output to the client (what `logs=1` asks for).
fn replay_logs(path: &Path, framing: Framing, want: Streams, conn: &UnixStream) {
    let writer = |on: bool, stream: u8| -> Box<dyn Write> {
        match (on, conn.try_clone()) {
            (true, Ok(c)) => Box::new(StreamWriter::new(c, stream, framing)),
            _ => Box::new(io::sink()),
        }
    };
    let mut out = writer(want.stdout, mux::STDOUT);
    let mut err = writer(want.stderr, mux::STDERR);
    let _ = read_logs(path, &LogsOptions::default(), &mut *out, &mut *err, || true);
}

/// Relays until the container exits or the client detaches or goes away: the monitor's
/// output to the client, the client's bytes to the container's stdin.
fn relay(
    mon: UnixStream,
    conn: &UnixStream,
    framing: Framing,
    want: Streams,
    stdin_once: bool,
    keys: Vec<u8>,
) {
    let pump = match (want.stdin, conn.try_clone(), mon.try_clone()) {
        (true, Ok(from), Ok(to)) => std::thread::Builder::new()
            .name("attach-stdin".into())
            .spawn(move || pump_stdin(from, to, stdin_once, keys))
            .ok(),
        _ => None,
    };
    let mut out = conn;
    let mut from = &mon;
    while let Ok(Some((kind, data))) = proto::read_frame(&mut from) {
        let sent = match kind {
            proto::STDOUT => framing.write(&mut out, mux::STDOUT, &data),
            proto::STDERR => framing.write(&mut out, mux::STDERR, &data),
            proto::ERROR => {
                let _ = framing.write(&mut out, mux::STDERR, &data);
                break;
            }
            proto::EXIT => break,
            _ => Ok(()),
        };
        if sent.is_err() {
            break;
        }
    }
    let _ = mon.shutdown(Shutdown::Both);
    let _ = conn.shutdown(Shutdown::Both);
    if let Some(t) = pump {
        let _ = t.join();
    }
}

/// Client bytes to the container's stdin, the detach keys filtered out. At the client's
/// EOF the container's stdin is closed when `stdin_once`; the detach keys end the attach.
fn pump_stdin(mut from: UnixStream, mut to: UnixStream, stdin_once: bool, keys: Vec<u8>) {
    let mut keys = DetachFilter::new(&keys);
    let mut buf = vec![0u8; 32 << 10];
    loop {
        let Ok(n) = mux::read_retrying(&mut from, &mut buf) else {
            return;
        };
        if n == 0 {
            if stdin_once {
                let _ = proto::write_frame(&mut to, proto::STDIN_CLOSE, &[]);
            }
            return;
        }
        let (data, detached) = keys.filter(&buf[..n]);
        for chunk in data.chunks(proto::MAX_PAYLOAD) {
            if proto::write_frame(&mut to, proto::STDIN, chunk).is_err() {
                return;
            }
        }
        if detached {
            let _ = to.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// `POST /containers/{id}/resize?h=&w=`: the container's pty, through its monitor.
fn resize(ctx: &Ctx, req: &Request, id: &str) -> ApiResult<Reply> {
    let (rows, cols) = size(&req.query)?;
    let e = ctx.engine()?;
    let r = e.container(id)?;
    let s = e.state(&r);
    let not_running = || ApiError::conflict(format!("Container {} is not running", r.id));
    if !s.is_running() && !s.awaits_start() {
        return Err(not_running());
    }
    let mut c = AttachClient::connect(&e.paths.socket(&r.id)).map_err(|_| not_running())?;
    c.hello(&Hello::default())
        .and_then(|_| c.resize(rows, cols))
        .map_err(|err| ApiError::internal(err.to_string()))?;
    Ok(Reply::Empty(StatusCode::OK))
}

/// The `h` and `w` parameters of a resize (rows, columns); both required.
pub(crate) fn size(q: &Query) -> ApiResult<(u16, u16)> {
    let get = |key: &str| -> ApiResult<u16> {
        let v = q
            .int(key)?
            .ok_or_else(|| ApiError::bad_request(format!("missing parameter {key}")))?;
        u16::try_from(v).map_err(|_| ApiError::bad_request(format!("invalid value for {key}: {v}")))
    };
    Ok((get("h")?, get("w")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_sizes() {
        assert_eq!(size(&Query::parse(Some("h=30&w=100"))).unwrap(), (30, 100));
        assert!(size(&Query::parse(Some("h=30"))).is_err());
        assert!(size(&Query::parse(Some("h=-1&w=3"))).is_err());
        assert!(size(&Query::parse(Some("h=x&w=3"))).is_err());
    }
}
