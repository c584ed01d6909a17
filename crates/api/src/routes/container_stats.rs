//! `GET /containers/{id}/stats?stream=&one-shot=`: dockerd's stats JSON from the engine's
//! samples (cgroup and network namespace), one a second when streaming. Without streaming
//! two samples a second apart are taken so `precpu_stats` gives the CPU % (as dockerd does
//! unless `one-shot`).

use std::time::{Duration, Instant, SystemTime};

use berth_engine::containers::stats::StatsSample;
use berth_engine::containers::ContainerRecord;
use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::error::ApiResult;
use crate::http::{BodyWriter, Reply, Request};
use crate::routes::encode::{rfc3339, ZERO_TIME};

/// Time between samples.
const INTERVAL: Duration = Duration::from_secs(1);

/// The stats route.
pub fn route(ctx: &Ctx, req: &mut Request, segs: &[&str]) -> Option<ApiResult<Reply>> {
    Some(match (req.method.as_str(), segs) {
        ("GET", ["containers", id, "stats"]) => stats(ctx, req, id),
        _ => return None,
    })
}

/// One sample with when it was read.
struct Read {
    sample: Option<StatsSample>,
    at: String,
}

/// `GET /containers/{id}/stats`.
fn stats(ctx: &Ctx, req: &Request, id: &str) -> ApiResult<Reply> {
    let stream = req.query.bool_or("stream", true);
    let one_shot = req.query.bool("one-shot");
    let e = ctx.engine()?;
    let r = e.container(id)?;
    drop(e);
    let ctx = ctx.clone();
    Reply::stream("application/json", move |mut w| {
        let Ok(e) = ctx.engine() else { return };
        let read = || Read {
            sample: e.stats_sample(&r).ok().flatten(),
            at: rfc3339(SystemTime::now()),
        };
        let mut prev: Option<Read> = None;
        if !stream && !one_shot {
            prev = Some(read());
            if !wait(&w, INTERVAL) {
                return;
            }
        }
        loop {
            let cur = read();
            if w.json_line(&stats_json(&r, &cur, prev.as_ref())).is_err() || !stream {
                return;
            }
            prev = Some(cur);
            if !wait(&w, INTERVAL) {
                return;
            }
        }
    })
}

/// Sleeps `d` in short steps; false once the client has gone.
fn wait(w: &BodyWriter, d: Duration) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if w.is_closed() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    !w.is_closed()
}

/// dockerd's `cpu_stats` of a sample (zeros without one).
fn cpu_json(s: Option<&StatsSample>) -> Value {
    let (total, system, cpus) = s.map_or((0, 0, 0), |s| (s.cpu_ns, s.system_ns, s.online_cpus));
    json!({
        "cpu_usage": {
            "total_usage": total,
            "usage_in_kernelmode": 0,
            "usage_in_usermode": 0,
        },
        "system_cpu_usage": system,
        "online_cpus": cpus,
        "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0},
    })
}

/// dockerd's stats document for container `r` at `cur`, with `prev` as the `pre*` fields.
fn stats_json(r: &ContainerRecord, cur: &Read, prev: Option<&Read>) -> Value {
    let s = cur.sample.as_ref();
    let pre = prev.and_then(|p| p.sample.as_ref());
    let mut doc = json!({
        "read": cur.at,
        "preread": prev.map_or(ZERO_TIME, |p| p.at.as_str()),
        "pids_stats": {},
        "blkio_stats": {
            "io_service_bytes_recursive": null,
            "io_serviced_recursive": null,
            "io_queue_recursive": null,
            "io_service_time_recursive": null,
            "io_wait_time_recursive": null,
            "io_merged_recursive": null,
            "io_time_recursive": null,
            "sectors_recursive": null,
        },
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": cpu_json(s),
        "precpu_stats": cpu_json(pre),
        "memory_stats": {},
        "name": format!("/{}", r.name),
        "id": r.id,
    });
    if let Some(s) = s {
        doc["pids_stats"] = json!({"current": s.pids});
        doc["blkio_stats"]["io_service_bytes_recursive"] = json!([
            {"major": 0, "minor": 0, "op": "Read", "value": s.blk_read},
            {"major": 0, "minor": 0, "op": "Write", "value": s.blk_write},
        ]);
        doc["memory_stats"] = json!({"usage": s.mem_usage, "limit": s.mem_limit, "stats": {}});
        if r.net.is_some() {
            doc["networks"] = json!({"eth0": {
                "rx_bytes": s.net_rx, "rx_packets": 0, "rx_errors": 0, "rx_dropped": 0,
                "tx_bytes": s.net_tx, "tx_packets": 0, "tx_errors": 0, "tx_dropped": 0,
            }});
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_fields() {
        let s = StatsSample {
            cpu_ns: 5,
            system_ns: 100,
            online_cpus: 2,
            ..Default::default()
        };
        let v = cpu_json(Some(&s));
        assert_eq!(v["cpu_usage"]["total_usage"], 5);
        assert_eq!(v["system_cpu_usage"], 100);
        assert_eq!(v["online_cpus"], 2);
        assert_eq!(cpu_json(None)["online_cpus"], 0);
    }
}
