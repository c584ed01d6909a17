//! `POST /containers/create`: the body (`Config` with `HostConfig` and
//! `NetworkingConfig`) onto the engine's [`RunOptions`], then the engine's create.

use std::collections::BTreeMap;
use std::time::Duration;

use berth_engine::containers::record;
use berth_engine::spec::{parse, MountKind, MountSpec, NetworkMode, RunOptions};
use serde::Deserialize;
use serde_json::{json, Value};

use super::host_config::{check_unsupported, HostConfig};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};

/// `POST /containers/create?name=&platform=`.
pub fn create(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    let body: Value = req.json()?;
    let name = req.query.get("name").filter(|n| !n.is_empty());
    let platform = req.query.get("platform").filter(|p| !p.is_empty());
    let parsed = parse_body(body, name, platform)?;
    let mut e = ctx.engine()?;
    let mut r = e.create_container(&parsed.image, &parsed.opts)?;
    // What the engine's Config cannot know from the options (the client's attach flags,
    // its exposed ports and healthcheck).
    if let (Some(cfg), Value::Object(patch)) = (r.config.as_object_mut(), parsed.config_patch) {
        for (k, v) in patch {
            match (cfg.get_mut(&k), v) {
                (Some(Value::Object(have)), Value::Object(add)) => have.extend(add),
                (_, v) => {
                    cfg.insert(k, v);
                }
            }
        }
        record::update(&e.db, &r)?;
    }
    Reply::created(json!({"Id": r.id, "Warnings": []}))
}

/// A create body, parsed.
#[derive(Debug)]
pub struct Parsed {
    /// The image to create from.
    pub image: String,
    /// The engine's options.
    pub opts: RunOptions,
    /// `Config` fields to set on the record over what the engine writes.
    pub config_patch: Value,
}

/// A string or a list of strings (`Cmd`, `Entrypoint`), as Go's `strslice` takes it.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StrSlice {
    One(String),
    Many(Vec<String>),
}

/// The `Config` fields berth maps (unknown ones are ignored; wrong types are a 400).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Config {
    hostname: Option<String>,
    domainname: Option<String>,
    user: Option<String>,
    attach_stdin: Option<bool>,
    attach_stdout: Option<bool>,
    attach_stderr: Option<bool>,
    exposed_ports: Option<BTreeMap<String, Value>>,
    tty: Option<bool>,
    open_stdin: Option<bool>,
    stdin_once: Option<bool>,
    env: Option<Vec<String>>,
    cmd: Option<StrSlice>,
    healthcheck: Option<Healthcheck>,
    image: Option<String>,
    volumes: Option<BTreeMap<String, Value>>,
    working_dir: Option<String>,
    entrypoint: Option<StrSlice>,
    network_disabled: Option<bool>,
    mac_address: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    stop_signal: Option<String>,
    stop_timeout: Option<i64>,
    networking_config: Option<NetworkingConfig>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "PascalCase", default)]
struct Healthcheck {
    #[serde(skip_serializing_if = "Option::is_none")]
    test: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    interval: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_interval: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retries: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct NetworkingConfig {
    endpoints_config: Option<BTreeMap<String, Option<Endpoint>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Endpoint {
    aliases: Option<Vec<String>>,
    #[serde(rename = "IPAMConfig")]
    ipam_config: Option<Ipam>,
    mac_address: Option<String>,
    links: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Ipam {
    #[serde(rename = "IPv4Address")]
    ipv4: Option<String>,
    #[serde(rename = "IPv6Address")]
    ipv6: Option<String>,
}

/// Parses a create body into the image, the engine's options and the `Config` patch.
pub fn parse_body(body: Value, name: Option<&str>, platform: Option<&str>) -> ApiResult<Parsed> {
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "config cannot be empty in order to create a container",
        ));
    }
    let raw_hc = body.get("HostConfig").cloned().unwrap_or(Value::Null);
    check_unsupported(&raw_hc)?;
    let hc: HostConfig = if raw_hc.is_null() {
        HostConfig::default()
    } else {
        serde_json::from_value(raw_hc).map_err(|e| invalid("HostConfig", e))?
    };
    let c: Config = serde_json::from_value(body).map_err(|e| invalid("Config", e))?;
    let image = c.image.clone().filter(|i| !i.is_empty()).ok_or_else(|| {
        ApiError::bad_request("Config.Image is required: the image to create the container from")
    })?;
    if c.mac_address.as_deref().is_some_and(|m| !m.is_empty()) {
        return Err(ApiError::bad_request(
            "Config.MacAddress is not supported by berth",
        ));
    }
    let mut o = RunOptions {
        name: name.map(str::to_string),
        platform: platform.map(str::to_string),
        // The monitor runs every API container on its own (`--rm` removal included).
        detach: true,
        ..RunOptions::default()
    };
    hc.apply(&mut o)?;
    config_into(&c, &mut o)?;
    if c.network_disabled.unwrap_or(false) {
        o.network = NetworkMode::None;
    }
    endpoint_into(c.networking_config.as_ref(), &mut o)?;
    let patch = config_patch(&c, &o);
    Ok(Parsed {
        image,
        opts: o,
        config_patch: patch,
    })
}

