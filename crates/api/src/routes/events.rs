//! `GET /events?since=&until=&filters=`: the engine's event log as dockerd's JSON messages,
//! one per line: the past ones from `since`, then new ones as berth processes append them,
//! until `until` passes or the client goes.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use berth_engine::events::{self, Event};
use berth_engine::system::event_filter::EventFilter;
use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{BodyWriter, Reply, Request};
use crate::query::Filters;

/// How often the log is polled for new events (and the client checked).
const POLL: Duration = Duration::from_millis(100);

/// Event types dockerd knows (a filter on another is a 400).
const TYPES: &[&str] = &[
    "container",
    "image",
    "volume",
    "network",
    "daemon",
    "plugin",
    "node",
    "service",
    "secret",
    "config",
];

/// Filter keys dockerd accepts whose objects berth never makes events for.
const FOREIGN_KEYS: &[&str] = &["daemon", "plugin", "node", "service", "secret", "config"];

/// The events route.
pub fn route(ctx: &Ctx, req: &mut Request, segs: &[&str]) -> Option<ApiResult<Reply>> {
    Some(match (req.method.as_str(), segs) {
        ("GET", ["events"]) => events(ctx, req),
        _ => return None,
    })
}

/// What selects events: the engine's filter plus the keys it does not know.
pub(crate) struct Selector {
    engine: EventFilter,
    networks: Vec<String>,
    scopes: Vec<String>,
    foreign: bool,
}

impl Selector {
    /// The selector of a request's `filters`; an unknown type or key is a 400.
    pub(crate) fn parse(f: &Filters) -> ApiResult<Selector> {
        let mut pairs = Vec::new();
        let mut sel = Selector {
            engine: EventFilter::default(),
            networks: Vec::new(),
            scopes: Vec::new(),
            foreign: false,
        };
        for (k, vals) in &f.0 {
            match k.as_str() {
                "network" => sel.networks.extend(vals.iter().cloned()),
                "scope" => sel.scopes.extend(vals.iter().cloned()),
                k if FOREIGN_KEYS.contains(&k) => sel.foreign |= !vals.is_empty(),
                "type" => {
                    if let Some(t) = vals.iter().find(|t| !TYPES.contains(&t.as_str())) {
                        return Err(ApiError::bad_request(format!("Invalid event type: {t}")));
                    }
                    pairs.extend(vals.iter().map(|v| format!("type={v}")));
                }
                _ => pairs.extend(vals.iter().map(|v| format!("{k}={v}"))),
            }
        }
        sel.engine =
            EventFilter::parse(&pairs).map_err(|e| ApiError::bad_request(e.to_string()))?;
        Ok(sel)
    }

    fn matches(&self, ev: &Event) -> bool {
        if self.foreign {
            return false;
        }
        if !self.scopes.is_empty() && !self.scopes.iter().any(|s| s == "local") {
            return false;
        }
        if !self.networks.is_empty() {
            let name = ev.attributes.get("name").map(String::as_str);
            let hit = ev.kind == "network"
                && self
                    .networks
                    .iter()
                    .any(|n| Some(n.as_str()) == name || (!n.is_empty() && ev.id.starts_with(n)));
            if !hit {
                return false;
            }
        }
        self.engine.matches(ev)
    }
}

/// `since`/`until` as the CLI sends them (unix seconds with a fraction; RFC 3339 and
/// durations are read too), in unix nanoseconds.
pub(crate) fn time_param(req: &Request, key: &str) -> ApiResult<Option<i64>> {
    let Some(v) = req.query.get(key).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let t = berth_engine::system::prune_filter::parse_time(key, v, SystemTime::now())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(Some(
        t.duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i64),
    ))
}

/// `GET /events`.
fn events(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    let since = time_param(req, "since")?;
    let until = time_param(req, "until")?;
    let selector = Selector::parse(&req.query.filters()?)?;
    let path = events::log_path(&ctx.paths.root);
    Reply::stream("application/json", move |w| {
        follow(&path, since, until, &selector, w)
    })
}

/// Writes the matching events of the log at `path` until `until` or the client's leaving.
fn follow(path: &Path, since: Option<i64>, until: Option<i64>, sel: &Selector, mut w: BodyWriter) {
    // Without `since` only new events are sent, as dockerd does.
    let mut offset = if since.is_some() {
        0
    } else {
        events::log_len(path)
    };
    loop {
        let Ok((batch, next)) = events::read_from(path, offset) else {
            return;
        };
        offset = next;
        for ev in batch
            .iter()
            .filter(|ev| since.is_none_or(|s| ev.time >= s) && sel.matches(ev))
        {
            if until.is_some_and(|u| ev.time > u) {
                return;
            }
            if w.json_line(&message(ev)).is_err() {
                return;
            }
        }
        if until.is_some_and(|u| events::now_nanos() > u) || w.is_closed() {
            return;
        }
        std::thread::sleep(POLL);
    }
}

/// dockerd's `events.Message`: the current fields plus the old `status`/`id`/`from` that
/// container and image events still carry.
pub fn message(ev: &Event) -> Value {
    let mut m = json!({
        "Type": ev.kind,
        "Action": ev.action,
        "Actor": {"ID": ev.id, "Attributes": ev.attributes},
        "scope": "local",
        "time": ev.time.div_euclid(1_000_000_000),
        "timeNano": ev.time,
    });
    if matches!(ev.kind.as_str(), "container" | "image") {
        m["status"] = json!(ev.action);
        m["id"] = json!(ev.id);
        if ev.kind == "container" {
            if let Some(img) = ev.attributes.get("image") {
                m["from"] = json!(img);
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str, action: &str, id: &str, attrs: &[(&str, &str)]) -> Event {
        Event {
            time: 1_700_000_000_123_456_789,
            kind: kind.into(),
            action: action.into(),
            id: id.into(),
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn messages_and_selectors() {
        let start = ev(
            "container",
            "start",
            "abc",
            &[("name", "web"), ("image", "bb")],
        );
        let m = message(&start);
        assert_eq!(m["status"], "start");
        assert_eq!(m["from"], "bb");
        assert_eq!(m["time"], 1_700_000_000);
        assert_eq!(m["Actor"]["Attributes"]["name"], "web");
        let net = ev("network", "connect", "n1", &[("name", "front")]);
        assert!(message(&net).get("status").is_none());
        let sel = |j: &str| Selector::parse(&Filters::parse(j).unwrap());
        assert!(sel(r#"{"type":["container"]}"#).unwrap().matches(&start));
        assert!(!sel(r#"{"type":["network"]}"#).unwrap().matches(&start));
        assert!(sel(r#"{"network":["front"]}"#).unwrap().matches(&net));
        assert!(!sel(r#"{"network":["back"]}"#).unwrap().matches(&net));
        assert!(!sel(r#"{"daemon":["x"]}"#).unwrap().matches(&start));
        assert!(sel(r#"{"type":["bogus"]}"#).is_err());
        assert!(sel(r#"{"bogus":["1"]}"#).is_err());
    }
}
