//! The `Config` and `HostConfig` objects `docker inspect` shows for a new container.

use std::collections::BTreeMap;

use berth_store::oci::ContainerConfig;
use serde_json::{json, Value};

use crate::containers::record::MountRecord;
use crate::network::Attachment;
use crate::spec::{self, NetworkMode, RestartPolicy, RunOptions};

/// What `Config` is made of: the options over the image's configuration, and what was
/// resolved from them.
pub(super) struct ConfigView<'a> {
    pub opts: &'a RunOptions,
    pub icfg: &'a ContainerConfig,
    pub image_name: &'a str,
    pub hostname: &'a str,
    /// The user as given (`--user`, else the image's USER).
    pub user_spec: &'a str,
    /// The OCI process (its environment and working directory).
    pub process: &'a oci_spec::runtime::Process,
    pub stop_signal: &'a str,
}

/// `docker inspect`'s `Config`.
pub(super) fn config_json(v: &ConfigView) -> Value {
    let (opts, icfg) = (v.opts, v.icfg);
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
    let labels: BTreeMap<String, String> = icfg
        .labels
        .clone()
        .unwrap_or_default()
        .into_iter()
        .chain(opts.labels.clone())
        .collect();
    json!({
        "Hostname": v.hostname,
        "Domainname": opts.domainname.clone().unwrap_or_default(),
        "User": v.user_spec,
        "AttachStdin": opts.stdin_open && !opts.detach,
        "AttachStdout": !opts.detach,
        "AttachStderr": !opts.detach,
        "ExposedPorts": icfg.exposed_ports,
        "Tty": opts.tty,
        "OpenStdin": opts.stdin_open,
        "StdinOnce": opts.stdin_open && !opts.detach,
        "Env": v.process.env().clone().unwrap_or_default(),
        "Cmd": cmd,
        "Healthcheck": icfg.healthcheck,
        "Image": v.image_name,
        "Volumes": icfg.volumes,
        "WorkingDir": v.process.cwd().display().to_string(),
        "Entrypoint": entrypoint,
        "OnBuild": null,
        "Labels": labels,
        "StopSignal": v.stop_signal,
        "StopTimeout": opts.stop_timeout,
    })
}

/// `docker inspect`'s `HostConfig`.
pub(super) fn host_config_json(
    opts: &RunOptions,
    mounts: &[MountRecord],
    net: Option<&Attachment>,
) -> Value {
    let mut host_config = json!({
        "Binds": binds(mounts),
        "NetworkMode": network_mode_name(&opts.network),
        "RestartPolicy": restart_json(&opts.restart),
        "AutoRemove": opts.rm,
        "CapAdd": opts.cap_add,
        "CapDrop": opts.cap_drop,
        "Privileged": opts.privileged,
        "ReadonlyRootfs": opts.read_only,
        "SecurityOpt": opts.security.other,
        "Init": opts.init,
        "ShmSize": opts.shm_size.unwrap_or(64 << 20),
        "Dns": opts.dns,
        "DnsSearch": opts.dns_search,
        "DnsOptions": opts.dns_option,
        "OomKillDisable": opts.oom_kill_disable,
        "LogConfig": {"Type": "k8s-file", "Config": opts.log.opts},
        "Tmpfs": tmpfs(mounts),
    });
    add_resources(&mut host_config, opts);
    host_config["PortBindings"] = port_bindings(net);
    host_config["PublishAllPorts"] = opts.publish_all.into();
    host_config
}

/// The resource limits (`--memory`, `--cpus`, `--ulimit`, ...) into `host_config`.
fn add_resources(host_config: &mut Value, opts: &RunOptions) {
    let resources = json!({
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
        "Ulimits": opts.ulimits.iter()
            .map(|u| json!({"Name": u.name, "Soft": u.soft, "Hard": u.hard}))
            .collect::<Vec<_>>(),
    });
    if let (Some(all), Value::Object(add)) = (host_config.as_object_mut(), resources) {
        all.extend(add);
    }
}

/// `Binds`: the bind mounts as `-v` spells them.
fn binds(mounts: &[MountRecord]) -> Vec<String> {
    mounts
        .iter()
        .filter(|m| m.kind == "bind")
        .map(|m| {
            let ro = if m.rw { "" } else { ":ro" };
            format!("{}:{}{ro}", m.source, m.destination)
        })
        .collect()
}

/// `Tmpfs`: each tmpfs mount's target and options.
fn tmpfs(mounts: &[MountRecord]) -> BTreeMap<String, String> {
    mounts
        .iter()
        .filter(|m| m.kind == "tmpfs")
        .map(|m| (m.destination.clone(), m.mode.clone()))
        .collect()
}

/// `PortBindings`: the published ports by `<port>/<proto>`.
fn port_bindings(net: Option<&Attachment>) -> Value {
    let mut bindings = serde_json::Map::new();
    for p in net.iter().flat_map(|a| a.ports.iter()) {
        let key = format!("{}/{}", p.container_port, p.proto);
        let entry = bindings.entry(key).or_insert_with(|| json!([]));
        if let Some(list) = entry.as_array_mut() {
            list.push(json!({"HostIp": p.host_ip, "HostPort": p.host_port.to_string()}));
        }
    }
    Value::Object(bindings)
}

/// `NetworkMode` as Docker names it.
pub(super) fn network_mode_name(mode: &NetworkMode) -> String {
    match mode {
        NetworkMode::Default => "bridge".to_string(),
        NetworkMode::None => "none".into(),
        NetworkMode::Host => "host".into(),
        NetworkMode::Container(c) => format!("container:{c}"),
        NetworkMode::Named(n) => n.clone(),
    }
}

/// `RestartPolicy` as Docker shows it.
fn restart_json(p: &RestartPolicy) -> Value {
    match p {
        RestartPolicy::No => json!({"Name": "no", "MaximumRetryCount": 0}),
        RestartPolicy::OnFailure { max_retries } => {
            json!({"Name": "on-failure", "MaximumRetryCount": max_retries})
        }
        RestartPolicy::Always => json!({"Name": "always", "MaximumRetryCount": 0}),
        RestartPolicy::UnlessStopped => json!({"Name": "unless-stopped", "MaximumRetryCount": 0}),
    }
}
