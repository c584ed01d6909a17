//! `create`: an image and `run` options become a container directory (overlay rootfs,
//! bundle config.json, /etc files, monitor.json) and a record in the state index.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use berth_monitor::config::{Health, LogConfig, MonitorConfig, RestartPolicy as MonitorRestart};
use berth_store::oci::ContainerConfig;
use serde_json::json;

use crate::containers::record::{self, ContainerRecord, MountRecord};
use crate::containers::rootfs::{mount_rootfs, unmount_rootfs};
use crate::containers::safe_path::resolve_in_root;
use crate::engine::Engine;
use crate::error::{io_err, Error, Result};
use crate::ids::{random_id, random_name, valid_name};
use crate::spec::{self, MountKind, NetworkMode, RestartPolicy, RunOptions};
use crate::volumes::copy_tree;

/// Where `--init` finds its init binary (a static tini, as Docker ships `docker-init`).
const INIT_CANDIDATES: &[&str] = &[
    "/usr/bin/tini-static",
    "/usr/bin/docker-init",
    "/usr/libexec/docker/docker-init",
    "/usr/local/bin/tini-static",
];

impl Engine {
    /// Creates (but does not start) a container from the image `image_name`.
    pub fn create_container(
        &mut self,
        image_name: &str,
        opts: &RunOptions,
    ) -> Result<ContainerRecord> {
        let image = self.image(image_name)?;
        crate::images::platform::check_runnable(&image, image_name)?;
        let (lowers, _) = self.ensure_layers(&image)?;
        let id = random_id()?;
        let name = match &opts.name {
            Some(n) => {
                let n = n.strip_prefix('/').unwrap_or(n);
                if !valid_name(n) {
                    return Err(Error::Invalid(format!(
                        "Invalid container name ({n}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
                    )));
                }
                if record::name_taken(&self.db, n)? {
                    return Err(Error::NameInUse(n.to_string()));
                }
                n.to_string()
            }
            None => self.unused_name(&id)?,
        };
        let dir = self.paths.container(&id);
        // Addresses on a bridge network are handed out under the network's lock, held
        // until the record (which holds the address) is stored.
        let network = crate::network::plan::bridge_network(self, &opts.network)?;
        let _net_lock = match &network {
            Some(n) => Some(crate::lock::Lock::exclusive(
                &self.paths.locks(),
                &format!("net-{}", n.name),
            )?),
            None => None,
        };
        fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
        let made = (|| {
            if opts.rm {
                let marker = dir.join(crate::containers::rootfs::VOLATILE_MARKER);
                fs::write(&marker, b"").map_err(io_err("write", &marker))?;
            }
            let rootfs = mount_rootfs(&dir, &lowers, &self.paths.skeletons())?;
            let rec = self.prepare(
                &id,
                &name,
                (image_name, &image),
                opts,
                network.as_ref(),
                &dir,
                &rootfs,
            )?;
            record::insert(&self.db, &rec)?;
            Ok(rec)
        })();
        if made.is_err() {
            let _ = unmount_rootfs(&dir);
            let _ = fs::remove_dir_all(&dir);
        }
        if let Ok(r) = &made {
            self.container_event(r, "create");
        }
        made
    }

    fn unused_name(&self, id: &str) -> Result<String> {
        for retry in 0..20 {
            let n = random_name(id, retry);
            if !record::name_taken(&self.db, &n)? {
                return Ok(n);
            }
        }
        Ok(format!("berth_{}", &id[..12]))
    }

