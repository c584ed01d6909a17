//! The create body's `HostConfig` onto the engine's [`RunOptions`]: mounts, ports,
//! resources, security, DNS and hosts, restart and logging. A field berth cannot honour is
//! a 400 naming it when given a value other than its zero (the docker CLI always sends
//! every field, zeros included).

use std::collections::BTreeMap;

use berth_engine::spec::parse;
use berth_engine::spec::{
    DeviceMapping, MountKind, MountSpec, NetworkMode, Propagation, RestartPolicy, RunOptions,
    Seccomp,
};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// `HostConfig` fields berth has no equivalent for, with the values that still pass (beyond
/// the zero values: null, false, 0, "", [] and {}).
const UNSUPPORTED: &[(&str, &[&str])] = &[
    ("VolumeDriver", &["local"]),
    ("VolumesFrom", &[]),
    ("Links", &[]),
    ("Cgroup", &[]),
    ("CgroupParent", &[]),
    ("StorageOpt", &[]),
    ("PidMode", &[]),
    ("UTSMode", &[]),
    ("UsernsMode", &["host"]),
    ("IpcMode", &["private", "shareable"]),
    ("CgroupnsMode", &["private", "host"]),
    ("Runtime", &["runc", "berth"]),
    ("Isolation", &["default"]),
    ("BlkioWeight", &[]),
    ("BlkioWeightDevice", &[]),
    ("BlkioDeviceReadBps", &[]),
    ("BlkioDeviceWriteBps", &[]),
    ("BlkioDeviceReadIOps", &[]),
    ("BlkioDeviceWriteIOps", &[]),
    ("CpuRealtimePeriod", &[]),
    ("CpuRealtimeRuntime", &[]),
    ("DeviceCgroupRules", &[]),
    ("DeviceRequests", &[]),
    ("KernelMemory", &[]),
    ("KernelMemoryTCP", &[]),
    ("CpuCount", &[]),
    ("CpuPercent", &[]),
    ("IOMaximumIOps", &[]),
    ("IOMaximumBandwidth", &[]),
    ("MaskedPaths", &[]),
    ("ReadonlyPaths", &[]),
    ("Annotations", &[]),
];

/// The logging drivers berth's file logs stand in for.
const LOG_DRIVERS: &[&str] = &["json-file", "k8s-file", "local"];

/// Whether `v` is a zero value as Go's JSON encoding of an unset field gives it.
pub fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// Refuses the unsupported fields of a raw `HostConfig` that carry a value.
pub fn check_unsupported(hc: &Value) -> ApiResult<()> {
    for (field, allowed) in UNSUPPORTED {
        let Some(v) = hc.get(*field) else { continue };
        let ok = is_zero(v) || v.as_str().is_some_and(|s| allowed.contains(&s));
        if !ok {
            return Err(ApiError::bad_request(format!(
                "HostConfig.{field} is not supported by berth (got {v})"
            )));
        }
    }
    if let Some(sw) = hc.get("MemorySwappiness").and_then(Value::as_i64) {
        if sw != -1 && !(0..=100).contains(&sw) {
            return Err(ApiError::bad_request(format!(
                "invalid HostConfig.MemorySwappiness {sw}: must be between 0 and 100"
            )));
        }
    }
    Ok(())
}

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

