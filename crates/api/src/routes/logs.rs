//! `GET /containers/{id}/logs`: the container's logged output, framed by stream without a
//! TTY and raw with one; `follow` goes on until the container stops or the client goes.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;
use std::time::SystemTime;

use berth_engine::containers::state::state_of;
use berth_engine::system::prune_filter::parse_time;
use berth_monitor::log_reader::{read_logs, LogsOptions};

use super::mux::{self, Framing, StreamWriter};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{BodyWriter, Reply, Request};
use crate::query::Query;

/// The logs route.
pub fn route(ctx: &Ctx, req: &mut Request, segs: &[&str]) -> Option<ApiResult<Reply>> {
    Some(match (req.method.as_str(), segs) {
        ("GET", ["containers", id, "logs"]) => logs(ctx, req, id),
        _ => return None,
    })
}

/// `GET /containers/{id}/logs?follow=&stdout=&stderr=&since=&until=&timestamps=&tail=`.
fn logs(ctx: &Ctx, req: &Request, id: &str) -> ApiResult<Reply> {
    let q = &req.query;
    let (stdout, stderr) = (q.bool("stdout"), q.bool("stderr"));
    if !stdout && !stderr {
        return Err(ApiError::bad_request(
            "Bad parameters: you must choose at least one stream",
        ));
    }
    let opts = options(q, SystemTime::now())?;
    let e = ctx.engine()?;
    let r = e.container(id)?;
    let framing = Framing::for_tty(r.tty);
    let path = r.monitor.log.path.clone();
    let dir = e.paths.container(&r.id);
    let runtime = e.paths.runtime();
    Reply::stream(framing.content_type(), move |w| {
        let body = Shared(Rc::new(RefCell::new(w)));
        let writer = |on: bool, stream: u8| -> Box<dyn Write> {
            if on {
                Box::new(StreamWriter::new(body.clone(), stream, framing))
            } else {
                Box::new(io::sink())
            }
        };
        let mut out = writer(stdout, mux::STDOUT);
        let mut err = writer(stderr, mux::STDERR);
        let stop = || {
            let s = state_of(&dir, &runtime, &r.id);
            body.0.borrow().is_closed() || !(s.is_running() || s.status == "restarting")
        };
        let _ = read_logs(&path, &opts, &mut *out, &mut *err, stop);
    })
}

/// The response body, shared by the stdout and stderr writers (on one thread).
#[derive(Clone)]
struct Shared(Rc<RefCell<BodyWriter>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.borrow_mut().flush()
    }
}

/// The log reader's options from the query: `tail` (`all`, a number; anything else is all,
/// as dockerd reads it), `since`/`until` (unix seconds with a fraction, as clients send
/// them; RFC 3339 and durations are taken too; 0 is none), `follow`, `timestamps`.
pub(crate) fn options(q: &Query, now: SystemTime) -> ApiResult<LogsOptions> {
    let tail = q
        .get("tail")
        .and_then(|t| t.trim().parse::<i64>().ok())
        .and_then(|n| usize::try_from(n).ok());
    let time = |key: &str| -> ApiResult<Option<SystemTime>> {
        match q.get(key).map(str::trim) {
            None | Some("") | Some("0") => Ok(None),
            Some(v) => Ok(Some(parse_time(key, v, now)?)),
        }
    };
    Ok(LogsOptions {
        follow: q.bool("follow"),
        tail,
        since: time("since")?,
        until: time("until")?,
        timestamps: q.bool("timestamps"),
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn query_to_options() {
        let now = SystemTime::now();
        let o = options(
            &Query::parse(Some(
                "follow=1&tail=3&since=1700000000.500000000&until=0&timestamps=true",
            )),
            now,
        )
        .unwrap();
        assert!(o.follow && o.timestamps);
        assert_eq!(o.tail, Some(3));
        assert_eq!(
            o.since,
            Some(UNIX_EPOCH + Duration::from_millis(1_700_000_000_500))
        );
        assert_eq!(o.until, None);
        let o = options(&Query::parse(Some("tail=all")), now).unwrap();
        assert_eq!((o.tail, o.follow), (None, false));
        assert_eq!(
            options(&Query::parse(Some("tail=-1")), now).unwrap().tail,
            None
        );
        assert!(options(&Query::parse(Some("since=yesterday")), now).is_err());
    }
}
