//! The event log: `<root>/events.jsonl`, one JSON object per line, appended by every berth
//! process (and by the monitors, which write `die` and `start`).
//!
//! A line is `{"time":<unix nanos>,"type":"container","action":"start","id":"<id>",
//! "attributes":{"name":"web","image":"bb"}}`. Lines stay under [`MAX_LINE`] bytes and are
//! written with one `write` on an `O_APPEND` descriptor, so concurrent writers never
//! interleave. Writing an event never fails the command that caused it.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::containers::record::ContainerRecord;
use crate::engine::Engine;

/// The event log's file name under the state root.
pub const EVENTS_FILE: &str = "events.jsonl";
/// The file in a container directory holding the attributes its monitor's events carry.
pub const ATTRS_FILE: &str = "event-attrs.json";
/// Longest line written (one `write` of at most this is atomic for `O_APPEND` files).
pub const MAX_LINE: usize = 4000;
/// Longest attribute value kept; longer ones are cut.
const MAX_VALUE: usize = 512;

/// One event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When, in nanoseconds since the Unix epoch.
    pub time: i64,
    /// container, image or volume.
    #[serde(rename = "type")]
    pub kind: String,
    /// create, start, die, destroy, tag, ...
    pub action: String,
    /// The object's ID (a volume's name).
    pub id: String,
    /// name, image, exitCode, signal, labels...
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

impl Event {
    /// A new event stamped now.
    pub fn new(kind: &str, action: &str, id: &str, attributes: BTreeMap<String, String>) -> Event {
        Event {
            time: now_nanos(),
            kind: kind.into(),
            action: action.into(),
            id: id.into(),
            attributes,
        }
    }

    /// The JSON line (with its newline), shortened to fit [`MAX_LINE`].
    pub fn to_line(&self) -> String {
        let mut ev = self.clone();
        for v in ev.attributes.values_mut() {
            truncate(v, MAX_VALUE);
        }
        truncate(&mut ev.action, MAX_VALUE);
        let mut line = serde_json::to_string(&ev).unwrap_or_default();
        if line.len() >= MAX_LINE {
            ev.attributes
                .retain(|k, _| matches!(k.as_str(), "name" | "image" | "exitCode" | "signal"));
            line = serde_json::to_string(&ev).unwrap_or_default();
        }
        line.push('\n');
        line
    }
}

fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
}

/// Nanoseconds since the Unix epoch.
pub fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// The event log of the state root `root`.
pub fn log_path(root: &Path) -> PathBuf {
    root.join(EVENTS_FILE)
}

/// Appends one event to the log at `path` with a single `write`.
pub fn append(path: &Path, ev: &Event) -> io::Result<()> {
    let line = ev.to_line();
    let mut f = OpenOptions::new().create(true).append(true).open(path)?;
    let n = f.write(line.as_bytes())?;
    if n != line.len() {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "short write to the event log",
        ));
    }
    Ok(())
}

/// Reads the complete lines of the log at `path` from byte `offset`; returns the events
/// (unparsable lines are skipped) and the offset after the last complete line.
pub fn read_from(path: &Path, offset: u64) -> io::Result<(Vec<Event>, u64)> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(e),
    };
    let len = f.metadata()?.len();
    // A log shorter than what was read was replaced: start over.
    let offset = if len < offset { 0 } else { offset };
    f.seek(SeekFrom::Start(offset))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)?;
    let complete = buf.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let events = buf[..complete]
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .filter_map(|l| serde_json::from_slice(l).ok())
        .collect();
    Ok((events, offset + complete as u64))
}

/// The size of the log (where following starts).
pub fn log_len(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// A container's event attributes: name, image and its labels.
pub fn container_attrs(r: &ContainerRecord) -> BTreeMap<String, String> {
    let mut attrs = BTreeMap::new();
    if let Some(labels) = r.config.get("Labels").and_then(|l| l.as_object()) {
        for (k, v) in labels {
            attrs.insert(k.clone(), v.as_str().unwrap_or_default().to_string());
        }
    }
    attrs.insert("name".into(), r.name.clone());
    attrs.insert("image".into(), r.image.clone());
    attrs
}

impl Engine {
    /// Records an event (best effort: a failure to write is ignored).
    pub fn event(&self, kind: &str, action: &str, id: &str, attrs: &[(&str, &str)]) {
        let attrs = attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let _ = append(
            &log_path(&self.paths.root),
            &Event::new(kind, action, id, attrs),
        );
    }

    /// Records a container event with the container's name, image and labels.
    pub fn container_event(&self, r: &ContainerRecord, action: &str) {
        self.container_event_with(r, action, &[]);
    }

    /// Records a container event with extra attributes (`signal`, `exitCode`, ...). `create`
    /// and `rename` also leave the attributes in the container directory for the monitor.
    pub fn container_event_with(&self, r: &ContainerRecord, action: &str, extra: &[(&str, &str)]) {
        let mut attrs = container_attrs(r);
        if matches!(action, "create" | "rename") {
            let path = self.paths.container(&r.id).join(ATTRS_FILE);
            if let Ok(json) = serde_json::to_vec(&attrs) {
                let _ = fs::write(path, json);
            }
        }
        attrs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let _ = append(
            &log_path(&self.paths.root),
            &Event::new("container", action, &r.id, attrs),
        );
    }

    /// Records an image event (`id` without `sha256:`), with the name involved if any.
    pub fn image_event(&self, action: &str, id: &str, name: Option<&str>) {
        let id = format!("sha256:{}", id.trim_start_matches("sha256:"));
        let name = name
            .map(crate::reference::familiar)
            .unwrap_or_else(|| id.clone());
        self.event("image", action, &id, &[("name", &name)]);
    }

    /// Records `untag` and `delete` events for what `rmi` or `image prune` removed.
    pub fn removed_image_events(&self, removed: &crate::images::remove::Removed) {
        for u in &removed.untagged {
            self.event("image", "untag", u, &[("name", u)]);
        }
        for d in &removed.deleted {
            self.event("image", "delete", d, &[("name", d)]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_stay_short() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(EVENTS_FILE);
        let mut attrs = BTreeMap::new();
        attrs.insert("name".to_string(), "web".to_string());
        attrs.insert("huge".to_string(), "x".repeat(100_000));
        let ev = Event::new("container", "create", "abc", attrs);
        assert!(ev.to_line().len() < MAX_LINE);
        append(&path, &ev).unwrap();
        append(
            &path,
            &Event::new("image", "tag", "sha256:1", BTreeMap::new()),
        )
        .unwrap();
        let (events, off) = read_from(&path, 0).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].attributes["name"], "web");
        assert_eq!(off, log_len(&path));
        // A partial last line is left for the next read.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"time\":1").unwrap();
        let (more, off2) = read_from(&path, off).unwrap();
        assert!(more.is_empty());
        assert_eq!(off2, off);
    }
}