    #[allow(clippy::too_many_arguments)]
    fn prepare(
        &self,
        id: &str,
        name: &str,
        (image_name, image): (&str, &crate::images::Image),
        opts: &RunOptions,
        network: Option<&crate::network::NetworkRecord>,
        dir: &Path,
        rootfs: &Path,
    ) -> Result<ContainerRecord> {
        let icfg = &image.config.config;
        let user_spec = opts
            .user
            .clone()
            .or_else(|| icfg.user.clone())
            .unwrap_or_default();
        let user = spec::users::resolve_user(rootfs, &user_spec, &opts.group_add)?;
        let hostname = opts
            .hostname
            .clone()
            .unwrap_or_else(|| id[..12].to_string());
        let (mounts, mount_records) = self.resolve_mounts(opts, icfg, rootfs)?;
        let net = match network {
            Some(n) => Some(self.plan_attachment(id, n, opts, icfg)?),
            None => None,
        };
        let etc = self.write_etc_files(dir, &hostname, opts, net.as_ref())?;
        let init_binary = if opts.init {
            Some(INIT_CANDIDATES.iter().map(PathBuf::from).find(|p| p.exists()).ok_or_else(|| {
                Error::Invalid("--init needs a static init binary: install Debian's tini package (/usr/bin/tini-static)".into())
            })?)
        } else {
            None
        };
        let input = spec::SpecInput {
            id: id.to_string(),
            image: icfg.clone(),
            opts: opts.clone(),
            rootfs: PathBuf::from("rootfs"),
            user: user.clone(),
            mounts,
            etc_files: etc,
            cgroups_path: format!("/berth/{id}"),
            init_binary,
            hostname: hostname.clone(),
            netns_path: match (&net, &opts.network) {
                (Some(a), _) => Some(a.netns.clone()),
                (None, NetworkMode::Container(c)) => Some(self.container_netns(c)?),
                _ => None,
            },
            cgroup_v2: Path::new("/sys/fs/cgroup/cgroup.controllers").exists(),
            devices: opts
                .devices
                .iter()
                .map(spec::devices::resolve_device)
                .collect::<spec::Result<Vec<_>>>()?
                .into_iter()
                .flatten()
                .collect(),
            host_devices: if opts.privileged {
                spec::devices::host_devices(Path::new("/dev"))?
            } else {
                Vec::new()
            },
            rlimit_hook: Some(cap_rlimit),
        };
        let oci = spec::build_spec(&input)?;
        let process = oci.process().clone().unwrap_or_default();
        let argv = process.args().clone().unwrap_or_default();
        let config_path = dir.join("config.json");
        let mut value = serde_json::to_value(&oci)
            .map_err(|e| Error::Invalid(format!("serialise config.json: {e}")))?;
        keep_grantable_caps(&mut value);
        if let (true, Some((rows, cols))) = (opts.tty, opts.console_size) {
            value["process"]["consoleSize"] = json!({"height": rows, "width": cols});
        }
        let json = serde_json::to_vec_pretty(&value)
            .map_err(|e| Error::Invalid(format!("serialise config.json: {e}")))?;
        fs::write(&config_path, json).map_err(io_err("write", &config_path))?;

        let stop_signal = opts
            .stop_signal
            .clone()
            .or_else(|| icfg.stop_signal.clone())
            .unwrap_or_else(|| "SIGTERM".into());
        let monitor = MonitorConfig {
            id: id.to_string(),
            runtime_root: self.paths.runtime(),
            bundle: dir.to_path_buf(),
            ctr_dir: dir.to_path_buf(),
            socket: self.paths.socket(id),
            tty: opts.tty,
            stdin: opts.stdin_open,
            log: log_config(dir, opts)?,
            restart: match opts.restart {
                RestartPolicy::No => MonitorRestart::No,
                RestartPolicy::OnFailure { max_retries } => {
                    MonitorRestart::OnFailure { max_retries }
                }
                RestartPolicy::Always => MonitorRestart::Always,
                RestartPolicy::UnlessStopped => MonitorRestart::UnlessStopped,
            },
            healthcheck: health_config(opts, icfg),
            on_exit: (opts.rm && opts.detach).then(|| {
                vec![
                    self.exe().display().to_string(),
                    "--root".into(),
                    self.paths.root.display().to_string(),
                    "rm".into(),
                    "-f".into(),
                    "-v".into(),
                    id.to_string(),
                ]
            }),
            berth_exe: self.exe(),
        };
        monitor.save()?;
        let entrypoint = match &opts.entrypoint {
            Some(e) => Some(e.clone()),
            None => icfg.entrypoint.clone(),
        };
        let cmd = if !opts.cmd.is_empty() {
            Some(opts.cmd.clone())
        } else if opts.entrypoint.is_some() {
            None
        } else {
            icfg.cmd.clone()
        };
        let env = process.env().clone().unwrap_or_default();
        let labels: BTreeMap<String, String> = icfg
            .labels
            .clone()
            .unwrap_or_default()
            .into_iter()
            .chain(opts.labels.clone())
            .collect();
        let network_mode = match &opts.network {
            NetworkMode::Default => "bridge".to_string(),
            NetworkMode::None => "none".into(),
            NetworkMode::Host => "host".into(),
            NetworkMode::Container(c) => format!("container:{c}"),
            NetworkMode::Named(n) => n.clone(),
        };
        let config = json!({
            "Hostname": hostname,
            "Domainname": opts.domainname.clone().unwrap_or_default(),
            "User": user_spec,
            "AttachStdin": opts.stdin_open && !opts.detach,
            "AttachStdout": !opts.detach,
            "AttachStderr": !opts.detach,
            "ExposedPorts": icfg.exposed_ports,
            "Tty": opts.tty,
            "OpenStdin": opts.stdin_open,
            "StdinOnce": opts.stdin_open && !opts.detach,
            "Env": env,
            "Cmd": cmd,
            "Healthcheck": icfg.healthcheck,
            "Image": image_name,
            "Volumes": icfg.volumes,
            "WorkingDir": process.cwd().display().to_string(),
            "Entrypoint": entrypoint,
            "OnBuild": null,
            "Labels": labels,
            "StopSignal": stop_signal,
            "StopTimeout": opts.stop_timeout,
        });
        let host_config = json!({
            "Binds": mount_records.iter().filter(|m| m.kind == "bind").map(|m| format!("{}:{}{}", m.source, m.destination, if m.rw { "" } else { ":ro" })).collect::<Vec<_>>(),
            "NetworkMode": network_mode,
            "RestartPolicy": restart_json(&opts.restart),
            "AutoRemove": opts.rm,
            "CapAdd": opts.cap_add,
            "CapDrop": opts.cap_drop,
            "Privileged": opts.privileged,
            "ReadonlyRootfs": opts.read_only,
            "SecurityOpt": opts.security.other,
            "Memory": opts.memory.unwrap_or(0),
            "MemorySwap": opts.memory_swap.unwrap_or(0),
            "MemoryReservation": opts.memory_reservation.unwrap_or(0),
            "NanoCpus": opts.cpus.map(spec::parse::nano_cpus).unwrap_or(0),
            "CpuShares": opts.cpu_shares.unwrap_or(0),
            "CpuPeriod": opts.cpu_period.unwrap_or(0),
            "CpuQuota": opts.cpu_quota.unwrap_or(0),
            "CpusetCpus": opts.cpuset_cpus.clone().unwrap_or_default(),
            "CpusetMems": opts.cpuset_mems.clone().unwrap_or_default(),
            "PidsLimit": opts.pids_limit,
            "Ulimits": opts.ulimits.iter().map(|u| json!({"Name": u.name, "Soft": u.soft, "Hard": u.hard})).collect::<Vec<_>>(),
            "Init": opts.init,
            "ShmSize": opts.shm_size.unwrap_or(64 << 20),
            "Dns": opts.dns,
            "DnsSearch": opts.dns_search,
            "DnsOptions": opts.dns_option,
            "OomKillDisable": opts.oom_kill_disable,
            "LogConfig": {"Type": "k8s-file", "Config": opts.log.opts},
            "Tmpfs": mount_records.iter().filter(|m| m.kind == "tmpfs").map(|m| (m.destination.clone(), m.mode.clone())).collect::<BTreeMap<_, _>>(),
        });
        let mut host_config = host_config;
        let mut bindings = serde_json::Map::new();
        for p in net.iter().flat_map(|a| a.ports.iter()) {
            let key = format!("{}/{}", p.container_port, p.proto);
            let entry = bindings.entry(key).or_insert_with(|| json!([]));
            if let Some(list) = entry.as_array_mut() {
                list.push(json!({"HostIp": p.host_ip, "HostPort": p.host_port.to_string()}));
            }
        }
        host_config["PortBindings"] = serde_json::Value::Object(bindings);
        host_config["PublishAllPorts"] = opts.publish_all.into();
        Ok(ContainerRecord {
            id: id.to_string(),
            name: name.to_string(),
            image_id: image.id.clone(),
            image: image_name.to_string(),
            created: berth_runtime::state::now_rfc3339(),
            path: argv.first().cloned().unwrap_or_default(),
            args: argv.iter().skip(1).cloned().collect(),
            config,
            host_config,
            mounts: mount_records,
            tty: opts.tty,
            stdin_open: opts.stdin_open,
            stop_signal,
            stop_timeout: opts.stop_timeout.unwrap_or(10),
            auto_remove: opts.rm,
            network_mode,
            monitor,
            net,
            extra_nets: Vec::new(),
        })
    }