fn invalid(what: &str, e: serde_json::Error) -> ApiError {
    ApiError::bad_request(format!("invalid {what}: {e}"))
}

/// The `Config` fields onto the options.
fn config_into(c: &Config, o: &mut RunOptions) -> ApiResult<()> {
    let non_empty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    o.hostname = non_empty(&c.hostname);
    o.domainname = non_empty(&c.domainname);
    o.user = non_empty(&c.user);
    o.workdir = non_empty(&c.working_dir);
    if let Some(w) = &o.workdir {
        if !w.starts_with('/') {
            return Err(ApiError::bad_request(format!(
                "the working directory '{w}' is invalid, it needs to be an absolute path"
            )));
        }
    }
    for e in c.env.iter().flatten() {
        if e.is_empty() || e.starts_with('=') {
            return Err(ApiError::bad_request(format!(
                "invalid environment variable: {e:?}"
            )));
        }
        o.env.push(e.clone());
    }
    o.cmd = match &c.cmd {
        Some(StrSlice::One(s)) => vec![s.clone()],
        Some(StrSlice::Many(v)) => v.clone(),
        None => Vec::new(),
    };
    o.entrypoint = match &c.entrypoint {
        None => None,
        Some(e) => {
            let v = match e {
                StrSlice::One(s) => vec![s.clone()],
                StrSlice::Many(v) => v.clone(),
            };
            // `--entrypoint ""` arrives as `[""]`: the image's entrypoint reset.
            Some(if v.iter().all(String::is_empty) {
                Vec::new()
            } else {
                v
            })
        }
    };
    o.tty = c.tty.unwrap_or(false);
    o.stdin_open = c.open_stdin.unwrap_or(false);
    o.labels = c.labels.clone().unwrap_or_default();
    for port in c.exposed_ports.iter().flat_map(|m| m.keys()) {
        if !o.expose.contains(port) {
            o.expose.push(port.clone());
        }
    }
    if let Some(s) = c.stop_signal.as_deref().filter(|s| !s.is_empty()) {
        parse::parse_signal(s).map_err(|e| ApiError::bad_request(e.to_string()))?;
        o.stop_signal = Some(s.to_string());
    }
    o.stop_timeout = c.stop_timeout;
    if let Some(h) = &c.healthcheck {
        health_into(h, o)?;
    }
    // Anonymous volumes (`-v /path`) the binds and mounts do not already cover.
    for target in c.volumes.iter().flat_map(|m| m.keys()) {
        if !o.mounts.iter().any(|m| &m.target == target) {
            o.mounts.push(MountSpec {
                kind: MountKind::Volume,
                target: target.clone(),
                ..MountSpec::default()
            });
        }
    }
    if !o.tty {
        o.console_size = None;
    }
    Ok(())
}

/// `Healthcheck` onto the options (durations in nanoseconds; 0 inherits the image's).
fn health_into(h: &Healthcheck, o: &mut RunOptions) -> ApiResult<()> {
    let dur = |field: &str, v: Option<i64>| -> ApiResult<Option<Duration>> {
        match v {
            None | Some(0) => Ok(None),
            Some(n) if n >= 1_000_000 => Ok(Some(Duration::from_nanos(n as u64))),
            Some(n) => Err(ApiError::bad_request(format!(
                "Healthcheck.{field} {n}: must be at least 1 millisecond"
            ))),
        }
    };
    match h.test.as_deref() {
        Some([first, ..]) if first == "NONE" => o.health.no_healthcheck = true,
        Some([]) | None => {}
        Some([first, ..]) if !matches!(first.as_str(), "CMD" | "CMD-SHELL") => {
            return Err(ApiError::bad_request(format!(
                "Healthcheck.Test must start with CMD, CMD-SHELL or NONE (got {first:?})"
            )))
        }
        Some(t) => o.health.test = Some(t.to_vec()),
    }
    o.health.interval = dur("Interval", h.interval)?;
    o.health.timeout = dur("Timeout", h.timeout)?;
    o.health.start_period = dur("StartPeriod", h.start_period)?;
    o.health.start_interval = dur("StartInterval", h.start_interval)?;
    o.health.retries = match h.retries {
        None | Some(0) => None,
        Some(n) => Some(u32::try_from(n).map_err(|_| {
            ApiError::bad_request(format!("Healthcheck.Retries {n}: must not be negative"))
        })?),
    };
    Ok(())
}

