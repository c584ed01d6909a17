//! `events [SERVICES]`: the container events of the project's service containers (not the
//! one-off ones) from the engine's event log, as docker compose prints them:
//! `2024-01-01 12:00:00.000000 container start <id> (image=bb, name=p-web-1)` (followed by a
//! blank line, as docker compose's `Fprintln` of a line ending in a newline gives), or with
//! `--json` one object per line. Follows new events until interrupted, or until `--until`.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use berth_engine::events::{self, Event};
use berth_engine::Paths;
use serde_json::json;

use super::args::{EventsArgs, ProjectOptions};
use super::labels;
use super::ps::project_name;

/// How often the log is polled for new events.
const POLL: Duration = Duration::from_millis(100);

/// An event of the project docker compose reports: its service and the attributes it shows
/// (the `com.docker.compose.*` labels left out).
pub(super) struct ComposeEvent<'a> {
    /// The engine's event.
    pub ev: &'a Event,
    /// The service label.
    pub service: &'a str,
    /// The attributes shown.
    pub attributes: BTreeMap<&'a str, &'a str>,
}

/// `ev` as docker compose reports it, when it is a container event of a service container
/// of `project` (one of `services`, when any).
pub(super) fn select<'a>(
    ev: &'a Event,
    project: &str,
    services: &[String],
) -> Option<ComposeEvent<'a>> {
    let attr = |k: &str| ev.attributes.get(k).map(String::as_str);
    if ev.kind != "container"
        || attr(labels::PROJECT) != Some(project)
        || attr(labels::ONEOFF) == Some("True")
    {
        return None;
    }
    let service = attr(labels::SERVICE).unwrap_or_default();
    if !services.is_empty() && !services.iter().any(|s| s == service) {
        return None;
    }
    let attributes = ev
        .attributes
        .iter()
        .filter(|(k, _)| !k.starts_with("com.docker.compose."))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    Some(ComposeEvent {
        ev,
        service,
        attributes,
    })
}

/// The time as docker compose prints it (`2006-01-02 15:04:05.000000`, UTC).
fn text_time(nanos: i64) -> String {
    let t = berth_runtime::time::format(UNIX_EPOCH + Duration::from_nanos(nanos.max(0) as u64));
    // 2024-01-01T12:00:00.123456789Z -> 2024-01-01 12:00:00.123456
    format!("{} {}", &t[..10], &t[11..26])
}

/// The default line (without the trailing newline docker compose adds twice).
pub(super) fn text_line(c: &ComposeEvent<'_>) -> String {
    let attrs: Vec<String> = c
        .attributes
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!(
        "{} container {} {} ({})",
        text_time(c.ev.time),
        c.ev.action,
        c.ev.id,
        attrs.join(", ")
    )
}

/// The `--json` object (keys sorted, as Go marshals a map).
pub(super) fn json_line(c: &ComposeEvent<'_>) -> String {
    let time = crate::format::format_rfc3339(
        UNIX_EPOCH + Duration::from_nanos(c.ev.time.max(0) as u64),
        true,
    );
    json!({
        "action": c.ev.action,
        "attributes": c.attributes,
        "id": c.ev.id,
        "service": c.service,
        "time": time,
        "type": "container",
    })
    .to_string()
}

/// `--since`/`--until` in unix nanoseconds.
fn parse_time(flag: &str, s: &str) -> anyhow::Result<i64> {
    let t = berth_engine::system::prune_filter::parse_time(flag, s, SystemTime::now())?;
    Ok(t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0))
}

/// `events`.
pub fn events(paths: &Paths, o: &ProjectOptions, a: EventsArgs) -> anyhow::Result<i32> {
    let name = project_name(o)?;
    let since = a
        .since
        .as_deref()
        .map(|s| parse_time("--since", s))
        .transpose()?;
    let until = a
        .until
        .as_deref()
        .map(|s| parse_time("--until", s))
        .transpose()?;
    let path = events::log_path(&paths.root);
    // Without --since only new events, as docker compose's (the daemon's) stream.
    let mut offset = if since.is_some() {
        0
    } else {
        events::log_len(&path)
    };
    loop {
        let (batch, next) = events::read_from(&path, offset)?;
        offset = next;
        let mut out = io::stdout().lock();
        for ev in batch.iter().filter(|ev| since.is_none_or(|s| ev.time >= s)) {
            if until.is_some_and(|u| ev.time > u) {
                return Ok(0);
            }
            let Some(c) = select(ev, &name, &a.services) else {
                continue;
            };
            let line = if a.json {
                format!("{}\n", json_line(&c))
            } else {
                format!("{}\n\n", text_line(&c))
            };
            if out.write_all(line.as_bytes()).is_err() {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn event(project: &str, service: &str, oneoff: &str) -> Event {
        Event {
            time: 1_700_000_000_123_456_789,
            kind: "container".into(),
            action: "start".into(),
            id: "abc".into(),
            attributes: [
                (labels::PROJECT, project),
                (labels::SERVICE, service),
                (labels::ONEOFF, oneoff),
                ("name", "p-web-1"),
                ("image", "bb"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        }
    }

    #[test]
    fn compose_lines() {
        let ev = event("p", "web", "False");
        let c = select(&ev, "p", &[]).unwrap();
        assert_eq!(
            text_line(&c),
            "2023-11-14 22:13:20.123456 container start abc (image=bb, name=p-web-1)"
        );
        assert_eq!(
            json_line(&c),
            r#"{"action":"start","attributes":{"image":"bb","name":"p-web-1"},"id":"abc","service":"web","time":"2023-11-14T22:13:20.123456789Z","type":"container"}"#
        );
        assert!(select(&ev, "q", &[]).is_none());
        assert!(select(&ev, "p", &["db".to_string()]).is_none());
        assert!(select(&ev, "p", &["web".to_string()]).is_some());
        assert!(select(&event("p", "web", "True"), "p", &[]).is_none());
    }
}
