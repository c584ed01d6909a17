//! One service: every core and common attribute, normalised to its long form.

use std::collections::BTreeMap;

use serde::Serialize;

use super::build::{build, Build};
use super::ctx::Ctx;
use super::depends::{depends_on, Dependency};
use super::env::{environment, extra_hosts, string_map, EnvFile};
use super::health::{healthcheck, Healthcheck};
use super::networks::{service_networks, ServiceNetwork};
use super::node::Node;
use super::options::{
    cpus, deploy, devices, logging, ulimits, Deploy, DeviceMapping, Logging, Ulimit,
};
use super::ports::{expose, ports, PortConfig};
use super::resources::{file_refs, FileRef};
use super::units::{bytes_from_node, Duration};
use super::volumes::{mounts, tmpfs, Mount};
use crate::Result;

fn is_false(b: &bool) -> bool {
    !*b
}

/// A service, normalised.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Service {
    /// Its key under `services`.
    #[serde(skip)]
    pub name: String,
    /// Profiles that enable it (none: always on).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// How to build its image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    /// Image to run (or to tag the build as).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Overrides the image's `CMD` (split as a shell would, not run through one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Overrides the image's `ENTRYPOINT` (an empty list clears it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// The env files read into `environment`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env_file: Vec<EnvFile>,
    /// The environment: env files, then `environment`, bare names resolved.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    /// Published ports, one per container port.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortConfig>,
    /// Exposed ports (informational).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expose: Vec<String>,
    /// Mounts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Mount>,
    /// Tmpfs mounts (`path[:options]`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<String>,
    /// Networks by top-level key (`default` when none was given and no `network_mode`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, Option<ServiceNetwork>>,
    /// `none`, `host`, `service:x`, `container:x`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    /// Dependencies.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub depends_on: BTreeMap<String, Dependency>,
    /// Health check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    /// `no`, `always`, `on-failure[:N]`, `unless-stopped`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<String>,
    /// Fixed container name (forbids scale > 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// Host name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Domain name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domainname: Option<String>,
    /// `user[:group]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Working directory in the container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Container labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Signal to stop with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    /// Wait before SIGKILL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_grace_period: Option<Duration>,
    /// Run an init as PID 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    /// Allocate a terminal.
    #[serde(skip_serializing_if = "is_false")]
    pub tty: bool,
    /// Keep stdin open.
    #[serde(skip_serializing_if = "is_false")]
    pub stdin_open: bool,
    /// Privileged.
    #[serde(skip_serializing_if = "is_false")]
    pub privileged: bool,
    /// Read-only root file system.
    #[serde(skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// Added capabilities.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    /// Dropped capabilities.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    /// Security options.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_opt: Vec<String>,
    /// Ulimits by name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ulimits: BTreeMap<String, Ulimit>,
    /// Sysctls.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctls: BTreeMap<String, String>,
    /// Devices.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceMapping>,
    /// DNS servers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
    /// DNS search domains.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_search: Vec<String>,
    /// resolv.conf options.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_opt: Vec<String>,
    /// Extra `/etc/hosts` entries: host -> addresses.
    #[serde(
        skip_serializing_if = "BTreeMap::is_empty",
        serialize_with = "super::output::hosts"
    )]
    pub extra_hosts: BTreeMap<String, Vec<String>>,
    /// Supplementary groups.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group_add: Vec<String>,
    /// PID namespace (`host`, `service:x`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<String>,
    /// IPC namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipc: Option<String>,
    /// `/dev/shm` size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<i64>,
    /// Memory limit in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_limit: Option<i64>,
    /// Memory reservation in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_reservation: Option<i64>,
    /// CPUs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    /// Process limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids_limit: Option<i64>,
    /// `deploy` (replicas, resources, restart_policy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy: Option<Deploy>,
    /// `always`, `never`, `missing`, `build`, `daily`, `weekly`, `every_<duration>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_policy: Option<String>,
    /// Platform (`linux/amd64`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// OCI runtime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// Logging.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging: Option<Logging>,
    /// Secrets used.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<FileRef>,
    /// Configs used.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<FileRef>,
    /// Legacy links (`service[:alias]`), treated as aliases.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// Number of containers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<u64>,
    /// `x-*` keys, kept as written.
    #[serde(flatten)]
    pub extensions: BTreeMap<String, serde_json::Value>,
}