    /// berth's own binary (for the monitor and its exit hook).
    pub fn exe(&self) -> PathBuf {
        std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"))
    }

    /// Turns `-v`/`--mount`/`--tmpfs` and the image's VOLUMEs into host sources, creating and
    /// seeding volumes as Docker does.
    fn resolve_mounts(
        &self,
        opts: &RunOptions,
        icfg: &ContainerConfig,
        rootfs: &Path,
    ) -> Result<(Vec<spec::ResolvedMount>, Vec<MountRecord>)> {
        let mut specs = opts.mounts.clone();
        // Image VOLUMEs not covered by a user mount get anonymous volumes.
        for target in icfg.volumes.iter().flat_map(|v| v.keys()) {
            if !specs.iter().any(|m| clean(&m.target) == clean(target)) {
                specs.push(spec::MountSpec {
                    kind: MountKind::Volume,
                    target: target.clone(),
                    ..Default::default()
                });
            }
        }
        let mut resolved = Vec::new();
        let mut records = Vec::new();
        for m in specs {
            let (source, name, anonymous) = match m.kind {
                MountKind::Bind => {
                    let p = PathBuf::from(&m.source);
                    if !p.is_absolute() {
                        return Err(Error::Invalid(format!(
                            "invalid mount config: bind source path must be absolute: {}",
                            m.source
                        )));
                    }
                    if !p.exists() {
                        // As `docker run -v` does, a missing host directory is created.
                        fs::create_dir_all(&p).map_err(io_err("create bind source", &p))?;
                    }
                    (p, None, false)
                }
                MountKind::Volume => {
                    // An existing anonymous volume handed on (compose's recreate keeps the
                    // old container's) stays anonymous: it goes with the new container.
                    let (name, anonymous) = if m.source.is_empty() {
                        (random_id()?, true)
                    } else {
                        let inherited = self.volume(&m.source).is_ok_and(|v| v.anonymous);
                        (m.source.clone(), inherited)
                    };
                    let new = self.create_volume(&name, &m.volume_labels, anonymous)?;
                    let data = self.volume_path(&name);
                    if new && !m.volume_nocopy {
                        let inside = resolve_in_root(rootfs, &m.target)?;
                        if inside.is_dir()
                            && fs::read_dir(&data)
                                .map(|mut d| d.next().is_none())
                                .unwrap_or(false)
                        {
                            copy_tree(&inside, &data)?;
                        }
                    }
                    (data, Some(name), anonymous)
                }
                MountKind::Tmpfs => (PathBuf::from("tmpfs"), None, false),
            };
            let kind = match m.kind {
                MountKind::Bind => "bind",
                MountKind::Volume => "volume",
                MountKind::Tmpfs => "tmpfs",
            };
            records.push(MountRecord {
                kind: kind.into(),
                name,
                source: if m.kind == MountKind::Tmpfs {
                    String::new()
                } else {
                    source.display().to_string()
                },
                destination: m.target.clone(),
                rw: !m.read_only,
                mode: if m.read_only {
                    "ro".into()
                } else {
                    String::new()
                },
                propagation: m
                    .bind_propagation
                    .map(|p| p.name().to_string())
                    .unwrap_or_else(|| {
                        if m.kind == MountKind::Bind {
                            "rprivate".into()
                        } else {
                            String::new()
                        }
                    }),
                anonymous,
            });
            resolved.push(spec::ResolvedMount { source, spec: m });
        }
        Ok((resolved, records))
    }

