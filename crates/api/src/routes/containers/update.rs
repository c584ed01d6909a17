//! `POST /containers/{id}/update`: resource limits (applied to a running container's
//! cgroup and kept in its bundle for the next start) and the restart policy.

use std::fs;

use berth_engine::containers::record;
use berth_engine::spec::RestartPolicy;
use berth_monitor::config::{MonitorConfig, RestartPolicy as MonitorRestart};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::host_config::{is_zero, restart_policy};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};

/// Update fields berth cannot change (a value other than zero is a 400).
const UNSUPPORTED: &[&str] = &[
    "BlkioWeight",
    "BlkioWeightDevice",
    "BlkioDeviceReadBps",
    "BlkioDeviceWriteBps",
    "BlkioDeviceReadIOps",
    "BlkioDeviceWriteIOps",
    "CpuRealtimePeriod",
    "CpuRealtimeRuntime",
    "KernelMemory",
    "KernelMemoryTCP",
    "CgroupParent",
    "Devices",
    "DeviceCgroupRules",
    "DeviceRequests",
    "MemorySwappiness",
    "OomKillDisable",
    "Ulimits",
    "CpuCount",
    "CpuPercent",
    "IOMaximumIOps",
    "IOMaximumBandwidth",
];

/// The update body berth acts on.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct Update {
    memory: Option<i64>,
    memory_swap: Option<i64>,
    memory_reservation: Option<i64>,
    nano_cpus: Option<i64>,
    cpu_shares: Option<i64>,
    cpu_period: Option<i64>,
    cpu_quota: Option<i64>,
    cpuset_cpus: Option<String>,
    cpuset_mems: Option<String>,
    pids_limit: Option<i64>,
    restart_policy: Option<Restart>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Restart {
    name: Option<String>,
    maximum_retry_count: Option<i64>,
}

/// The change, in OCI `linux.resources` form and as `HostConfig` fields.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Change {
    resources: Value,
    host_config: Map<String, Value>,
}

impl Change {
    /// Sets `resources.section.key` and `HostConfig.field` to `v`.
    fn set(&mut self, field: &str, section: &str, key: &str, v: Value) {
        self.resources[section][key] = v.clone();
        self.host_config.insert(field.to_string(), v);
    }
}

/// Default CFS period (µs) for `NanoCpus`.
const PERIOD: i64 = 100_000;

/// The body's resources as a [`Change`].
pub(crate) fn change(u: &Update) -> ApiResult<Change> {
    let mut c = Change {
        resources: json!({}),
        host_config: Map::new(),
    };
    let neg =
        |f: &str, n: i64| ApiError::bad_request(format!("invalid {f} {n}: must not be negative"));
    for (f, key, v) in [
        ("Memory", "limit", u.memory),
        ("MemoryReservation", "reservation", u.memory_reservation),
    ] {
        match v {
            Some(n) if n < 0 => return Err(neg(f, n)),
            Some(n) if n > 0 => c.set(f, "memory", key, json!(n)),
            _ => {}
        }
    }
    match u.memory_swap {
        Some(n) if n < -1 => return Err(neg("MemorySwap", n)),
        Some(n) if n != 0 => c.set("MemorySwap", "memory", "swap", json!(n)),
        _ => {}
    }
    match u.cpu_shares {
        Some(n) if n < 0 => return Err(neg("CpuShares", n)),
        Some(n) if n > 0 => c.set("CpuShares", "cpu", "shares", json!(n)),
        _ => {}
    }
    let nano = u.nano_cpus.unwrap_or(0);
    if nano < 0 {
        return Err(neg("NanoCpus", nano));
    }
    if nano > 0 {
        if u.cpu_quota.unwrap_or(0) != 0 || u.cpu_period.unwrap_or(0) != 0 {
            return Err(ApiError::bad_request(
                "Conflicting options: Nano CPUs and CPU Period/Quota cannot both be set",
            ));
        }
        c.resources["cpu"]["period"] = json!(PERIOD);
        let quota = nano.checked_mul(PERIOD).ok_or_else(|| {
            ApiError::bad_request(format!("invalid NanoCpus {nano}: too many CPUs"))
        })? / 1_000_000_000;
        c.resources["cpu"]["quota"] = json!(quota);
        c.host_config.insert("NanoCpus".into(), json!(nano));
    }
    match u.cpu_period {
        Some(n) if n < 0 => return Err(neg("CpuPeriod", n)),
        Some(n) if n > 0 => c.set("CpuPeriod", "cpu", "period", json!(n)),
        _ => {}
    }
    if let Some(q) = u.cpu_quota.filter(|q| *q != 0) {
        c.set("CpuQuota", "cpu", "quota", json!(q));
    }
    if let Some(s) = u.cpuset_cpus.as_deref().filter(|s| !s.is_empty()) {
        c.set("CpusetCpus", "cpu", "cpus", json!(s));
    }
    if let Some(s) = u.cpuset_mems.as_deref().filter(|s| !s.is_empty()) {
        c.set("CpusetMems", "cpu", "mems", json!(s));
    }
    if let Some(n) = u.pids_limit.filter(|n| *n != 0) {
        c.set(
            "PidsLimit",
            "pids",
            "limit",
            json!(if n < 0 { -1 } else { n }),
        );
    }
    Ok(c)
}

