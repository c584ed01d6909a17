//! `run`/`create` flags (strings as typed) to the engine's typed [`RunOptions`], with Docker's
//! validation and error messages.

use berth_engine::spec::parse::*;
use berth_engine::spec::{NetworkMode, RunOptions};

use super::args::RunArgs;

type Result<T> = berth_engine::Result<T>;

/// The host environment, for `--env K` and env files.
fn host_env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

/// Parses every flag of `a` (in this order, so the first bad flag is the one reported).
pub fn run_options(a: &RunArgs) -> Result<RunOptions> {
    let mut o = plain_options(a);
    env_and_labels(a, &mut o)?;
    mounts(a, &mut o)?;
    resources(a, &mut o)?;
    o.security = parse_security_opts(&a.security_opt)?;
    stop_and_restart(a, &mut o)?;
    network(a, &mut o)?;
    host_options(a, &mut o)?;
    health(a, &mut o)?;
    o.log.driver = a.log_driver.clone();
    for l in &a.log_opt {
        let (k, v) = parse_key_value("--log-opt", l, false)?;
        o.log.opts.insert(k, v);
    }
    Ok(o)
}

/// The flags taken as they are (no parsing), and `--entrypoint`.
fn plain_options(a: &RunArgs) -> RunOptions {
    RunOptions {
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
        publish: a.publish.clone(),
        publish_all: a.publish_all,
        expose: a.expose.clone(),
        network_aliases: a.network_alias.clone(),
        ip: a.ip.clone(),
        // `--entrypoint ""` clears the image's entrypoint; otherwise one word, as Docker.
        entrypoint: a.entrypoint.as_ref().map(|e| {
            if e.is_empty() {
                Vec::new()
            } else {
                vec![e.clone()]
            }
        }),
        ..Default::default()
    }
}

/// `--env-file`, `--env` (in that order) and `--label`.
fn env_and_labels(a: &RunArgs, o: &mut RunOptions) -> Result<()> {
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
    Ok(())
}

/// `-v`, `--mount`, `--tmpfs`, in that order.
fn mounts(a: &RunArgs, o: &mut RunOptions) -> Result<()> {
    for v in &a.volume {
        o.mounts.push(parse_volume(v)?);
    }
    for m in &a.mount {
        o.mounts.push(parse_mount(m)?);
    }
    for t in &a.tmpfs {
        o.mounts.push(parse_tmpfs(t)?);
    }
    Ok(())
}

/// `--memory*`, `--cpus`, `--ulimit`.
fn resources(a: &RunArgs, o: &mut RunOptions) -> Result<()> {
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
    Ok(())
}

/// `--stop-signal` and `--restart` (which `--rm` excludes).
fn stop_and_restart(a: &RunArgs, o: &mut RunOptions) -> Result<()> {
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
    Ok(())
}

/// `--network`: published ports are dropped (with Docker's warning) and aliases and `--ip`
/// refused off bridge networks.
fn network(a: &RunArgs, o: &mut RunOptions) -> Result<()> {
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
    Ok(())
}

/// `--add-host`, `--device`, `--shm-size`, `--sysctl`.
fn host_options(a: &RunArgs, o: &mut RunOptions) -> Result<()> {
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
    Ok(())
}

/// `--health-*` and `--no-healthcheck`.
fn health(a: &RunArgs, o: &mut RunOptions) -> Result<()> {
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
    Ok(())
}
