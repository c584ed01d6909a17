//! `build_spec`: the bundle's `config.json` from the image configuration, the `run` options
//! and what the engine resolved (user, mounts, /etc files, devices), with Docker's defaults.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use berth_store::oci::ContainerConfig;
use oci_spec::runtime::Spec;
use serde_json::{json, Map, Value};

use super::build_mounts::{mounts, INIT_PATH};
use super::caps::capability_set;
use super::devices::{allow_all_rule, default_device_rules, device_rule, ResolvedDevice};
use super::env::process_env;
use super::parse::nano_cpus;
use super::{Error, ExecUser, MountSpec, NetworkMode, Result, RunOptions, Seccomp};

/// Docker's default seccomp profile in Docker's format (the runtime crate's copy), resolved
/// here against the container's real capability set.
const DEFAULT_SECCOMP_JSON: &str =
    include_str!("../../../runtime/src/seccomp/default_profile.json");

/// Paths Docker masks in every non-privileged container.
pub const MASKED_PATHS: &[&str] = &[
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

/// Paths Docker makes read-only in every non-privileged container.
pub const READONLY_PATHS: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// CPU period Docker uses for `--cpus`, microseconds.
const CPU_PERIOD: u64 = 100_000;
/// Docker's smallest memory limit.
const MIN_MEMORY: i64 = 6 << 20;

/// A user mount with its host side resolved by the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedMount {
    /// Host path: the bind source (absolute) or the volume's directory; ignored for tmpfs.
    pub source: PathBuf,
    /// The mount as asked for (target, kind, read-only, propagation, tmpfs options, ...).
    pub spec: MountSpec,
}

/// Host paths of the container's /etc files, bind-mounted over the image's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EtcFiles {
    /// /etc/hosts.
    pub hosts: PathBuf,
    /// /etc/hostname.
    pub hostname: PathBuf,
    /// /etc/resolv.conf.
    pub resolv_conf: PathBuf,
}

/// Adjusts one rlimit (name like `nofile`, soft, hard) before it goes in the spec; the
/// engine caps hard limits it cannot raise (no CAP_SYS_RESOURCE).
pub type RlimitHook = fn(&str, u64, u64) -> (u64, u64);

/// Everything [`build_spec`] needs. `Default` gives an empty image, default options, root
/// user and no mounts; set at least `id`, `rootfs`, `etc_files` and `hostname`.
#[derive(Debug, Clone, Default)]
pub struct SpecInput {
    /// Container id.
    pub id: String,
    /// The image's configuration.
    pub image: ContainerConfig,
    /// The `run` options.
    pub opts: RunOptions,
    /// The container's root filesystem (absolute, or relative to the bundle).
    pub rootfs: PathBuf,
    /// The resolved user ([`super::users::resolve_user`]).
    pub user: ExecUser,
    /// User mounts and the image's anonymous volumes, sources resolved, in order.
    pub mounts: Vec<ResolvedMount>,
    /// The /etc files written for this container.
    pub etc_files: EtcFiles,
    /// `linux.cgroupsPath`.
    pub cgroups_path: String,
    /// docker-init (tini) on the host, for `--init`.
    pub init_binary: Option<PathBuf>,
    /// The container's hostname.
    pub hostname: String,
    /// A network namespace to join (`container:x`, or one the engine prepared); `None`
    /// creates a new one (ignored for `--network host`).
    pub netns_path: Option<PathBuf>,
    /// Whether the host runs cgroup v2 only (Docker gives a private cgroup namespace there).
    pub cgroup_v2: bool,
    /// `--device` mappings resolved with [`super::devices::resolve_device`].
    pub devices: Vec<ResolvedDevice>,
    /// The host's devices for `--privileged` ([`super::devices::host_devices`]).
    pub host_devices: Vec<ResolvedDevice>,
    /// Optional rlimit adjustment.
    pub rlimit_hook: Option<RlimitHook>,
}

/// `entrypoint + cmd` as Docker picks them: `--entrypoint` replaces the image's entrypoint
/// and drops the image's `Cmd`; otherwise run arguments replace the image's `Cmd`.
pub fn process_args(image: &ContainerConfig, opts: &RunOptions) -> Result<Vec<String>> {
    let (entry, cmd): (Vec<String>, Vec<String>) = match &opts.entrypoint {
        Some(e) => (e.clone(), opts.cmd.clone()),
        None => (
            image.entrypoint.clone().unwrap_or_default(),
            if opts.cmd.is_empty() {
                image.cmd.clone().unwrap_or_default()
            } else {
                opts.cmd.clone()
            },
        ),
    };
    let args: Vec<String> = entry.into_iter().chain(cmd).collect();
    if args.first().is_none_or(|a| a.is_empty()) {
        return Err(Error::Conflict(
            "no command specified: the image has no CMD or ENTRYPOINT and none was given".into(),
        ));
    }
    Ok(args)
}

