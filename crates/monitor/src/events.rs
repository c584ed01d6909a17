//! Container events the monitor records (`start`, `oom`, `die`, `restart`) in the engine's event log,
//! `<root>/events.jsonl` for a container directory `<root>/containers/<id>`.
//!
//! The line format is the engine's (`berth_engine::events`): one JSON object with `time`
//! (unix nanos), `type`, `action`, `id` and `attributes`, written with one `write` on an
//! `O_APPEND` descriptor. The attributes start from `event-attrs.json`, which the engine
//! leaves in the container directory. Best effort: failures are ignored.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::MonitorConfig;

/// Records the container event `action` with `extra` attributes, when the container
/// directory sits in an engine state root.
pub fn emit(cfg: &MonitorConfig, action: &str, extra: &[(&str, &str)]) {
    let Some(containers) = cfg.ctr_dir.parent() else {
        return;
    };
    let Some(root) = containers.parent() else {
        return;
    };
    if containers.file_name().and_then(|n| n.to_str()) != Some("containers")
        || !root.join("berth.db").exists()
    {
        return;
    }
    let mut attrs: BTreeMap<String, String> = fs::read(cfg.ctr_dir.join("event-attrs.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    attrs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let time = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0);
    let ev = serde_json::json!({"time": time, "type": "container", "action": action, "id": cfg.id, "attributes": attrs});
    let mut line = ev.to_string();
    if line.len() >= 4000 {
        return;
    }
    line.push('\n');
    if let Ok(mut f) = OpenOptions::new()
        .create(true)
        .append(true)
        .open(root.join("events.jsonl"))
    {
        let _ = f.write(line.as_bytes());
    }
}
