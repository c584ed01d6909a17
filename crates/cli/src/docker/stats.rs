//! `stats`: containers' CPU, memory, network, block I/O and pids, as a table redrawn every
//! second (clearing the screen on a terminal, plain repeated tables otherwise) or once with
//! `--no-stream`. CPU % compares two samples, as Docker does.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use berth_engine::containers::stats::StatsSample;
use berth_engine::containers::ContainerRecord;
use berth_engine::Engine;
use serde_json::{json, Value};

use super::args::{Globals, StatsArgs};
use super::engine;
use crate::format::headers::STATS;
use crate::format::human::{bytes_size, human_size};

/// Time between two samples.
const INTERVAL: Duration = Duration::from_secs(1);

/// `stats`.
pub fn stats(g: &Globals, a: StatsArgs) -> anyhow::Result<i32> {
    let e = engine(g)?;
    let clear = !a.no_stream && io::stdout().is_terminal();
    let mut prev: HashMap<String, StatsSample> = HashMap::new();
    let mut first = true;
    loop {
        let list = targets(&e, &a)?;
        let mut now: HashMap<String, StatsSample> = HashMap::new();
        for (r, _) in &list {
            if let Some(s) = e.stats_sample(r)? {
                now.insert(r.id.clone(), s);
            }
        }
        if first {
            // CPU % needs a second sample.
            first = false;
            prev = now;
            std::thread::sleep(if a.no_stream { INTERVAL / 2 } else { INTERVAL });
            continue;
        }
        let rows: Vec<Value> = list
            .iter()
            .map(|(r, given)| row(r, given, now.get(&r.id), prev.get(&r.id), a.no_trunc))
            .collect();
        let text = crate::format::render_rows(
            a.format.as_deref(),
            STATS.default_table,
            STATS.headers,
            &rows,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut out = io::stdout().lock();
        let written = if clear {
            write!(out, "\x1b[2J\x1b[H{text}")
        } else {
            write!(out, "{text}")
        }
        .and_then(|_| out.flush());
        match written {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(0),
            r => r?,
        }
        if a.no_stream {
            return Ok(0);
        }
        prev = now;
        std::thread::sleep(INTERVAL);
    }
}

/// The containers to show, each with the name the user gave (or its ID).
fn targets(e: &Engine, a: &StatsArgs) -> anyhow::Result<Vec<(ContainerRecord, String)>> {
    if !a.containers.is_empty() {
        return a
            .containers
            .iter()
            .map(|n| Ok((e.container(n)?, n.clone())))
            .collect();
    }
    let mut list = e.containers()?;
    if !a.all {
        list.retain(|(_, s)| s.is_running());
    }
    Ok(list
        .into_iter()
        .map(|(r, _)| {
            let id = r.short_id().to_string();
            (r, id)
        })
        .collect())
}

/// One row: zeros for a container that is not running.
fn row(
    r: &ContainerRecord,
    given: &str,
    now: Option<&StatsSample>,
    prev: Option<&StatsSample>,
    no_trunc: bool,
) -> Value {
    let zero = StatsSample::default();
    let s = now.unwrap_or(&zero);
    let cpu = match (now, prev) {
        (Some(n), Some(p)) => n.cpu_percent(p),
        _ => 0.0,
    };
    json!({
        "Container": given,
        "ID": if no_trunc { r.id.clone() } else { r.short_id().to_string() },
        "Name": r.name,
        "CPUPerc": format!("{cpu:.2}%"),
        "MemUsage": format!("{} / {}", bytes_size(s.mem_usage), bytes_size(s.mem_limit)),
        "MemPerc": format!("{:.2}%", s.mem_percent()),
        "NetIO": format!("{} / {}", human_size(s.net_rx), human_size(s.net_tx)),
        "BlockIO": format!("{} / {}", human_size(s.blk_read), human_size(s.blk_write)),
        "PIDs": s.pids.to_string(),
    })
}
