//! `run`/`create` flags (strings as typed) to the engine's typed [`RunOptions`], with Docker's
//! validation and error messages.

use berth_engine::spec::parse::*;
use berth_engine::spec::{NetworkMode, RunOptions};

use super::args::RunArgs;

fn host_env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

/// Parses every flag of `a`.
pub fn run_options(a: &RunArgs) -> berth_engine::Result<RunOptions> {
    let mut o = RunOptions {
        name: a.name.clone(),
        hostname: a.hostname.clone(),
        domainname: a.domainname.clone(),
        workdir: a.workdir.clone(),
        user: a.user.clone(),
        cmd: a.command.clone(),
        tty: a.tty,
        stdin_open: a.interactive,
        read_only: a.read_only,
        cpu_shares: a.cpu_shares,
        cpu_period: a.cpu_period,
        cpu_quota: a.cpu_quota,
        cpuset_cpus: a.cpuset_cpus.clone(),
        cpuset_mems: a.cpuset_mems.clone(),
        pids_limit: a.pids_limit,
        cap_add: a.cap_add.clone(),
        cap_drop: a.cap_drop.clone(),
        privileged: a.privileged,
        init: a.init,
        stop_timeout: a.stop_timeout,
        dns: a.dns.clone(),
        dns_search: a.dns_search.clone(),
        dns_option: a.dns_option.clone(),
        group_add: a.group_add.clone(),
        oom_kill_disable: a.oom_kill_disable,
        rm: a.rm,
        detach: a.detach,
        platform: a.platform.clone(),
        console_size: if a.tty {
            super::run::window_size()
        } else {
            None
        },
        ..Default::default()
    };
    o.publish = a.publish.clone();
    o.publish_all = a.publish_all;
    o.expose = a.expose.clone();
    o.network_aliases = a.network_alias.clone();
    o.ip = a.ip.clone();
    if let Some(e) = &a.entrypoint {
        // `--entrypoint ""` clears the image's entrypoint; otherwise one word, as Docker.
        o.entrypoint = Some(if e.is_empty() {
            Vec::new()
        } else {
            vec![e.clone()]
        });
    }
    for f in &a.env_file {
        o.env.extend(parse_env_file(f, host_env)?);
    }
    for e in &a.env {
        if let Some(kv) = parse_env(e, host_env)? {
            o.env.push(kv);
        }
    }
    for l in &a.label {
        let (k, v) = parse_key_value("--label", l, true)?;
        o.labels.insert(k, v);
    }
    for v in &a.volume {
        o.mounts.push(parse_volume(v)?);
    }
    for m in &a.mount {
        o.mounts.push(parse_mount(m)?);
    }
    for t in &a.tmpfs {
        o.mounts.push(parse_tmpfs(t)?);
    }
    if let Some(m) = &a.memory {
        o.memory = Some(parse_bytes("-m, --memory", m)?);
    }
    if let Some(m) = &a.memory_swap {
        o.memory_swap = Some(parse_memory_swap(m)?);
    }
    if let Some(m) = &a.memory_reservation {
        o.memory_reservation = Some(parse_bytes("--memory-reservation", m)?);
    }
    if let Some(c) = &a.cpus {
        o.cpus = Some(parse_cpus(c)?);
    }
    for u in &a.ulimit {
        o.ulimits.push(parse_ulimit(u)?);
    }
    o.security = parse_security_opts(&a.security_opt)?;
    if let Some(s) = &a.stop_signal {
        parse_signal(s)?;
        o.stop_signal = Some(s.clone());
    }
    if let Some(r) = &a.restart {
        o.restart = parse_restart(r)?;
    }
    if a.rm && !matches!(o.restart, berth_engine::spec::RestartPolicy::No) {
        return Err(berth_engine::Error::Invalid(
            "Conflicting options: --restart and --rm".into(),
        ));
    }
    if let Some(n) = &a.network {
        o.network = NetworkMode::parse(n);
    }
    let bridged = matches!(o.network, NetworkMode::Default | NetworkMode::Named(_));
    if !bridged && (!o.publish.is_empty() || o.publish_all) {
        // Docker ignores them with a warning on host/none networks.
        eprintln!("WARNING: Published ports are discarded when using host network mode");
        o.publish.clear();
        o.publish_all = false;
    }
    if !bridged && (!o.network_aliases.is_empty() || o.ip.is_some()) {
        return Err(berth_engine::Error::Invalid(
            "network-scoped aliases and --ip are only supported for user-defined networks".into(),
        ));
    }
    for h in &a.add_host {
        o.add_host.push(parse_add_host(h)?);
    }
    for d in &a.device {
        o.devices.push(parse_device(d)?);
    }
    if let Some(s) = &a.shm_size {
        o.shm_size = Some(parse_bytes("--shm-size", s)?);
    }
    for s in &a.sysctl {
        let (k, v) = parse_key_value("--sysctl", s, false)?;
        o.sysctls.insert(k, v);
    }
    o.health.cmd = a.health_cmd.clone();
    o.health.retries = a.health_retries;
    o.health.no_healthcheck = a.no_healthcheck;
    if let Some(d) = &a.health_interval {
        o.health.interval = Some(parse_duration("--health-interval", d)?);
    }
    if let Some(d) = &a.health_timeout {
        o.health.timeout = Some(parse_duration("--health-timeout", d)?);
    }
    if let Some(d) = &a.health_start_period {
        o.health.start_period = Some(parse_duration("--health-start-period", d)?);
    }
    if let Some(d) = &a.health_start_interval {
        o.health.start_interval = Some(parse_duration("--health-start-interval", d)?);
    }
    o.log.driver = a.log_driver.clone();
    for l in &a.log_opt {
        let (k, v) = parse_key_value("--log-opt", l, false)?;
        o.log.opts.insert(k, v);
    }
    Ok(o)
}