impl Service {
    /// The image to run: `image`, or `<project>-<service>` for a build without one.
    pub fn image_name(&self, project: &str) -> String {
        match &self.image {
            Some(i) => i.clone(),
            None => format!("{project}-{}", self.name),
        }
    }

    /// How many containers to run: `scale`, else `deploy.replicas`, else 1.
    pub fn replicas(&self) -> u64 {
        self.scale
            .or_else(|| self.deploy.as_ref().and_then(|d| d.replicas))
            .unwrap_or(1)
    }
}

/// Reads `command`/`entrypoint`: a string (shell-split), a list, or null.
fn command(n: Node<'_, '_>) -> Result<Option<Vec<String>>> {
    match n.v {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Array(_) => Ok(Some(n.string_or_list()?)),
        _ => {
            let s = n.scalar()?;
            super::shell::split(&s).map(Some).map_err(|e| n.err(e))
        }
    }
}

fn restart(n: Node<'_, '_>) -> Result<String> {
    let s = n.scalar()?;
    let ok = match s.as_str() {
        "no" | "always" | "unless-stopped" | "on-failure" => true,
        s => s
            .strip_prefix("on-failure:")
            .is_some_and(|c| c.parse::<u32>().is_ok()),
    };
    if !ok {
        return Err(n.err(format!("invalid restart policy {s:?}: must be no, always, on-failure[:max-retries] or unless-stopped")));
    }
    Ok(s)
}

fn pull_policy(n: Node<'_, '_>) -> Result<String> {
    let s = n.scalar()?;
    let ok = match s.as_str() {
        "always" | "never" | "missing" | "if_not_present" | "build" | "daily" | "weekly" => true,
        s => s
            .strip_prefix("every_")
            .is_some_and(|d| Duration::parse(d).is_ok()),
    };
    if !ok {
        return Err(n.err(format!("invalid pull_policy {s:?}")));
    }
    Ok(s)
}

fn container_name(n: Node<'_, '_>) -> Result<String> {
    let s = n.scalar()?;
    let mut chars = s.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.len() > 1
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !ok {
        return Err(n.err(format!(
            "invalid container name {s:?}: must match [a-zA-Z0-9][a-zA-Z0-9_.-]+"
        )));
    }
    Ok(s)
}

/// Reads one service. Attributes the model does not support are reported in `warnings`.
pub(crate) fn service(
    name: &str,
    n: Node<'_, '_>,
    ctx: &Ctx<'_>,
    warnings: &mut Vec<String>,
) -> Result<Service> {
    let mut s = Service {
        name: name.to_string(),
        ..Default::default()
    };
    let env_file = n.get("env_file");
    let env = n.get("environment");
    (s.env_file, s.environment) = environment(
        env_file.as_ref().map(|c| c.node()),
        env.as_ref().map(|c| c.node()),
        ctx,
    )?;
    let mut has_networks = false;
    for (k, c) in n.entries_or_null()? {
        let c = c.node();
        if c.is_null() {
            // `key:` with no value, or `!reset`: unset.
            continue;
        }
        has_networks |= k == "networks";
        if !attribute(&mut s, k, c, ctx, warnings)? {
            warnings.push(format!("{}: {k:?} is not supported, ignored", n.path));
        }
    }
    check_service(&mut s, &n, has_networks, warnings)?;
    Ok(s)
}