/// One `HostConfig.Mounts` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ApiMount {
    target: String,
    source: Option<String>,
    #[serde(rename = "Type")]
    kind: String,
    read_only: Option<bool>,
    bind_options: Option<BindOptions>,
    volume_options: Option<VolumeOptions>,
    tmpfs_options: Option<TmpfsOptions>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct BindOptions {
    propagation: Option<String>,
    non_recursive: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct VolumeOptions {
    no_copy: Option<bool>,
    labels: Option<BTreeMap<String, String>>,
    driver_config: Option<DriverConfig>,
    subpath: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct DriverConfig {
    name: Option<String>,
    options: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct TmpfsOptions {
    size_bytes: Option<i64>,
    mode: Option<u32>,
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
struct ApiDevice {
    path_on_host: String,
    path_in_container: String,
    cgroup_permissions: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ApiLogConfig {
    #[serde(rename = "Type")]
    kind: Option<String>,
    config: Option<BTreeMap<String, String>>,
}

/// An engine parse error as a 400.
fn bad(e: impl std::fmt::Display) -> ApiError {
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

/// One `Devices` entry.
fn device(d: &ApiDevice) -> ApiResult<DeviceMapping> {
    let ctr = if d.path_in_container.is_empty() {
        &d.path_on_host
    } else {
        &d.path_in_container
    };
    let perms = if d.cgroup_permissions.is_empty() {
        "rwm"
    } else {
        &d.cgroup_permissions
    };
    parse::parse_device(&format!("{}:{ctr}:{perms}", d.path_on_host)).map_err(bad)
}

/// One `Mounts` entry as a mount spec.
fn mount_spec(m: &ApiMount) -> ApiResult<MountSpec> {
    let field = |what: &str| ApiError::bad_request(format!("HostConfig.Mounts: {what}"));
    if !m.target.starts_with('/') || m.target.trim_end_matches('/').is_empty() {
        return Err(field(&format!(
            "invalid mount target {:?}: must be an absolute path other than /",
            m.target
        )));
    }
    let source = m.source.clone().unwrap_or_default();
    let kind = match m.kind.as_str() {
        "bind" => MountKind::Bind,
        "volume" | "" => MountKind::Volume,
        "tmpfs" => MountKind::Tmpfs,
        other => {
            return Err(field(&format!(
                "mount type {other:?} is not supported by berth"
            )))
        }
    };
    let mut spec = MountSpec {
        kind,
        source,
        target: m.target.clone(),
        read_only: m.read_only.unwrap_or(false),
        ..MountSpec::default()
    };
    match kind {
        MountKind::Bind if spec.source.is_empty() => {
            return Err(field("a bind mount needs a Source"))
        }
        MountKind::Tmpfs if !spec.source.is_empty() => {
            return Err(field("a tmpfs mount takes no Source"))
        }
        _ => {}
    }
    if let Some(b) = &m.bind_options {
        if kind != MountKind::Bind {
            return Err(field("BindOptions given for a mount that is not a bind"));
        }
        if let Some(p) = b.propagation.as_deref().filter(|p| !p.is_empty()) {
            spec.bind_propagation = Some(
                Propagation::from_name(p)
                    .ok_or_else(|| field(&format!("invalid propagation {p:?}")))?,
            );
        }
        spec.bind_nonrecursive = b.non_recursive.unwrap_or(false);
    }
    if let Some(v) = &m.volume_options {
        if kind != MountKind::Volume {
            return Err(field(
                "VolumeOptions given for a mount that is not a volume",
            ));
        }
        spec.volume_nocopy = v.no_copy.unwrap_or(false);
        spec.volume_labels = v.labels.clone().unwrap_or_default();
        spec.volume_subpath = v.subpath.clone().filter(|s| !s.is_empty());
        if let Some(d) = &v.driver_config {
            spec.volume_driver = d.name.clone().filter(|s| !s.is_empty());
            spec.volume_options = d.options.clone().unwrap_or_default();
        }
    }
    if let Some(t) = &m.tmpfs_options {
        if kind != MountKind::Tmpfs {
            return Err(field("TmpfsOptions given for a mount that is not a tmpfs"));
        }
        spec.tmpfs_size = t.size_bytes.filter(|s| *s > 0);
        spec.tmpfs_mode = t.mode.filter(|m| *m != 0);
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn apply(v: Value) -> ApiResult<RunOptions> {
        check_unsupported(&v)?;
        let hc: HostConfig = serde_json::from_value(v).map_err(bad)?;
        let mut o = RunOptions::default();
        hc.apply(&mut o)?;
        Ok(o)
    }

    #[test]
    fn zero_values_pass() {
        // What `docker create busybox` sends (docker 20.10).
        let body = r#"{
            "Binds": null, "ContainerIDFile": "", "LogConfig": {"Type": "", "Config": {}},
            "NetworkMode": "default", "PortBindings": {},
            "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0}, "AutoRemove": false,
            "VolumeDriver": "", "VolumesFrom": null, "CapAdd": null, "CapDrop": null,
            "CgroupnsMode": "", "Dns": [], "DnsOptions": [], "DnsSearch": [], "ExtraHosts": null,
            "GroupAdd": null, "IpcMode": "", "Cgroup": "", "Links": null, "OomScoreAdj": 0,
            "PidMode": "", "Privileged": false, "PublishAllPorts": false, "ReadonlyRootfs": false,
            "SecurityOpt": null, "UTSMode": "", "UsernsMode": "", "ShmSize": 0,
            "ConsoleSize": [0, 0], "Isolation": "", "CpuShares": 0, "Memory": 0, "NanoCpus": 0,
            "CgroupParent": "", "BlkioWeight": 0, "BlkioWeightDevice": [],
            "BlkioDeviceReadBps": null, "CpuPeriod": 0, "CpuQuota": 0, "CpuRealtimePeriod": 0,
            "CpusetCpus": "", "CpusetMems": "", "Devices": [], "DeviceCgroupRules": null,
            "DeviceRequests": null, "KernelMemory": 0, "KernelMemoryTCP": 0,
            "MemoryReservation": 0, "MemorySwap": 0, "MemorySwappiness": -1,
            "OomKillDisable": false, "PidsLimit": null, "Ulimits": null, "CpuCount": 0,
            "CpuPercent": 0, "IOMaximumIOps": 0, "IOMaximumBandwidth": 0,
            "MaskedPaths": null, "ReadonlyPaths": null
        }"#;
        let o = apply(serde_json::from_str(body).unwrap()).unwrap();
        assert_eq!(o, RunOptions::default());
    }

    #[test]
    fn maps_fields() {
        let o = apply(json!({
            "Binds": ["/h:/c:ro", "vol:/v"],
            "Mounts": [{"Type": "bind", "Source": "/a", "Target": "/b", "ReadOnly": true,
                        "BindOptions": {"Propagation": "rslave"}},
                       {"Type": "tmpfs", "Target": "/t",
                        "TmpfsOptions": {"SizeBytes": 1048576, "Mode": 1023}}],
            "Tmpfs": {"/run": "size=64m"},
            "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}],
                             "53/udp": [{"HostIp": "127.0.0.1", "HostPort": ""}],
                             "81/tcp": [{"HostIp": "::1", "HostPort": "9"}],
                             "90/tcp": []},
            "NetworkMode": "mynet",
            "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
            "Memory": 67108864, "MemorySwap": -1, "NanoCpus": 1500000000, "CpuShares": 512,
            "CpusetCpus": "0", "PidsLimit": 50,
            "Ulimits": [{"Name": "nofile", "Soft": 100, "Hard": 200}],
            "CapAdd": ["NET_ADMIN"], "CapDrop": ["MKNOD"], "Init": true,
            "SecurityOpt": ["no-new-privileges", "seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}"],
            "Dns": ["1.1.1.1"], "DnsSearch": ["example.com"], "ExtraHosts": ["db:10.0.0.2"],
            "Devices": [{"PathOnHost": "/dev/null", "PathInContainer": "", "CgroupPermissions": ""}],
            "GroupAdd": ["audio"], "ShmSize": 1048576, "Sysctls": {"net.ipv4.ip_forward": "1"},
            "ReadonlyRootfs": true, "OomScoreAdj": 100,
            "LogConfig": {"Type": "json-file", "Config": {"max-size": "1m"}},
        }))
        .unwrap();
        assert_eq!(o.mounts.len(), 5);
        assert_eq!(
            (o.mounts[0].kind, o.mounts[0].read_only),
            (MountKind::Bind, true)
        );
        assert_eq!(o.mounts[1].kind, MountKind::Volume);
        assert_eq!(o.mounts[2].bind_propagation, Some(Propagation::RSlave));
        assert_eq!(o.mounts[3].tmpfs_mode, Some(0o1777));
        assert_eq!(o.mounts[4].tmpfs_size, Some(64 << 20));
        let mut publish = o.publish.clone();
        publish.sort();
        assert_eq!(
            publish,
            ["127.0.0.1::53/udp", "8080:80/tcp", "[::1]:9:81/tcp"]
        );
        assert_eq!(o.expose, ["90/tcp"]);
        assert_eq!(o.network, NetworkMode::Named("mynet".into()));
        assert_eq!(o.restart, RestartPolicy::OnFailure { max_retries: 3 });
        assert_eq!((o.memory, o.memory_swap), (Some(64 << 20), Some(-1)));
        assert_eq!(o.cpus, Some(1.5));
        assert_eq!((o.cpu_shares, o.pids_limit), (Some(512), Some(50)));
        assert_eq!((o.ulimits[0].soft, o.ulimits[0].hard), (100, 200));
        assert!(o.init && o.read_only && o.security.no_new_privileges);
        assert!(matches!(o.security.seccomp, Seccomp::Profile(_)));
        assert_eq!(o.devices[0].path_in_container, "/dev/null");
        assert_eq!(o.add_host[0].name, "db");
        assert_eq!(o.shm_size, Some(1 << 20));
        assert_eq!(o.oom_score_adj, 100);
        assert_eq!(o.log.driver.as_deref(), Some("json-file"));
    }

    #[test]
    fn refusals() {
        let err = |v: Value| apply(v).unwrap_err();
        assert!(err(json!({"PidMode": "host"})).message.contains("PidMode"));
        assert!(err(json!({"Links": ["a:b"]})).message.contains("Links"));
        assert!(err(json!({"BlkioWeight": 10}))
            .message
            .contains("BlkioWeight"));
        assert!(apply(json!({"IpcMode": "private", "Runtime": "runc"})).is_ok());
        assert_eq!(err(json!({"Memory": -5})).status, 400);
        assert_eq!(err(json!({"Memory": "lots"})).status, 400);
        assert_eq!(err(json!({"MemorySwappiness": 101})).status, 400);
        assert_eq!(err(json!({"Binds": ["rel:/x:zz"]})).status, 400);
        assert_eq!(
            err(json!({"Mounts": [{"Type": "npipe", "Target": "/x"}]})).status,
            400
        );
        assert_eq!(
            err(json!({"Mounts": [{"Type": "bind", "Target": "/x"}]})).status,
            400
        );
        assert_eq!(
            err(json!({"RestartPolicy": {"Name": "sometimes"}})).status,
            400
        );
        assert!(
            err(json!({"AutoRemove": true, "RestartPolicy": {"Name": "always"}}))
                .message
                .contains("AutoRemove")
        );
        assert!(err(json!({"SecurityOpt": ["seccomp=/etc/profile.json"]}))
            .message
            .contains("inline"));
        assert_eq!(err(json!({"NanoCpus": 1, "CpuQuota": 5})).status, 400);
        let o =
            apply(json!({"NetworkMode": "host", "PortBindings": {"80/tcp": [{"HostPort": "1"}]}}))
                .unwrap();
        assert!(o.publish.is_empty());
    }
}
