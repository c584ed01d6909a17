//! `events`: the event log, filtered, then new events as they come (until killed, or until
//! `--until` passes).

use std::io::{self, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use berth_engine::events::{self, Event};
use berth_engine::system::event_filter::EventFilter;
use serde_json::{json, Value};

use super::args::{EventsArgs, Globals};
use super::engine;

/// How often the log is polled for new events.
const POLL: Duration = Duration::from_millis(100);

/// `events`.
pub fn events(g: &Globals, a: EventsArgs) -> anyhow::Result<i32> {
    let e = engine(g)?;
    let filter = EventFilter::parse(&a.filter)?;
    let now = SystemTime::now();
    let since = a
        .since
        .as_deref()
        .map(|s| parse_time("--since", s, now))
        .transpose()?;
    let until = a
        .until
        .as_deref()
        .map(|s| parse_time("--until", s, now))
        .transpose()?;
    let template = match a.format.as_deref() {
        None | Some("") | Some("json") => None,
        Some(f) => Some(crate::format::Template::parse(f).map_err(|err| anyhow::anyhow!("{err}"))?),
    };
    let print = |ev: &Event, out: &mut io::StdoutLock| -> anyhow::Result<()> {
        let line = match (&template, a.format.as_deref()) {
            (Some(t), _) => t
                .render(&go_fields(ev))
                .map_err(|err| anyhow::anyhow!("{err}"))?,
            (None, Some("json")) => serde_json::to_string(&json_tags(ev))?,
            _ => default_line(ev),
        };
        writeln!(out, "{line}")?;
        Ok(())
    };
    let path = events::log_path(&e.paths.root);
    // Without --since only new events are shown, as Docker does.
    let mut offset = if since.is_some() {
        0
    } else {
        events::log_len(&path)
    };
    loop {
        let (batch, next) = events::read_from(&path, offset)?;
        offset = next;
        let mut out = io::stdout().lock();
        for ev in batch
            .iter()
            .filter(|ev| since.is_none_or(|s| ev.time >= s) && filter.matches(ev))
        {
            if until.is_some_and(|u| ev.time > u) {
                return Ok(0);
            }
            if print(ev, &mut out).is_err() {
                return Ok(0); // stdout closed
            }
        }
        if out.flush().is_err() {
            return Ok(0);
        }
        drop(out);
        if until.is_some_and(|u| events::now_nanos() > u) {
            return Ok(0);
        }
        std::thread::sleep(POLL);
    }
}

/// `--since`/`--until`: RFC 3339, unix seconds (with a fraction), or a Go duration before
/// `now` (`10m`), as Docker reads them; in unix nanoseconds.
fn parse_time(flag: &str, s: &str, now: SystemTime) -> anyhow::Result<i64> {
    let t = berth_engine::system::prune_filter::parse_time(flag, s, now)?;
    Ok(t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0))
}

/// Docker's default line: `<time> <type> <action> <id> (k=v, ...)`.
fn default_line(ev: &Event) -> String {
    let mut line = format!("{} {} {} {}", timestamp(ev.time), ev.kind, ev.action, ev.id);
    if !ev.attributes.is_empty() {
        let attrs: Vec<String> = ev
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        line.push_str(&format!(" ({})", attrs.join(", ")));
    }
    line
}

/// RFC 3339 in UTC with nine fraction digits.
fn timestamp(nanos: i64) -> String {
    berth_runtime::time::format(UNIX_EPOCH + Duration::from_nanos(nanos.max(0) as u64))
}

/// The event as Go's `events.Message` fields, for templates (`{{.Actor.Attributes.name}}`).
fn go_fields(ev: &Event) -> Value {
    json!({
        "Status": ev.action,
        "ID": ev.id,
        "From": ev.attributes.get("image").cloned().unwrap_or_default(),
        "Type": ev.kind,
        "Action": ev.action,
        "Actor": {"ID": ev.id, "Attributes": ev.attributes},
        "Scope": "local",
        "Time": ev.time / 1_000_000_000,
        "TimeNano": ev.time,
    })
}

/// The event as Docker's JSON (`--format json`).
fn json_tags(ev: &Event) -> Value {
    json!({
        "status": ev.action,
        "id": ev.id,
        "from": ev.attributes.get("image").cloned().unwrap_or_default(),
        "Type": ev.kind,
        "Action": ev.action,
        "Actor": {"ID": ev.id, "Attributes": ev.attributes},
        "scope": "local",
        "time": ev.time / 1_000_000_000,
        "timeNano": ev.time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_lines() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(
            parse_time("--since", "10m", now).unwrap(),
            (1_000_000 - 600) * 1_000_000_000
        );
        assert_eq!(
            parse_time("--since", "1700000000.5", now).unwrap(),
            1_700_000_000_500_000_000
        );
        assert_eq!(
            parse_time("--since", "2023-11-14T22:13:20Z", now).unwrap(),
            1_700_000_000_000_000_000
        );
        assert!(parse_time("--since", "yesterday", now).is_err());
        let ev = Event {
            time: 1_700_000_000_000_000_123,
            kind: "container".into(),
            action: "start".into(),
            id: "abc".into(),
            attributes: [
                ("name".to_string(), "web".to_string()),
                ("image".to_string(), "bb".to_string()),
            ]
            .into(),
        };
        assert_eq!(
            default_line(&ev),
            "2023-11-14T22:13:20.000000123Z container start abc (image=bb, name=web)"
        );
    }
}