/// `NetworkingConfig.EndpointsConfig`: the aliases and address on the container's network.
fn endpoint_into(n: Option<&NetworkingConfig>, o: &mut RunOptions) -> ApiResult<()> {
    let Some(eps) = n.and_then(|n| n.endpoints_config.as_ref()) else {
        return Ok(());
    };
    if eps.len() > 1 {
        return Err(ApiError::bad_request(
            "berth creates a container on one network: connect it to more with POST /networks/{id}/connect",
        ));
    }
    let Some((net, ep)) = eps.iter().next() else {
        return Ok(());
    };
    let mode_name = match &o.network {
        NetworkMode::Default => "bridge".to_string(),
        NetworkMode::Named(n) => n.clone(),
        NetworkMode::None => "none".into(),
        NetworkMode::Host => "host".into(),
        NetworkMode::Container(c) => format!("container:{c}"),
    };
    if net != &mode_name {
        if o.network == NetworkMode::Default {
            o.network = NetworkMode::parse(net);
        } else {
            return Err(ApiError::bad_request(format!(
                "NetworkingConfig names network {net:?} but HostConfig.NetworkMode is {mode_name:?}"
            )));
        }
    }
    let Some(ep) = ep else { return Ok(()) };
    if ep.links.as_ref().is_some_and(|l| !l.is_empty()) {
        return Err(ApiError::bad_request(
            "container links are not supported by berth",
        ));
    }
    if ep.mac_address.as_deref().is_some_and(|m| !m.is_empty()) {
        return Err(ApiError::bad_request(
            "EndpointsConfig.MacAddress is not supported by berth",
        ));
    }
    o.network_aliases = ep.aliases.clone().unwrap_or_default();
    if let Some(ipam) = &ep.ipam_config {
        if ipam.ipv6.as_deref().is_some_and(|a| !a.is_empty()) {
            return Err(ApiError::bad_request(
                "IPAMConfig.IPv6Address is not supported by berth",
            ));
        }
        o.ip = ipam.ipv4.clone().filter(|a| !a.is_empty());
    }
    let bridged = matches!(o.network, NetworkMode::Named(_));
    if !bridged && (!o.network_aliases.is_empty() || o.ip.is_some()) {
        return Err(ApiError::bad_request(
            "network-scoped aliases and IPv4Address are only supported for user-defined networks",
        ));
    }
    Ok(())
}

/// The `Config` fields to put on the record after the engine's create.
fn config_patch(c: &Config, o: &RunOptions) -> Value {
    let mut patch = json!({
        "AttachStdin": c.attach_stdin.unwrap_or(false),
        "AttachStdout": c.attach_stdout.unwrap_or(false),
        "AttachStderr": c.attach_stderr.unwrap_or(false),
        "StdinOnce": c.stdin_once.unwrap_or(false),
    });
    let exposed: serde_json::Map<String, Value> = o
        .expose
        .iter()
        .map(|p| (normal_port(p), json!({})))
        .collect();
    if !exposed.is_empty() {
        patch["ExposedPorts"] = Value::Object(exposed);
    }
    if let Some(h) = &c.healthcheck {
        if let Ok(v) = serde_json::to_value(h) {
            patch["Healthcheck"] = v;
        }
    }
    let volumes: serde_json::Map<String, Value> = c
        .volumes
        .iter()
        .flat_map(|m| m.keys())
        .map(|k| (k.clone(), json!({})))
        .collect();
    if !volumes.is_empty() {
        patch["Volumes"] = Value::Object(volumes);
    }
    patch
}

