//! A compose service becomes `run` options: every attribute mapped onto the engine's
//! [`RunOptions`], names resolved (networks and volumes to their real names, `service:`
//! network modes to containers), secrets and configs to read-only file mounts.

use std::collections::BTreeMap;
use std::path::Path;

use berth_compose::model::{Project, Service, ServiceNetwork};
use berth_engine::spec::parse::{parse_add_host, parse_restart, parse_security_opts, parse_signal};
use berth_engine::spec::{DeviceMapping, NetworkMode, RunOptions, Ulimit};

use super::labels;

mod mounts;

/// A network the container joins after its first: real name, aliases, address.
pub struct ExtraNetwork {
    /// The network's real name.
    pub name: String,
    /// Aliases on it.
    pub aliases: Vec<String>,
    /// A fixed IPv4 address.
    pub ip: Option<String>,
}

/// What creating one container of a service takes.
pub struct ContainerPlan {
    /// The run options.
    pub opts: RunOptions,
    /// Networks to connect after creation.
    pub extra_networks: Vec<ExtraNetwork>,
}

/// The service's networks in docker compose's order (priority, then key), as
/// `(real name, settings)`.
pub fn service_networks<'a>(
    project: &'a Project,
    s: &'a Service,
) -> Vec<(String, Option<&'a ServiceNetwork>)> {
    let mut keys: Vec<(&String, &Option<ServiceNetwork>)> = s.networks.iter().collect();
    keys.sort_by_key(|(k, n)| {
        (
            std::cmp::Reverse(n.as_ref().and_then(|n| n.priority).unwrap_or(0)),
            (*k).clone(),
        )
    });
    keys.into_iter()
        .map(|(k, n)| {
            let name = project
                .networks
                .get(k)
                .map(|n| n.name.clone())
                .unwrap_or_else(|| k.clone());
            (name, n.as_ref())
        })
        .collect()
}

/// The `com.docker.compose.depends_on` label's value.
pub fn depends_on_label(s: &Service) -> String {
    s.depends_on
        .iter()
        .map(|(k, d)| format!("{k}:{}:{}", d.condition, d.restart))
        .collect::<Vec<_>>()
        .join(",")
}

/// The labels every container of `s` gets.
pub fn container_labels(
    project: &Project,
    s: &Service,
    number: u32,
    oneoff: bool,
    hash: &str,
    image_id: &str,
) -> BTreeMap<String, String> {
    let mut l = s.labels.clone();
    let files = project
        .config_files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(",");
    for (k, v) in [
        (labels::PROJECT, project.name.clone()),
        (labels::SERVICE, s.name.clone()),
        (labels::NUMBER, number.to_string()),
        (
            labels::ONEOFF,
            if oneoff { "True" } else { "False" }.to_string(),
        ),
        (labels::CONFIG_HASH, hash.to_string()),
        (
            labels::WORKING_DIR,
            project.working_dir.display().to_string(),
        ),
        (labels::CONFIG_FILES, files),
        (labels::DEPENDS_ON, depends_on_label(s)),
        (labels::IMAGE, format!("sha256:{image_id}")),
        (labels::VERSION, labels::COMPOSE_VERSION.to_string()),
    ] {
        l.insert(k.to_string(), v);
    }
    l
}

/// The run options for container `name` of service `s`.
pub fn plan(
    project: &Project,
    s: &Service,
    name: &str,
    labels: BTreeMap<String, String>,
    secrets_dir: &Path,
) -> anyhow::Result<ContainerPlan> {
    let mut o = process_options(s, name, labels)?;
    resources(s, &mut o);
    if let Some(sig) = &s.stop_signal {
        parse_signal(sig)?;
        o.stop_signal = Some(sig.clone());
    }
    if let Some(policy) = restart_policy(s) {
        o.restart = parse_restart(&policy)?;
    }
    for (host, ips) in &s.extra_hosts {
        for ip in ips {
            o.add_host.push(parse_add_host(&format!("{host}:{ip}"))?);
        }
    }
    health(s, &mut o);
    logging(s, &mut o);
    o.publish = s.ports.iter().map(publish_spec).collect();
    o.mounts = mounts::service_mounts(project, s, secrets_dir)?;
    let extra_networks = networks(project, s, &mut o);
    Ok(ContainerPlan {
        opts: o,
        extra_networks,
    })
}

/// The options from the service's process, identity and security attributes.
fn process_options(
    s: &Service,
    name: &str,
    labels: BTreeMap<String, String>,
) -> anyhow::Result<RunOptions> {
    Ok(RunOptions {
        name: Some(name.to_string()),
        hostname: s.hostname.clone(),
        domainname: s.domainname.clone(),
        env: s
            .environment
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        workdir: s.working_dir.clone(),
        user: s.user.clone(),
        entrypoint: s.entrypoint.clone(),
        cmd: s.command.clone().unwrap_or_default(),
        tty: s.tty,
        stdin_open: s.stdin_open,
        labels,
        read_only: s.read_only,
        cap_add: s.cap_add.clone(),
        cap_drop: s.cap_drop.clone(),
        privileged: s.privileged,
        security: parse_security_opts(&s.security_opt)?,
        init: s.init.unwrap_or(false),
        stop_timeout: s.stop_grace_period.map(|d| d.to_std().as_secs() as i64),
        expose: s.expose.clone(),
        dns: s.dns.clone(),
        dns_search: s.dns_search.clone(),
        dns_option: s.dns_opt.clone(),
        devices: s
            .devices
            .iter()
            .map(|d| DeviceMapping {
                path_on_host: d.source.clone(),
                path_in_container: d.target.clone(),
                cgroup_permissions: d.permissions.clone(),
            })
            .collect(),
        group_add: s.group_add.clone(),
        shm_size: s.shm_size,
        sysctls: s.sysctls.clone(),
        platform: s.platform.clone(),
        detach: true,
        ..Default::default()
    })
}