    /// Writes the container's /etc/hosts, /etc/hostname and /etc/resolv.conf.
    fn write_etc_files(
        &self,
        dir: &Path,
        hostname: &str,
        opts: &RunOptions,
        net: Option<&crate::network::Attachment>,
    ) -> Result<spec::EtcFiles> {
        let addresses: Vec<std::net::IpAddr> =
            net.and_then(|a| a.ip.parse().ok()).into_iter().collect();
        let aliases: Vec<String> = net.map(|a| a.aliases.clone()).unwrap_or_default();
        // On a bridge network the network's DNS server (at the gateway) answers, and
        // forwards to the host's resolvers, a loopback one included.
        let dns: Vec<String> = match net {
            Some(a) if opts.dns.is_empty() => vec![a.gateway.clone()],
            _ => opts.dns.clone(),
        };
        let files = spec::EtcFiles {
            hosts: dir.join("hosts"),
            hostname: dir.join("hostname"),
            resolv_conf: dir.join("resolv.conf"),
        };
        let host_resolv = fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        let hosts = if opts.network == NetworkMode::Host {
            fs::read_to_string("/etc/hosts").unwrap_or_default()
        } else {
            spec::files::hosts_file(&spec::files::HostsInput {
                hostname,
                domainname: opts.domainname.as_deref(),
                extra: &opts.add_host,
                addresses: &addresses,
                aliases: &aliases,
                host_gateway: net.and_then(|a| a.gateway.parse().ok()),
            })?
        };
        let resolv = spec::files::resolv_conf(&spec::files::ResolvInput {
            host: &host_resolv,
            network: &opts.network,
            ipv6: false,
            dns: &dns,
            dns_search: &opts.dns_search,
            dns_options: &opts.dns_option,
        });
        for (path, text) in [
            (&files.hosts, hosts),
            (&files.hostname, spec::files::hostname_file(hostname)),
            (&files.resolv_conf, resolv),
        ] {
            fs::write(path, text).map_err(io_err("write", path))?;
        }
        Ok(files)
    }
}

