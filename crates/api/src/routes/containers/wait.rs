//! `POST /containers/{id}/wait?condition=`: the response head at once, the body
//! `{"StatusCode": n, "Error": null}` once the condition holds. The docker CLI calls it
//! before it starts a container (`docker run`), so `next-exit` waits through the start.

use std::path::PathBuf;
use std::time::Duration;

use berth_engine::containers::state::{state_of, wait_pid_exit};
use berth_engine::containers::State;
use serde_json::json;

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{BodyWriter, Reply, Request};

/// What the client waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Condition {
    /// Not running (at once when it is not).
    NotRunning,
    /// The next exit after the request.
    NextExit,
    /// Removed (its last exit code).
    Removed,
}

/// How often an idle wait looks again (and notices a gone client), at the least.
const POLL: Duration = Duration::from_millis(100);

/// The first wait between two looks after a change of state (doubling up to [`POLL`]).
const FIRST_NAP: Duration = Duration::from_millis(2);

/// `POST /containers/{id}/wait?condition=not-running|next-exit|removed`.
pub fn wait(ctx: &Ctx, req: &mut Request, id: &str) -> ApiResult<Reply> {
    let cond = match req.query.get("condition").unwrap_or("") {
        "" | "not-running" => Condition::NotRunning,
        "next-exit" => Condition::NextExit,
        "removed" => Condition::Removed,
        other => {
            return Err(ApiError::bad_request(format!(
                "invalid condition: {other:?} (not-running, next-exit or removed)"
            )))
        }
    };
    let e = ctx.engine()?;
    let r = e.container(id)?;
    let events = berth_engine::events::log_path(&e.paths.root);
    let watch = Watch {
        dir: e.paths.container(&r.id),
        runtime: e.paths.runtime(),
        id: r.id.clone(),
        events_from: berth_engine::events::log_len(&events),
        events,
    };
    let first = watch.state();
    Reply::stream("application/json", move |w| watch.run(cond, first, w))
}

/// The files that tell a container's state.
struct Watch {
    dir: PathBuf,
    runtime: PathBuf,
    id: String,
    /// The event log, and its length when the wait began.
    events: PathBuf,
    events_from: u64,
}

impl Watch {
    fn state(&self) -> State {
        state_of(&self.dir, &self.runtime, &self.id)
    }

    fn gone(&self) -> bool {
        !self.dir.exists()
    }

    /// The exit code of the container's last `die` since the wait began, from the event log:
    /// an `--rm` container can exit and be removed between two looks at its state.
    fn died_with(&self) -> Option<i32> {
        let (events, _) = berth_engine::events::read_from(&self.events, self.events_from).ok()?;
        events
            .iter()
            .rev()
            .find(|e| e.kind == "container" && e.action == "die" && e.id == self.id)
            .and_then(|e| e.attributes.get("exitCode"))
            .and_then(|c| c.parse().ok())
    }

    /// Waits for `cond` (from the state `first` at the request), then writes the body.
    fn run(&self, cond: Condition, first: State, mut w: BodyWriter) {
        let mut last = first.clone();
        let mut nap = FIRST_NAP;
        let code = loop {
            if w.is_closed() {
                return;
            }
            if self.gone() {
                break self.died_with().unwrap_or(last.exit_code);
            }
            let s = self.state();
            let stopped = s.is_stopped();
            // An exit recorded since the request (a restart policy may have started it
            // again already: that still was the next exit).
            let exited_since = !s.finished_at.is_empty() && s.finished_at != first.finished_at;
            let done = match cond {
                Condition::NotRunning => stopped,
                // (Or an exit nobody recorded: the monitor died.)
                Condition::NextExit => exited_since || (stopped && !s.error.is_empty()),
                Condition::Removed => false,
            };
            let running_pid = (s.pid > 0 && s.is_running()).then_some(s.pid);
            if s.status != last.status {
                nap = FIRST_NAP;
            }
            last = s;
            if done {
                break last.exit_code;
            }
            match running_pid {
                // Until the init exits (or a while passes), then look again soon: the
                // monitor records the exit right after.
                Some(pid) => {
                    if wait_pid_exit(pid, POLL) {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                }
                // Soon after a change (a start or an exit is usually milliseconds away:
                // `docker run` waits before it starts), then less and less often.
                None => {
                    std::thread::sleep(nap);
                    nap = (nap * 2).min(POLL);
                }
            }
        };
        let _ = w.json_line(&json!({"StatusCode": code, "Error": null}));
    }
}