/// `POST /containers/{id}/update`: 200 `{"Warnings": []}`.
pub fn update(ctx: &Ctx, req: &mut Request, id: &str) -> ApiResult<Reply> {
    let body: Value = req.json()?;
    if !body.is_object() {
        return Err(ApiError::bad_request("update needs a JSON object body"));
    }
    for f in UNSUPPORTED {
        if let Some(v) = body.get(*f) {
            let default_swappiness = *f == "MemorySwappiness" && v.as_i64() == Some(-1);
            if !is_zero(v) && !default_swappiness {
                return Err(ApiError::bad_request(format!(
                    "{f} cannot be updated by berth (got {v})"
                )));
            }
        }
    }
    let u: Update = serde_json::from_value(body)
        .map_err(|e| ApiError::bad_request(format!("invalid update: {e}")))?;
    let c = change(&u)?;
    let restart = match &u.restart_policy {
        Some(r) if r.name.as_deref().is_some_and(|n| !n.is_empty()) => {
            Some(restart_policy(r.name.as_deref(), r.maximum_retry_count)?)
        }
        _ => None,
    };
    let e = ctx.engine()?;
    let mut r = e.container(id)?;
    if restart.is_some_and(|p| p != RestartPolicy::No) && r.auto_remove {
        return Err(ApiError::bad_request(
            "Restart policy cannot be updated because AutoRemove is enabled for the container",
        ));
    }
    let dir = e.paths.container(&r.id);
    if !c.host_config.is_empty() {
        if e.state(&r).is_running() {
            let res =
                berth_runtime::ops::update::parse_resources(c.resources.to_string().as_bytes())
                    .map_err(|e| ApiError::bad_request(e.to_string()))?;
            berth_runtime::ops::update::update(&e.runtime(), &r.id, &res)
                .map_err(|e| ApiError::internal(format!("updating the cgroup: {e}")))?;
        }
        save_bundle_resources(&dir.join("config.json"), &c.resources)?;
    }
    if let Some(hc) = r.host_config.as_object_mut() {
        hc.extend(c.host_config.clone());
    }
    if let Some(p) = restart {
        r.host_config["RestartPolicy"] = restart_json(p);
        let mut m = MonitorConfig::load(&dir).map_err(|e| ApiError::internal(e.to_string()))?;
        m.restart = monitor_restart(p);
        m.save().map_err(|e| ApiError::internal(e.to_string()))?;
        r.monitor.restart = m.restart;
    }
    record::update(&e.db, &r)?;
    Reply::ok(json!({"Warnings": []}))
}

/// Merges `resources` into the bundle's `linux.resources`, so the next start has them.
fn save_bundle_resources(path: &std::path::Path, resources: &Value) -> ApiResult<()> {
    let text = fs::read(path)?;
    let mut spec: Value = serde_json::from_slice(&text)
        .map_err(|e| ApiError::internal(format!("{}: {e}", path.display())))?;
    let target = &mut spec["linux"]["resources"];
    if !target.is_object() {
        *target = json!({});
    }
    for (section, fields) in resources.as_object().into_iter().flatten() {
        if !target[section].is_object() {
            target[section] = json!({});
        }
        for (k, v) in fields.as_object().into_iter().flatten() {
            target[section][k] = v.clone();
        }
    }
    let tmp = path.with_extension("json.update");
    let out = serde_json::to_vec_pretty(&spec).map_err(|e| ApiError::internal(e.to_string()))?;
    fs::write(&tmp, out)?;
    fs::rename(&tmp, path)?;
    Ok(())
}

/// `RestartPolicy` as `HostConfig` shows it.
fn restart_json(p: RestartPolicy) -> Value {
    let (name, n) = match p {
        RestartPolicy::No => ("no", 0),
        RestartPolicy::OnFailure { max_retries } => ("on-failure", max_retries),
        RestartPolicy::Always => ("always", 0),
        RestartPolicy::UnlessStopped => ("unless-stopped", 0),
    };
    json!({"Name": name, "MaximumRetryCount": n})
}

/// The policy in the monitor's terms.
fn monitor_restart(p: RestartPolicy) -> MonitorRestart {
    match p {
        RestartPolicy::No => MonitorRestart::No,
        RestartPolicy::OnFailure { max_retries } => MonitorRestart::OnFailure { max_retries },
        RestartPolicy::Always => MonitorRestart::Always,
        RestartPolicy::UnlessStopped => MonitorRestart::UnlessStopped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> ApiResult<Change> {
        change(&serde_json::from_value(v).unwrap())
    }

    #[test]
    fn resources() {
        let c = parse(
            json!({"Memory": 1048576, "MemorySwap": -1, "CpuShares": 512,
                             "NanoCpus": 500000000, "PidsLimit": 20, "CpusetCpus": ""}),
        )
        .unwrap();
        assert_eq!(
            c.resources,
            json!({"memory": {"limit": 1048576, "swap": -1},
                   "cpu": {"shares": 512, "period": 100000, "quota": 50000},
                   "pids": {"limit": 20}})
        );
        assert_eq!(c.host_config["NanoCpus"], 500000000);
        assert_eq!(parse(json!({})).unwrap().host_config.len(), 0);
        assert!(parse(json!({"Memory": -1})).is_err());
        assert!(parse(json!({"NanoCpus": 1, "CpuQuota": 1})).is_err());
    }
}