/// Drops capabilities berth itself does not hold (its bounding set): Docker's "all
/// capabilities" (`--privileged`, `--cap-add ALL`) means all the engine can grant.
pub(crate) fn keep_grantable_caps(spec: &mut serde_json::Value) {
    let Ok(held) = caps::read(None, caps::CapSet::Bounding) else {
        return;
    };
    let Some(sets) = spec
        .pointer_mut("/process/capabilities")
        .and_then(|c| c.as_object_mut())
    else {
        return;
    };
    for set in sets.values_mut() {
        if let Some(list) = set.as_array_mut() {
            list.retain(|c| {
                c.as_str()
                    .and_then(|n| n.parse::<caps::Capability>().ok())
                    .is_none_or(|cap| held.contains(&cap))
            });
        }
    }
}

/// Caps an rlimit at what this process may set (no CAP_SYS_RESOURCE here: a hard limit
/// cannot be raised).
pub(crate) fn cap_rlimit(name: &str, soft: u64, hard: u64) -> (u64, u64) {
    use nix::sys::resource::{getrlimit, Resource};
    let res = match name.to_ascii_lowercase().trim_start_matches("rlimit_") {
        "nofile" => Resource::RLIMIT_NOFILE,
        "nproc" => Resource::RLIMIT_NPROC,
        "core" => Resource::RLIMIT_CORE,
        "stack" => Resource::RLIMIT_STACK,
        "memlock" => Resource::RLIMIT_MEMLOCK,
        "fsize" => Resource::RLIMIT_FSIZE,
        "cpu" => Resource::RLIMIT_CPU,
        "as" => Resource::RLIMIT_AS,
        "data" => Resource::RLIMIT_DATA,
        "msgqueue" => Resource::RLIMIT_MSGQUEUE,
        "nice" => Resource::RLIMIT_NICE,
        "rtprio" => Resource::RLIMIT_RTPRIO,
        "sigpending" => Resource::RLIMIT_SIGPENDING,
        _ => return (soft, hard),
    };
    match getrlimit(res) {
        Ok((_, max)) => (soft.min(max), hard.min(max)),
        Err(_) => (soft, hard),
    }
}