/// Memory, CPU, pids and ulimits: the service's own attributes over `deploy.resources`.
fn resources(s: &Service, o: &mut RunOptions) {
    let resources = s.deploy.as_ref().map(|d| &d.resources);
    let limits = resources.and_then(|r| r.limits.as_ref());
    let reservations = resources.and_then(|r| r.reservations.as_ref());
    o.memory = s.mem_limit.or(limits.and_then(|l| l.memory));
    o.memory_reservation = s.mem_reservation.or(reservations.and_then(|l| l.memory));
    o.cpus = s.cpus.or(limits.and_then(|l| l.cpus));
    o.pids_limit = s.pids_limit.or(limits.and_then(|l| l.pids));
    o.ulimits = s
        .ulimits
        .iter()
        .map(|(name, u)| {
            let (soft, hard) = u.limits();
            Ulimit {
                name: name.clone(),
                soft,
                hard,
            }
        })
        .collect();
}

/// The restart policy in `--restart`'s syntax: `restart`, else `deploy.restart_policy`.
fn restart_policy(s: &Service) -> Option<String> {
    if let Some(r) = &s.restart {
        return Some(r.clone());
    }
    let rp = s.deploy.as_ref()?.restart_policy.as_ref()?;
    Some(match rp.condition.as_deref() {
        Some("none") => "no".to_string(),
        Some("on-failure") => match rp.max_attempts {
            Some(n) => format!("on-failure:{n}"),
            None => "on-failure".into(),
        },
        _ => "always".into(),
    })
}

/// `logging`: berth's logs are json-file's (and local's) rotating files, so max-size and
/// max-file apply; another driver is reported, and the logs stay berth's.
fn logging(s: &Service, o: &mut RunOptions) {
    let Some(l) = &s.logging else { return };
    match l.driver.as_deref() {
        None | Some("json-file" | "local") => {}
        Some(d) => super::progress::warn_line(&format!(
            "service {}: logging driver {d:?} is not supported; berth keeps its own rotating log files",
            s.name
        )),
    }
    o.log.opts = l
        .options
        .iter()
        .filter(|(k, _)| matches!(k.as_str(), "max-size" | "max-file"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
}

/// `network_mode` (`service:x` names its container; host, none and container modes
/// publish nothing), else the service's networks: the first is the one the container is
/// created on, the rest are returned to connect afterwards.
fn networks(project: &Project, s: &Service, o: &mut RunOptions) -> Vec<ExtraNetwork> {
    if let Some(mode) = s.network_mode.as_deref() {
        o.network = match mode.strip_prefix("service:") {
            Some(svc) => NetworkMode::Container(labels::container_name(&project.name, svc, 1)),
            None => NetworkMode::parse(mode),
        };
        if matches!(
            o.network,
            NetworkMode::Host | NetworkMode::None | NetworkMode::Container(_)
        ) {
            o.publish.clear();
        }
        return Vec::new();
    }
    let mut extra_networks = Vec::new();
    for (i, (net, cfg)) in service_networks(project, s).into_iter().enumerate() {
        let mut aliases = vec![s.name.clone()];
        if let Some(c) = cfg {
            aliases.extend(c.aliases.iter().cloned());
        }
        let ip = cfg.and_then(|c| c.ipv4_address.clone());
        if i == 0 {
            o.network = NetworkMode::Named(net);
            o.network_aliases = aliases;
            o.ip = ip;
        } else {
            extra_networks.push(ExtraNetwork {
                name: net,
                aliases,
                ip,
            });
        }
    }
    extra_networks
}

/// `healthcheck` onto the health options.
fn health(s: &Service, o: &mut RunOptions) {
    let Some(h) = &s.healthcheck else { return };
    if h.disable || h.test.first().is_some_and(|t| t == "NONE") {
        o.health.no_healthcheck = true;
        return;
    }
    if !h.test.is_empty() {
        o.health.test = Some(h.test.clone());
    }
    o.health.interval = h.interval.map(|d| d.to_std());
    o.health.timeout = h.timeout.map(|d| d.to_std());
    o.health.start_period = h.start_period.map(|d| d.to_std());
    o.health.start_interval = h.start_interval.map(|d| d.to_std());
    o.health.retries = h.retries.map(|r| r as u32);
}

/// A port in `-p`'s syntax: `[ip:][published:]target/proto`.
pub fn publish_spec(p: &berth_compose::model::PortConfig) -> String {
    let mut out = String::new();
    if let Some(ip) = &p.host_ip {
        if ip.contains(':') {
            out.push_str(&format!("[{ip}]:"));
        } else {
            out.push_str(&format!("{ip}:"));
        }
    }
    match &p.published {
        Some(h) => out.push_str(&format!("{h}:")),
        None if p.host_ip.is_some() => out.push(':'),
        None => {}
    }
    out.push_str(&format!("{}/{}", p.target, p.protocol));
    out
}
