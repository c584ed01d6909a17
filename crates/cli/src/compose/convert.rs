//! A compose service becomes `run` options: every attribute mapped onto the engine's
//! [`RunOptions`], names resolved (networks and volumes to their real names, `service:`
//! network modes to containers), secrets and configs to read-only file mounts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use berth_compose::model::{FileObject, FileRef, Mount, Project, Service, ServiceNetwork};
use berth_engine::spec::parse::{
    parse_add_host, parse_restart, parse_security_opts, parse_signal, parse_tmpfs,
};
use berth_engine::spec::{
    DeviceMapping, MountKind, MountSpec, NetworkMode, Propagation, RunOptions, Ulimit,
};

use super::labels;

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
    let limits = s.deploy.as_ref().and_then(|d| d.resources.limits.as_ref());
    let reservations = s
        .deploy
        .as_ref()
        .and_then(|d| d.resources.reservations.as_ref());
    let mut o = RunOptions {
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
        memory: s.mem_limit.or(limits.and_then(|l| l.memory)),
        memory_reservation: s.mem_reservation.or(reservations.and_then(|l| l.memory)),
        cpus: s.cpus.or(limits.and_then(|l| l.cpus)),
        pids_limit: s.pids_limit.or(limits.and_then(|l| l.pids)),
        ulimits: s
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
            .collect(),
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
    };
    if let Some(sig) = &s.stop_signal {
        parse_signal(sig)?;
        o.stop_signal = Some(sig.clone());
    }
    if let Some(r) = &s.restart {
        o.restart = parse_restart(r)?;
    } else if let Some(rp) = s.deploy.as_ref().and_then(|d| d.restart_policy.as_ref()) {
        let policy = match rp.condition.as_deref() {
            Some("none") => "no".to_string(),
            Some("on-failure") => match rp.max_attempts {
                Some(n) => format!("on-failure:{n}"),
                None => "on-failure".into(),
            },
            _ => "always".into(),
        };
        o.restart = parse_restart(&policy)?;
    }
    for (host, ips) in &s.extra_hosts {
        for ip in ips {
            o.add_host.push(parse_add_host(&format!("{host}:{ip}"))?);
        }
    }
    health(s, &mut o);
    if let Some(l) = &s.logging {
        // berth's logs are json-file's (and local's) rotating files: max-size and max-file
        // apply; another driver is reported, and the logs stay berth's.
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
    for p in &s.ports {
        o.publish.push(publish_spec(p));
    }
    for m in &s.volumes {
        o.mounts.push(mount(project, m)?);
    }
    for t in &s.tmpfs {
        o.mounts.push(parse_tmpfs(t)?);
    }
    for r in &s.secrets {
        let obj = project
            .secrets
            .get(&r.source)
            .ok_or_else(|| anyhow!("service {}: undefined secret {}", s.name, r.source))?;
        let target = match &r.target {
            Some(t) if t.starts_with('/') => t.clone(),
            Some(t) => format!("/run/secrets/{t}"),
            None => format!("/run/secrets/{}", r.source),
        };
        o.mounts
            .push(file_mount(obj, r, &target, &secrets_dir.join("secrets"))?);
    }
    for r in &s.configs {
        let obj = project
            .configs
            .get(&r.source)
            .ok_or_else(|| anyhow!("service {}: undefined config {}", s.name, r.source))?;
        let target = match &r.target {
            Some(t) => t.clone(),
            None => format!("/{}", r.source),
        };
        o.mounts
            .push(file_mount(obj, r, &target, &secrets_dir.join("configs"))?);
    }
    let mut extra_networks = Vec::new();
    match s.network_mode.as_deref() {
        Some(mode) => {
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
        }
        None => {
            let nets = service_networks(project, s);
            for (i, (net, cfg)) in nets.into_iter().enumerate() {
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
        }
    }
    Ok(ContainerPlan {
        opts: o,
        extra_networks,
    })
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

/// One service mount onto the engine's mount spec.
fn mount(project: &Project, m: &Mount) -> anyhow::Result<MountSpec> {
    let mut spec = MountSpec {
        target: m.target.clone(),
        read_only: m.read_only,
        ..Default::default()
    };
    match m.kind.as_str() {
        "volume" => {
            spec.kind = MountKind::Volume;
            if let Some(src) = &m.source {
                spec.source = project
                    .volumes
                    .get(src)
                    .map(|v| v.name.clone())
                    .ok_or_else(|| {
                        anyhow!("service volume {src:?} is not declared in the top-level volumes")
                    })?;
            }
            if let Some(v) = &m.volume {
                spec.volume_nocopy = v.nocopy;
                spec.volume_subpath = v.subpath.clone();
            }
        }
        "bind" => {
            spec.kind = MountKind::Bind;
            let src = m
                .source
                .clone()
                .ok_or_else(|| anyhow!("bind mount of {} has no source", m.target))?;
            let create = m.bind.as_ref().is_none_or(|b| b.create_host_path);
            if create && !Path::new(&src).exists() {
                std::fs::create_dir_all(&src)
                    .with_context(|| format!("create the bind mount source {src}"))?;
            }
            if let Some(b) = &m.bind {
                spec.bind_propagation = b.propagation.as_deref().and_then(Propagation::from_name);
                spec.selinux_label = b.selinux.clone();
            }
            spec.source = src;
        }
        "tmpfs" => {
            spec.kind = MountKind::Tmpfs;
            if let Some(t) = &m.tmpfs {
                spec.tmpfs_size = t.size;
                spec.tmpfs_mode = t.mode;
            }
        }
        other => bail!("mount type {other:?} (of {}) is not supported", m.target),
    }
    Ok(spec)
}

/// A secret or config as a read-only bind mount of a file: the source file itself, or a file
/// written under `dir` with the variable's or the inline content.
fn file_mount(
    obj: &FileObject,
    r: &FileRef,
    target: &str,
    dir: &Path,
) -> anyhow::Result<MountSpec> {
    let source: PathBuf = if let Some(f) = &obj.file {
        PathBuf::from(f)
    } else {
        let content = match (&obj.environment, &obj.content) {
            (Some(var), _) => super::project::variable(var)
                .ok_or_else(|| anyhow!("{}: environment variable {var} is not set", r.source))?,
            (None, Some(c)) => c.clone(),
            (None, None) if obj.external => {
                bail!(
                    "{}: external secrets and configs are not supported",
                    r.source
                )
            }
            (None, None) => bail!("{}: no file, environment or content", r.source),
        };
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        let p = dir.join(&r.source);
        write_private(&p, content.as_bytes(), r.mode.unwrap_or(0o444))?;
        p
    };
    if !source.exists() {
        bail!("{}: {} does not exist", r.source, source.display());
    }
    Ok(MountSpec {
        kind: MountKind::Bind,
        source: source.display().to_string(),
        target: target.to_string(),
        read_only: true,
        ..Default::default()
    })
}

/// Writes `bytes` to `p` with `mode`, replacing it atomically.
fn write_private(p: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let tmp = p.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("write {}", tmp.display()))?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
    std::fs::rename(&tmp, p).with_context(|| format!("write {}", p.display()))?;
    Ok(())
}