/// Reads attribute `k` into `s` (one arm per attribute); false for one the model does not
/// support. `env_file` and `environment` are read beforehand, together.
fn attribute(
    s: &mut Service,
    k: &str,
    c: Node<'_, '_>,
    ctx: &Ctx<'_>,
    warnings: &mut Vec<String>,
) -> Result<bool> {
    let opt = || c.opt_scalar();
    match k {
        "env_file" | "environment" => {}
        "image" => s.image = opt()?,
        "build" => s.build = Some(build(c, ctx, warnings)?),
        "command" => s.command = command(c)?,
        "entrypoint" => s.entrypoint = command(c)?,
        "ports" => s.ports = ports(c)?,
        "expose" => s.expose = expose(c)?,
        "volumes" => s.volumes = mounts(c, ctx)?,
        "tmpfs" => s.tmpfs = tmpfs(c)?,
        "networks" => s.networks = service_networks(c)?,
        "network_mode" => s.network_mode = opt()?,
        "depends_on" => s.depends_on = depends_on(c)?,
        "healthcheck" => s.healthcheck = Some(healthcheck(c)?),
        "restart" => s.restart = Some(restart(c)?),
        "container_name" => s.container_name = Some(container_name(c)?),
        "hostname" => s.hostname = opt()?,
        "domainname" => s.domainname = opt()?,
        "user" => s.user = opt()?,
        "working_dir" => s.working_dir = opt()?,
        "labels" => s.labels = string_map(c)?,
        "stop_signal" => s.stop_signal = opt()?,
        "stop_grace_period" => s.stop_grace_period = Some(Duration::from_node(c)?),
        "init" => s.init = Some(c.bool()?),
        "tty" => s.tty = c.bool()?,
        "stdin_open" => s.stdin_open = c.bool()?,
        "privileged" => s.privileged = c.bool()?,
        "read_only" => s.read_only = c.bool()?,
        "cap_add" => s.cap_add = c.string_or_list()?,
        "cap_drop" => s.cap_drop = c.string_or_list()?,
        "security_opt" => s.security_opt = c.string_or_list()?,
        "ulimits" => s.ulimits = ulimits(c)?,
        "sysctls" => s.sysctls = string_map(c)?,
        "devices" => s.devices = devices(c)?,
        "dns" => s.dns = c.string_or_list()?,
        "dns_search" => s.dns_search = c.string_or_list()?,
        "dns_opt" => s.dns_opt = c.string_or_list()?,
        "extra_hosts" => s.extra_hosts = extra_hosts(c)?,
        "group_add" => s.group_add = c.string_or_list()?,
        "pid" => s.pid = opt()?,
        "ipc" => s.ipc = opt()?,
        "shm_size" => s.shm_size = Some(bytes_from_node(c)?),
        "mem_limit" => s.mem_limit = Some(bytes_from_node(c)?),
        "mem_reservation" => s.mem_reservation = Some(bytes_from_node(c)?),
        "cpus" => s.cpus = Some(cpus(c)?),
        "pids_limit" => s.pids_limit = Some(c.i64()?),
        "deploy" => s.deploy = Some(deploy(c, warnings)?),
        "pull_policy" => s.pull_policy = Some(pull_policy(c)?),
        "platform" => s.platform = opt()?,
        "runtime" => s.runtime = opt()?,
        "logging" => s.logging = Some(logging(c)?),
        "secrets" => s.secrets = file_refs(c)?,
        "configs" => s.configs = file_refs(c)?,
        "links" => s.links = c.string_or_list()?,
        "profiles" => s.profiles = c.string_or_list()?,
        "scale" => s.scale = Some(c.u64()?),
        k if k.starts_with("x-") => {
            s.extensions.insert(k.to_string(), c.v.clone());
        }
        k if k.starts_with("x-") => {
            s.extensions.insert(k.to_string(), c.v.clone());
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// What holds across attributes: an image or a build; `network_mode` without `networks`
/// (ports ignored on the host network), else the default network; a `container_name` only
/// for a single replica.
fn check_service(
    s: &mut Service,
    n: &Node<'_, '_>,
    has_networks: bool,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let name = &s.name;
    if s.image.is_none() && s.build.is_none() {
        return Err(n.err(format!(
            "service {name:?} has neither an image nor a build context specified"
        )));
    }
    if let Some(mode) = &s.network_mode {
        if has_networks {
            return Err(n.err(format!(
                "service {name} declares mutually exclusive `network_mode` and `networks`"
            )));
        }
        if mode == "host" && !s.ports.is_empty() {
            warnings.push(format!(
                "{}: ports are ignored with network_mode: host",
                n.path
            ));
        }
    } else if s.networks.is_empty() {
        s.networks.insert("default".into(), None);
    }
    if s.container_name.is_some() && s.replicas() > 1 {
        return Err(n.err(format!(
            "can't set container_name and {name} as container name must be unique"
        )));
    }
    Ok(())
}
