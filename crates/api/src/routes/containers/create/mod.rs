//! `POST /containers/create`: the body (`Config` with `HostConfig` and
//! `NetworkingConfig`) onto the engine's [`RunOptions`], then the engine's create.

use std::collections::BTreeMap;

use berth_engine::containers::record;
use berth_engine::spec::{parse, MountKind, MountSpec, NetworkMode, RunOptions};
use serde::Deserialize;
use serde_json::{json, Value};

use super::host_config::{check_unsupported, HostConfig};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};

mod endpoint;
mod health;

use endpoint::{endpoint_into, NetworkingConfig};
use health::{health_into, Healthcheck};

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
mod tests;