fn clean(p: &str) -> &str {
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        "/"
    } else {
        t
    }
}

fn restart_json(p: &RestartPolicy) -> serde_json::Value {
    match p {
        RestartPolicy::No => json!({"Name": "no", "MaximumRetryCount": 0}),
        RestartPolicy::OnFailure { max_retries } => {
            json!({"Name": "on-failure", "MaximumRetryCount": max_retries})
        }
        RestartPolicy::Always => json!({"Name": "always", "MaximumRetryCount": 0}),
        RestartPolicy::UnlessStopped => json!({"Name": "unless-stopped", "MaximumRetryCount": 0}),
    }
}

/// The log file and its rotation (`--log-opt max-size=10m`, `max-file=3`).
fn log_config(dir: &Path, opts: &RunOptions) -> Result<LogConfig> {
    let mut cfg = LogConfig {
        path: dir.join("ctr.log"),
        max_size: 10 << 20,
        max_files: 3,
    };
    if let Some(s) = opts.log.opts.get("max-size") {
        cfg.max_size = spec::parse::parse_bytes("--log-opt max-size", s)? as u64;
    }
    if let Some(n) = opts.log.opts.get("max-file") {
        cfg.max_files = n.parse().map_err(|_| {
            Error::Invalid(format!("invalid --log-opt max-file={n}: expected a number"))
        })?;
    }
    Ok(cfg)
}

/// The healthcheck: `--health-*` flags over the image's HEALTHCHECK; none with
/// `--no-healthcheck` or `NONE`.
fn health_config(opts: &RunOptions, icfg: &ContainerConfig) -> Option<Health> {
    let h = &opts.health;
    if h.no_healthcheck {
        return None;
    }
    let image = icfg.healthcheck.clone().unwrap_or_default();
    let test = match (&h.test, &h.cmd) {
        (Some(t), _) => t.clone(),
        (None, Some(c)) => vec!["CMD-SHELL".to_string(), c.clone()],
        (None, None) => image.test.clone(),
    };
    if test.is_empty() || test[0] == "NONE" {
        return None;
    }
    let ns = |d: Option<std::time::Duration>, img: u64, default: u64| {
        d.map(|d| d.as_nanos() as u64)
            .filter(|v| *v > 0)
            .unwrap_or(if img > 0 { img } else { default })
    };
    Some(Health {
        test,
        interval_ns: ns(h.interval, image.interval, 30_000_000_000),
        timeout_ns: ns(h.timeout, image.timeout, 30_000_000_000),
        start_period_ns: ns(h.start_period, image.start_period, 0),
        retries: h
            .retries
            .filter(|r| *r > 0)
            .unwrap_or(if image.retries > 0 { image.retries } else { 3 }),
    })
}