/// `80` as `80/tcp`.
fn normal_port(p: &str) -> String {
    if p.contains('/') {
        p.to_string()
    } else {
        format!("{p}/tcp")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_engine::spec::RestartPolicy;

    #[test]
    fn docker_cli_body() {
        let body = json!({
            "Hostname": "", "Domainname": "", "User": "1000:1000", "AttachStdin": false,
            "AttachStdout": true, "AttachStderr": true, "ExposedPorts": {"80/tcp": {}},
            "Tty": false, "OpenStdin": false, "StdinOnce": false, "Env": ["A=1", "B"],
            "Cmd": ["sh", "-c", "echo hi"], "Image": "busybox", "Volumes": {"/data": {}},
            "WorkingDir": "/tmp", "Entrypoint": null, "OnBuild": null,
            "Labels": {"k": "v"}, "StopSignal": "SIGINT", "StopTimeout": 3,
            "HostConfig": {"Binds": ["/h:/h"], "NetworkMode": "net1", "AutoRemove": true,
                           "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
                           "RestartPolicy": {"Name": "", "MaximumRetryCount": 0},
                           "MemorySwappiness": -1},
            "NetworkingConfig": {"EndpointsConfig": {"net1": {"Aliases": ["web"],
                                  "IPAMConfig": {"IPv4Address": "10.9.0.5"}}}}
        });
        let p = parse_body(body, Some("c1"), None).unwrap();
        let o = &p.opts;
        assert_eq!(p.image, "busybox");
        assert_eq!(o.name.as_deref(), Some("c1"));
        assert_eq!(o.user.as_deref(), Some("1000:1000"));
        assert_eq!(o.env, ["A=1", "B"]);
        assert_eq!(o.cmd, ["sh", "-c", "echo hi"]);
        assert_eq!(o.entrypoint, None);
        assert_eq!(o.workdir.as_deref(), Some("/tmp"));
        assert_eq!(o.labels.get("k").map(String::as_str), Some("v"));
        assert_eq!(o.stop_signal.as_deref(), Some("SIGINT"));
        assert_eq!(o.stop_timeout, Some(3));
        assert!(o.rm && o.detach);
        assert_eq!(o.restart, RestartPolicy::No);
        assert_eq!(o.mounts.len(), 2);
        assert_eq!(o.mounts[1].target, "/data");
        assert_eq!(o.publish, ["8080:80/tcp"]);
        assert_eq!(o.expose, ["80/tcp"]);
        assert_eq!(o.network, NetworkMode::Named("net1".into()));
        assert_eq!(o.network_aliases, ["web"]);
        assert_eq!(o.ip.as_deref(), Some("10.9.0.5"));
        assert_eq!(p.config_patch["AttachStdout"], true);
        assert_eq!(p.config_patch["ExposedPorts"], json!({"80/tcp": {}}));
    }

    #[test]
    fn entrypoints_and_health() {
        let p = parse_body(
            json!({"Image": "x", "Entrypoint": [""], "Cmd": "true",
                   "Healthcheck": {"Test": ["CMD", "true"], "Interval": 2000000000, "Retries": 2}}),
            None,
            None,
        )
        .unwrap();
        assert_eq!(p.opts.entrypoint, Some(vec![]));
        assert_eq!(p.opts.cmd, ["true"]);
        assert_eq!(p.opts.health.test, Some(vec!["CMD".into(), "true".into()]));
        assert_eq!(p.opts.health.interval, Some(Duration::from_secs(2)));
        assert_eq!(p.opts.health.retries, Some(2));
        let p = parse_body(
            json!({"Image": "x", "Healthcheck": {"Test": ["NONE"]}}),
            None,
            None,
        )
        .unwrap();
        assert!(p.opts.health.no_healthcheck);
    }

    #[test]
    fn refusals() {
        let err = |v: Value| parse_body(v, None, None).unwrap_err();
        assert_eq!(err(Value::Null).status, 400);
        assert!(err(json!({"Cmd": ["x"]})).message.contains("Image"));
        assert_eq!(err(json!({"Image": "x", "Env": "A=1"})).status, 400);
        assert_eq!(err(json!({"Image": "x", "WorkingDir": "rel"})).status, 400);
        assert_eq!(
            err(json!({"Image": "x", "StopSignal": "SIGNOPE"})).status,
            400
        );
        assert!(
            err(json!({"Image": "x", "MacAddress": "02:42:ac:11:00:02"}))
                .message
                .contains("MacAddress")
        );
        assert!(
            err(json!({"Image": "x", "HostConfig": {"VolumesFrom": ["other"]}}))
                .message
                .contains("VolumesFrom")
        );
        assert_eq!(
            err(json!({"Image": "x", "NetworkingConfig": {"EndpointsConfig": {"a": {}, "b": {}}}}))
                .status,
            400
        );
        assert_eq!(
            err(json!({"Image": "x", "NetworkingConfig": {"EndpointsConfig": {"bridge": {"Aliases": ["a"]}}}}))
                .status,
            400
        );
        assert_eq!(
            err(json!({"Image": "x", "Healthcheck": {"Test": ["BOGUS"]}})).status,
            400
        );
    }
}