/// The working directory: `-w`, else the image's, else `/`; it must be absolute.
fn working_dir(image: &ContainerConfig, opts: &RunOptions) -> Result<String> {
    let dir = opts
        .workdir
        .as_deref()
        .or(image.working_dir.as_deref())
        .filter(|d| !d.is_empty())
        .unwrap_or("/");
    if !dir.starts_with('/') {
        return Err(Error::Conflict(format!(
            "the working directory '{dir}' is invalid, it needs to be an absolute path"
        )));
    }
    let mut clean = PathBuf::from("/");
    for c in Path::new(dir).components() {
        match c {
            Component::Normal(p) => clean.push(p),
            Component::ParentDir => {
                clean.pop();
            }
            _ => {}
        }
    }
    Ok(clean.to_string_lossy().into_owned())
}

fn validate(opts: &RunOptions) -> Result<()> {
    let c = |s: &str| Err(Error::Conflict(s.to_string()));
    if let Some(m) = opts.memory.filter(|&m| m > 0) {
        if m < MIN_MEMORY {
            return c("Minimum memory limit allowed is 6MB");
        }
        if opts.memory_swap.is_some_and(|s| s > 0 && s < m) {
            return c("Minimum memoryswap limit should be larger than memory limit, see usage");
        }
        if opts.memory_reservation.is_some_and(|r| r > m) {
            return c(
                "Minimum memory limit can not be less than memory reservation limit, see usage",
            );
        }
    } else if opts.memory_swap.is_some_and(|s| s > 0) {
        return c("You should always set the Memory limit when using Memoryswap limit, see usage");
    }
    if opts.memory_swappiness.is_some_and(|s| s > 100) {
        return c("Invalid value: --memory-swappiness must be between 0 and 100");
    }
    if opts.cpus.is_some_and(|c| c > 0.0) {
        if opts.cpu_period.is_some_and(|p| p > 0) {
            return c("Conflicting options: Nano CPUs and CPU Period cannot both be set");
        }
        if opts.cpu_quota.is_some_and(|q| q > 0) {
            return c("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
        }
    }
    if opts.rm && opts.restart != super::RestartPolicy::No {
        return c("Conflicting options: --restart and --rm");
    }
    Ok(())
}

fn rlimits(input: &SpecInput) -> Vec<Value> {
    let u = |n: i64| if n < 0 { u64::MAX } else { n as u64 };
    input
        .opts
        .ulimits
        .iter()
        .map(|l| {
            let (mut soft, mut hard) = (u(l.soft), u(l.hard));
            if let Some(hook) = input.rlimit_hook {
                (soft, hard) = hook(&l.name, soft, hard);
            }
            json!({"type": format!("RLIMIT_{}", l.name.to_ascii_uppercase()), "soft": soft, "hard": hard})
        })
        .collect()
}

fn namespaces(input: &SpecInput) -> Result<Vec<Value>> {
    let mut ns = vec![json!({"type": "mount"})];
    match (&input.opts.network, &input.netns_path) {
        (NetworkMode::Host, _) => {}
        (_, Some(p)) => ns.push(json!({"type": "network", "path": p})),
        (NetworkMode::Container(c), None) => {
            return Err(Error::Conflict(format!(
            "--network container:{c}: the engine did not pass that container's network namespace"
        )))
        }
        _ => ns.push(json!({"type": "network"})),
    }
    ns.extend([
        json!({"type": "uts"}),
        json!({"type": "pid"}),
        json!({"type": "ipc"}),
    ]);
    if input.cgroup_v2 {
        ns.push(json!({"type": "cgroup"}));
    }
    Ok(ns)
}

fn resources(input: &SpecInput) -> Value {
    let o = &input.opts;
    let mut r = Map::new();
    let mut mem = Map::new();
    if let Some(m) = o.memory.filter(|&m| m > 0) {
        mem.insert("limit".into(), m.into());
        let swap = match o.memory_swap {
            Some(s) if s != 0 => s,
            _ => m * 2,
        };
        mem.insert("swap".into(), swap.into());
    }
    if let Some(res) = o.memory_reservation.filter(|&r| r > 0) {
        mem.insert("reservation".into(), res.into());
    }
    if let Some(s) = o.memory_swappiness {
        mem.insert("swappiness".into(), s.into());
    }
    if o.oom_kill_disable {
        mem.insert("disableOOMKiller".into(), true.into());
    }
    if !mem.is_empty() {
        r.insert("memory".into(), mem.into());
    }
    let mut cpu = Map::new();
    if let Some(s) = o.cpu_shares.filter(|&s| s > 0) {
        cpu.insert("shares".into(), s.into());
    }
    if let Some(c) = o.cpus.filter(|&c| c > 0.0) {
        let quota = nano_cpus(c) as i128 * CPU_PERIOD as i128 / 1_000_000_000;
        cpu.insert("quota".into(), (quota as i64).into());
        cpu.insert("period".into(), CPU_PERIOD.into());
    } else {
        if let Some(q) = o.cpu_quota.filter(|&q| q != 0) {
            cpu.insert("quota".into(), q.into());
        }
        if let Some(p) = o.cpu_period.filter(|&p| p > 0) {
            cpu.insert("period".into(), p.into());
        }
    }
    if let Some(c) = o.cpuset_cpus.as_ref().filter(|c| !c.is_empty()) {
        cpu.insert("cpus".into(), c.clone().into());
    }
    if let Some(m) = o.cpuset_mems.as_ref().filter(|m| !m.is_empty()) {
        cpu.insert("mems".into(), m.clone().into());
    }
    if !cpu.is_empty() {
        r.insert("cpu".into(), cpu.into());
    }
    if let Some(p) = o.pids_limit.filter(|&p| p > 0) {
        r.insert("pids".into(), json!({"limit": p}));
    }
    let rules = if o.privileged {
        vec![allow_all_rule()]
    } else {
        let mut rules = default_device_rules();
        rules.extend(input.devices.iter().map(device_rule));
        rules
    };
    r.insert("devices".into(), json!(rules));
    Value::Object(r)
}

fn devices(input: &SpecInput) -> Value {
    let host: &[ResolvedDevice] = if input.opts.privileged {
        &input.host_devices
    } else {
        &[]
    };
    host.iter()
        .chain(&input.devices)
        .map(|d| {
            json!({
                "path": d.path, "type": d.kind.oci().as_str(), "major": d.major, "minor": d.minor,
                "fileMode": d.file_mode, "uid": d.uid, "gid": d.gid,
            })
        })
        .collect()
}

fn sysctls(opts: &RunOptions) -> BTreeMap<String, String> {
    let mut s = BTreeMap::new();
    if !matches!(opts.network, NetworkMode::Host | NetworkMode::Container(_)) {
        s.insert("net.ipv4.ping_group_range".into(), "0 2147483647".into());
        s.insert("net.ipv4.ip_unprivileged_port_start".into(), "0".into());
    }
    s.extend(opts.sysctls.iter().map(|(k, v)| (k.clone(), v.clone())));
    s
}

fn seccomp(opts: &RunOptions, caps: &[String]) -> Result<Option<Value>> {
    if opts.privileged {
        return Ok(None);
    }
    let caps: Vec<&str> = caps.iter().map(String::as_str).collect();
    let profile = match &opts.security.seccomp {
        Seccomp::Unconfined => return Ok(None),
        Seccomp::Default => berth_runtime::seccomp::docker_profile(DEFAULT_SECCOMP_JSON, &caps),
        Seccomp::Profile(json) => berth_runtime::seccomp::docker_profile(json, &caps),
    }
    .map_err(Error::Seccomp)?;
    serde_json::to_value(profile)
        .map(Some)
        .map_err(|e| Error::Oci(format!("seccomp profile: {e}")))
}

/// Builds the container's OCI runtime spec the way Docker (moby's `createSpec` with runc)
/// would for the same image and options.
pub fn build_spec(input: &SpecInput) -> Result<Spec> {
    let opts = &input.opts;
    validate(opts)?;
    let mut args = process_args(&input.image, opts)?;
    if opts.init {
        args = [INIT_PATH.to_string(), "--".to_string()]
            .into_iter()
            .chain(args)
            .collect();
    }
    let env = process_env(
        input.image.env.as_deref().unwrap_or_default(),
        &opts.env,
        &input.hostname,
        opts.tty,
        &input.user.home,
    );
    let caps = capability_set(&opts.cap_add, &opts.cap_drop, opts.privileged)?;
    let (mounts, rootfs_propagation) = mounts(input)?;

    let mut process = json!({
        "terminal": opts.tty,
        "user": {
            "uid": input.user.uid,
            "gid": input.user.gid,
            "additionalGids": input.user.additional_gids,
        },
        "args": args,
        "env": env,
        "cwd": working_dir(&input.image, opts)?,
        "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
        "noNewPrivileges": opts.security.no_new_privileges,
        "oomScoreAdj": opts.oom_score_adj,
    });
    let rl = rlimits(input);
    if !rl.is_empty() {
        process["rlimits"] = rl.into();
    }

    let mut linux = json!({
        "resources": resources(input),
        "cgroupsPath": input.cgroups_path,
        "namespaces": namespaces(input)?,
        "devices": devices(input),
        "sysctl": sysctls(opts),
    });
    if !opts.privileged {
        linux["maskedPaths"] = json!(MASKED_PATHS);
        linux["readonlyPaths"] = json!(READONLY_PATHS);
    }
    if let Some(p) = rootfs_propagation {
        linux["rootfsPropagation"] = p.into();
    }
    if let Some(s) = seccomp(opts, &caps)? {
        linux["seccomp"] = s;
    }

    let mut spec = json!({
        "ociVersion": "1.2.0",
        "process": process,
        "root": {"path": input.rootfs, "readonly": opts.read_only},
        "hostname": input.hostname,
        "mounts": mounts,
        "linux": linux,
    });
    if let Some(d) = opts.domainname.as_ref().filter(|d| !d.is_empty()) {
        spec["domainname"] = d.clone().into();
    }
    serde_json::from_value(spec).map_err(|e| Error::Oci(format!("container {}: {e}", input.id)))
}
