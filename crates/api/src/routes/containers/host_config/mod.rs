//! The create body's `HostConfig` onto the engine's [`RunOptions`]: mounts, ports,
//! resources, security, DNS and hosts, restart and logging. A field berth cannot honour is
//! a 400 naming it when given a value other than its zero (the docker CLI always sends
//! every field, zeros included).

use std::collections::BTreeMap;

use berth_engine::spec::parse;
use berth_engine::spec::{NetworkMode, RestartPolicy, RunOptions, Seccomp};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};

mod mounts;
mod unsupported;

use mounts::{device, mount_spec, ApiDevice, ApiMount};
pub use unsupported::{check_unsupported, is_zero};

/// The logging drivers berth's file logs stand in for.
const LOG_DRIVERS: &[&str] = &["json-file", "k8s-file", "local"];

/// The `HostConfig` fields berth maps (unknown fields are ignored; wrong types are a 400).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostConfig {
    binds: Option<Vec<String>>,
    mounts: Option<Vec<ApiMount>>,
    tmpfs: Option<BTreeMap<String, String>>,
    port_bindings: Option<BTreeMap<String, Option<Vec<PortBinding>>>>,
    publish_all_ports: Option<bool>,
    network_mode: Option<String>,
    restart_policy: Option<ApiRestart>,
    auto_remove: Option<bool>,
    memory: Option<i64>,
    memory_swap: Option<i64>,
    memory_reservation: Option<i64>,
    memory_swappiness: Option<i64>,
    nano_cpus: Option<i64>,
    cpu_shares: Option<i64>,
    cpu_period: Option<i64>,
    cpu_quota: Option<i64>,
    cpuset_cpus: Option<String>,
    cpuset_mems: Option<String>,
    pids_limit: Option<i64>,
    ulimits: Option<Vec<ApiUlimit>>,
    cap_add: Option<Vec<String>>,
    cap_drop: Option<Vec<String>>,
    privileged: Option<bool>,
    security_opt: Option<Vec<String>>,
    init: Option<bool>,
    dns: Option<Vec<String>>,
    dns_options: Option<Vec<String>>,
    dns_search: Option<Vec<String>>,
    extra_hosts: Option<Vec<String>>,
    devices: Option<Vec<ApiDevice>>,
    group_add: Option<Vec<String>>,
    shm_size: Option<i64>,
    sysctls: Option<BTreeMap<String, String>>,
    readonly_rootfs: Option<bool>,
    oom_kill_disable: Option<bool>,
    oom_score_adj: Option<i64>,
    log_config: Option<ApiLogConfig>,
    console_size: Option<Vec<u64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct PortBinding {
    host_ip: Option<String>,
    host_port: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ApiRestart {
    name: Option<String>,
    maximum_retry_count: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ApiUlimit {
    name: String,
    soft: i64,
    hard: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ApiLogConfig {
    #[serde(rename = "Type")]
    kind: Option<String>,
    config: Option<BTreeMap<String, String>>,
}

/// An engine parse error as a 400.
pub(super) fn bad(e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(e.to_string())
}

/// A positive value, or `None` for zero; negative is a 400 naming `field`.
fn positive(field: &str, v: Option<i64>) -> ApiResult<Option<i64>> {
    match v {
        None | Some(0) => Ok(None),
        Some(n) if n > 0 => Ok(Some(n)),
        Some(n) => Err(ApiError::bad_request(format!(
            "invalid HostConfig.{field} {n}: must not be negative"
        ))),
    }
}

/// The restart policy from `RestartPolicy`.
pub fn restart_policy(name: Option<&str>, count: Option<i64>) -> ApiResult<RestartPolicy> {
    let name = name.unwrap_or("");
    let spec = match count {
        Some(n) if n != 0 => format!("{name}:{n}"),
        _ => name.to_string(),
    };
    parse::parse_restart(&spec).map_err(bad)
}

impl HostConfig {
    /// Applies the host configuration to `o`.
    pub fn apply(&self, o: &mut RunOptions) -> ApiResult<()> {
        self.mounts_into(o)?;
        self.ports_into(o)?;
        self.resources_into(o)?;
        self.security_into(o)?;
        self.host_into(o)?;
        if let Some(r) = &self.restart_policy {
            o.restart = restart_policy(r.name.as_deref(), r.maximum_retry_count)?;
        }
        o.rm = self.auto_remove.unwrap_or(false);
        if o.rm && o.restart != RestartPolicy::No {
            return Err(ApiError::bad_request(
                "can't create 'AutoRemove' container with restart policy",
            ));
        }
        if let Some(l) = &self.log_config {
            o.log.driver = l.kind.clone().filter(|t| !t.is_empty());
            if let Some(d) = o.log.driver.as_deref() {
                if !LOG_DRIVERS.contains(&d) {
                    return Err(ApiError::bad_request(format!(
                        "HostConfig.LogConfig.Type: logging driver {d:?} is not supported by berth (it keeps json-file style logs)"
                    )));
                }
            }
            o.log.opts = l.config.clone().unwrap_or_default();
        }
        if let Some([h, w]) = self.console_size.as_deref() {
            if *h > 0 && *w > 0 {
                o.console_size = Some((
                    u16::try_from(*h).unwrap_or(u16::MAX),
                    u16::try_from(*w).unwrap_or(u16::MAX),
                ));
            }
        }
        Ok(())
    }

    /// `Binds`, `Mounts`, `Tmpfs`.
    fn mounts_into(&self, o: &mut RunOptions) -> ApiResult<()> {
        for b in self.binds.iter().flatten() {
            o.mounts.push(parse::parse_volume(b).map_err(bad)?);
        }
        for m in self.mounts.iter().flatten() {
            o.mounts.push(mount_spec(m)?);
        }
        for (target, opts) in self.tmpfs.iter().flatten() {
            let spec = if opts.is_empty() {
                target.clone()
            } else {
                format!("{target}:{opts}")
            };
            o.mounts.push(parse::parse_tmpfs(&spec).map_err(bad)?);
        }
        Ok(())
    }

    /// `PortBindings`, `PublishAllPorts`, `NetworkMode`.
    fn ports_into(&self, o: &mut RunOptions) -> ApiResult<()> {
        o.network = NetworkMode::parse(self.network_mode.as_deref().unwrap_or(""));
        for (port, bindings) in self.port_bindings.iter().flatten() {
            let bindings = bindings.as_deref().unwrap_or_default();
            if bindings.is_empty() {
                o.expose.push(port.clone());
            }
            for b in bindings {
                o.publish.push(publish_spec(port, b));
            }
        }
        o.publish_all = self.publish_all_ports.unwrap_or(false);
        if matches!(
            o.network,
            NetworkMode::Host | NetworkMode::None | NetworkMode::Container(_)
        ) {
            // dockerd drops published ports off bridge networks (the CLI warns).
            o.publish.clear();
            o.publish_all = false;
        }
        Ok(())
    }

    /// Memory, CPU, pids, ulimits.
    fn resources_into(&self, o: &mut RunOptions) -> ApiResult<()> {
        o.memory = positive("Memory", self.memory)?;
        o.memory_swap = match self.memory_swap {
            None | Some(0) => None,
            Some(-1) => Some(-1),
            v => positive("MemorySwap", v)?,
        };
        o.memory_reservation = positive("MemoryReservation", self.memory_reservation)?;
        o.memory_swappiness = match self.memory_swappiness {
            None | Some(-1) => None,
            Some(n) if (0..=100).contains(&n) => Some(n as u64),
            Some(n) => {
                return Err(ApiError::bad_request(format!(
                    "invalid HostConfig.MemorySwappiness {n}: must be between 0 and 100"
                )))
            }
        };
        let nano = positive("NanoCpus", self.nano_cpus)?;
        if nano.is_some() && (self.cpu_quota.unwrap_or(0) != 0 || self.cpu_period.unwrap_or(0) != 0)
        {
            return Err(ApiError::bad_request(
                "Conflicting options: Nano CPUs and CPU Period/Quota cannot both be set",
            ));
        }
        o.cpus = nano.map(|n| n as f64 / 1e9);
        o.cpu_shares = positive("CpuShares", self.cpu_shares)?.map(|n| n as u64);
        o.cpu_period = positive("CpuPeriod", self.cpu_period)?.map(|n| n as u64);
        o.cpu_quota = self.cpu_quota.filter(|q| *q != 0);
        o.cpuset_cpus = self.cpuset_cpus.clone().filter(|s| !s.is_empty());
        o.cpuset_mems = self.cpuset_mems.clone().filter(|s| !s.is_empty());
        o.pids_limit = self.pids_limit.filter(|n| *n != 0);
        for u in self.ulimits.iter().flatten() {
            let spec = format!("{}={}:{}", u.name, u.soft, u.hard);
            o.ulimits.push(parse::parse_ulimit(&spec).map_err(bad)?);
        }
        o.oom_kill_disable = self.oom_kill_disable.unwrap_or(false);
        o.oom_score_adj = match self.oom_score_adj.unwrap_or(0) {
            n @ -1000..=1000 => n as i32,
            n => {
                return Err(ApiError::bad_request(format!(
                    "Invalid value {n}, range for oom score adj is [-1000, 1000]"
                )))
            }
        };
        Ok(())
    }

    /// Capabilities, privileged, security options, init, read-only root.
    fn security_into(&self, o: &mut RunOptions) -> ApiResult<()> {
        o.cap_add = self.cap_add.clone().unwrap_or_default();
        o.cap_drop = self.cap_drop.clone().unwrap_or_default();
        o.privileged = self.privileged.unwrap_or(false);
        o.init = self.init.unwrap_or(false);
        o.read_only = self.readonly_rootfs.unwrap_or(false);
        o.security = security_opts(self.security_opt.as_deref().unwrap_or_default())?;
        Ok(())
    }

    /// DNS, extra hosts, devices, groups, shm, sysctls.
    fn host_into(&self, o: &mut RunOptions) -> ApiResult<()> {
        for d in self.dns.iter().flatten() {
            parse::parse_ip("--dns", d).map_err(bad)?;
            o.dns.push(d.clone());
        }
        o.dns_option = self.dns_options.clone().unwrap_or_default();
        o.dns_search = self.dns_search.clone().unwrap_or_default();
        for h in self.extra_hosts.iter().flatten() {
            o.add_host.push(parse::parse_add_host(h).map_err(bad)?);
        }
        for d in self.devices.iter().flatten() {
            o.devices.push(device(d)?);
        }
        o.group_add = self.group_add.clone().unwrap_or_default();
        o.shm_size = positive("ShmSize", self.shm_size)?;
        o.sysctls = self.sysctls.clone().unwrap_or_default();
        Ok(())
    }
}

/// One port binding as a `-p` spec: `[ip:][hostPort:]port/proto`.
fn publish_spec(port: &str, b: &PortBinding) -> String {
    let ip = b.host_ip.as_deref().unwrap_or("");
    let host = b.host_port.as_deref().unwrap_or("");
    let ip = if ip.contains(':') && !ip.starts_with('[') {
        format!("[{ip}]")
    } else {
        ip.to_string()
    };
    match (ip.is_empty(), host.is_empty()) {
        (true, true) => port.to_string(),
        (true, false) => format!("{host}:{port}"),
        (false, _) => format!("{ip}:{host}:{port}"),
    }
}

/// `SecurityOpt`: a seccomp profile comes inline as JSON (the docker CLI reads the file);
/// berth never reads a profile from a path the client names.
fn security_opts(values: &[String]) -> ApiResult<berth_engine::spec::SecurityOpts> {
    let mut inline = None;
    let mut rest = Vec::new();
    for v in values {
        match v.split_once(['=', ':']) {
            Some(("seccomp", p)) if p.trim_start().starts_with('{') => inline = Some(p.to_string()),
            _ => rest.push(v.clone()),
        }
    }
    let mut out = parse::parse_security_opts_with(&rest, |p| {
        Err(std::io::Error::other(format!(
            "berth takes seccomp profiles inline (JSON), not from a path ({})",
            p.display()
        )))
    })
    .map_err(bad)?;
    if let Some(p) = inline {
        out.seccomp = Seccomp::Profile(p);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
