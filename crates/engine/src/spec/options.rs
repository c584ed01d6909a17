//! `RunOptions`: every `docker run` / `docker create` option in typed form, after the flag
//! values went through [`super::parse`]. `Default` is what `docker run IMAGE` gets.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

/// The options of one `run` / `create`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOptions {
    /// `--name`.
    pub name: Option<String>,
    /// `-h, --hostname`; the engine defaults it to the short container id.
    pub hostname: Option<String>,
    /// `--domainname`.
    pub domainname: Option<String>,
    /// `-e, --env` and `--env-file`, already resolved to `KEY=value` (see
    /// [`super::parse::parse_env`]); a bare `KEY` here unsets an image variable.
    pub env: Vec<String>,
    /// `-w, --workdir`.
    pub workdir: Option<String>,
    /// `-u, --user` (`uid`, `name`, `uid:gid`, `name:group`).
    pub user: Option<String>,
    /// `--entrypoint`: `None` keeps the image's; `Some(vec![])` (`--entrypoint ""`) resets it.
    pub entrypoint: Option<Vec<String>>,
    /// Arguments after the image name; empty keeps the image's `Cmd`.
    pub cmd: Vec<String>,
    /// `-t, --tty`.
    pub tty: bool,
    /// `-i, --interactive`.
    pub stdin_open: bool,
    /// `-l, --label` and `--label-file`.
    pub labels: BTreeMap<String, String>,
    /// `-v`, `--mount` and `--tmpfs`, in command-line order.
    pub mounts: Vec<MountSpec>,
    /// `--read-only`.
    pub read_only: bool,
    /// `-m, --memory`, bytes.
    pub memory: Option<i64>,
    /// `--memory-swap`, bytes; `-1` is unlimited.
    pub memory_swap: Option<i64>,
    /// `--memory-reservation`, bytes.
    pub memory_reservation: Option<i64>,
    /// `--memory-swappiness` (0..=100).
    pub memory_swappiness: Option<u64>,
    /// `--cpus`.
    pub cpus: Option<f64>,
    /// `-c, --cpu-shares`.
    pub cpu_shares: Option<u64>,
    /// `--cpu-period`, microseconds.
    pub cpu_period: Option<u64>,
    /// `--cpu-quota`, microseconds.
    pub cpu_quota: Option<i64>,
    /// `--cpuset-cpus`.
    pub cpuset_cpus: Option<String>,
    /// `--cpuset-mems`.
    pub cpuset_mems: Option<String>,
    /// `--pids-limit`; `-1` or `0` is unlimited.
    pub pids_limit: Option<i64>,
    /// `--ulimit`.
    pub ulimits: Vec<Ulimit>,
    /// `--cap-add`, as given.
    pub cap_add: Vec<String>,
    /// `--cap-drop`, as given.
    pub cap_drop: Vec<String>,
    /// `--privileged`.
    pub privileged: bool,
    /// `--security-opt`, parsed.
    pub security: SecurityOpts,
    /// `--init`.
    pub init: bool,
    /// `--stop-signal`, as given (validated with [`super::parse::parse_signal`]).
    pub stop_signal: Option<String>,
    /// `--stop-timeout`, seconds.
    pub stop_timeout: Option<i64>,
    /// `--restart`.
    pub restart: RestartPolicy,
    /// `--network`.
    pub network: NetworkMode,
    /// `--network-alias`.
    pub network_aliases: Vec<String>,
    /// `--ip`: the container's address on its network.
    pub ip: Option<String>,
    /// `-p, --publish`, as given (parsed by the network layer).
    pub publish: Vec<String>,
    /// `-P, --publish-all`.
    pub publish_all: bool,
    /// `--expose`, as given.
    pub expose: Vec<String>,
    /// `--dns`, validated addresses.
    pub dns: Vec<String>,
    /// `--dns-search`.
    pub dns_search: Vec<String>,
    /// `--dns-option`.
    pub dns_option: Vec<String>,
    /// `--add-host`.
    pub add_host: Vec<HostEntry>,
    /// `--device`.
    pub devices: Vec<DeviceMapping>,
    /// `--group-add`.
    pub group_add: Vec<String>,
    /// `--shm-size`, bytes; Docker's default is 64 MiB.
    pub shm_size: Option<i64>,
    /// `--sysctl`.
    pub sysctls: BTreeMap<String, String>,
    /// `--oom-kill-disable`.
    pub oom_kill_disable: bool,
    /// `--oom-score-adj`.
    pub oom_score_adj: i32,
    /// `--health-*` and `--no-healthcheck`.
    pub health: HealthOptions,
    /// `--log-driver` and `--log-opt`.
    pub log: LogOptions,
    /// `--rm`.
    pub rm: bool,
    /// `-d, --detach`.
    pub detach: bool,
    /// `--platform`: accepted and ignored (berth runs native images only).
    pub platform: Option<String>,
    /// The caller's terminal size (rows, columns) for `-t`: the container's pty starts with it.
    pub console_size: Option<(u16, u16)>,
}

/// One `-v`, `--mount` or `--tmpfs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MountSpec {
    /// Bind, volume or tmpfs.
    pub kind: MountKind,
    /// Host path (bind; may be relative, starting with `.`, for the engine to make absolute),
    /// volume name, or empty (anonymous volume, tmpfs).
    pub source: String,
    /// Absolute path in the container.
    pub target: String,
    /// `ro` / `readonly`.
    pub read_only: bool,
    /// `bind-propagation` or a propagation mode of `-v`.
    pub bind_propagation: Option<Propagation>,
    /// `bind-nonrecursive=true` / `bind-recursive=disabled`: `bind` instead of `rbind`.
    pub bind_nonrecursive: bool,
    /// `volume-nocopy` / `nocopy`: don't copy the image's content into a new volume.
    pub volume_nocopy: bool,
    /// `volume-subpath`.
    pub volume_subpath: Option<String>,
    /// `volume-driver`.
    pub volume_driver: Option<String>,
    /// `volume-label`.
    pub volume_labels: BTreeMap<String, String>,
    /// `volume-opt`.
    pub volume_options: BTreeMap<String, String>,
    /// `tmpfs-size` or `size=` of `--tmpfs`, bytes.
    pub tmpfs_size: Option<i64>,
    /// `tmpfs-mode` or `mode=` of `--tmpfs` (octal on the command line).
    pub tmpfs_mode: Option<u32>,
    /// Other `--tmpfs` options (`exec`, `uid=1000`, ...), as given.
    pub tmpfs_options: Vec<String>,
    /// `z` / `Z` (SELinux relabel); recorded, not acted on.
    pub selinux_label: Option<String>,
}

/// What a [`MountSpec`] mounts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MountKind {
    /// A host path.
    Bind,
    /// A named or anonymous volume.
    #[default]
    Volume,
    /// A tmpfs.
    Tmpfs,
}

/// Mount propagation of a bind mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// `private`.
    Private,
    /// `rprivate` (the default).
    RPrivate,
    /// `shared`.
    Shared,
    /// `rshared`.
    RShared,
    /// `slave`.
    Slave,
    /// `rslave`.
    RSlave,
}

impl Propagation {
    /// The mode from its name, e.g. `rshared`.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "private" => Self::Private,
            "rprivate" => Self::RPrivate,
            "shared" => Self::Shared,
            "rshared" => Self::RShared,
            "slave" => Self::Slave,
            "rslave" => Self::RSlave,
            _ => return None,
        })
    }

    /// The name, which is also the OCI mount option.
    pub fn name(self) -> &'static str {
        match self {
            Self::Private => "private",
            Self::RPrivate => "rprivate",
            Self::Shared => "shared",
            Self::RShared => "rshared",
            Self::Slave => "slave",
            Self::RSlave => "rslave",
        }
    }
}

/// One `--ulimit`. `-1` is unlimited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ulimit {
    /// `nofile`, `nproc`, ... (lower case, without `RLIMIT_`).
    pub name: String,
    /// Soft limit.
    pub soft: i64,
    /// Hard limit.
    pub hard: i64,
}

/// `--security-opt`, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityOpts {
    /// `seccomp=...`.
    pub seccomp: Seccomp,
    /// `no-new-privileges[=true]`.
    pub no_new_privileges: bool,
    /// Everything else (`apparmor=`, `label=`, `systempaths=`, ...), as given: berth does
    /// not act on these and the CLI reports them.
    pub other: Vec<String>,
}

/// The seccomp choice of `--security-opt seccomp=`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Seccomp {
    /// Docker's default profile.
    #[default]
    Default,
    /// `seccomp=unconfined`.
    Unconfined,
    /// `seccomp=FILE`: the file's JSON text (Docker's profile format).
    Profile(String),
}

/// `--restart`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RestartPolicy {
    /// `no` (the default).
    #[default]
    No,
    /// `on-failure[:max_retries]`; `0` is unlimited.
    OnFailure {
        /// Most restarts; 0 = no limit.
        max_retries: u32,
    },
    /// `always`.
    Always,
    /// `unless-stopped`.
    UnlessStopped,
}

/// `--network`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NetworkMode {
    /// `bridge` / `default` / not given.
    #[default]
    Default,
    /// `none`: a network namespace with only loopback.
    None,
    /// `host`: the host's network namespace.
    Host,
    /// `container:<name|id>`: another container's network namespace.
    Container(String),
    /// A user-defined network.
    Named(String),
}

impl NetworkMode {
    /// Parses `--network`'s value.
    pub fn parse(s: &str) -> Self {
        match s {
            "" | "default" | "bridge" => Self::Default,
            "none" => Self::None,
            "host" => Self::Host,
            _ => match s.strip_prefix("container:") {
                Some(c) => Self::Container(c.to_string()),
                None => Self::Named(s.to_string()),
            },
        }
    }
}

/// One `--add-host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostEntry {
    /// The host name.
    pub name: String,
    /// Its address.
    pub addr: HostAddr,
}

/// The address of a [`HostEntry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostAddr {
    /// A literal address.
    Ip(IpAddr),
    /// `host-gateway`: the engine substitutes the host's address on the network.
    HostGateway,
}

/// One `--device host[:container[:perms]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceMapping {
    /// Device node (or directory of them) on the host.
    pub path_on_host: String,
    /// Where it appears in the container.
    pub path_in_container: String,
    /// Device cgroup permissions, a subset of `rwm`.
    pub cgroup_permissions: String,
}

/// `--health-*` and `--no-healthcheck`. `None` fields keep the image's values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthOptions {
    /// `--health-cmd` (run with the shell, `CMD-SHELL`).
    pub cmd: Option<String>,
    /// A whole test (`["CMD", ...]`, `["CMD-SHELL", cmd]` or `["NONE"]`), as compose's
    /// `healthcheck.test` gives it; wins over `cmd`.
    pub test: Option<Vec<String>>,
    /// `--health-interval`.
    pub interval: Option<Duration>,
    /// `--health-timeout`.
    pub timeout: Option<Duration>,
    /// `--health-retries`.
    pub retries: Option<u32>,
    /// `--health-start-period`.
    pub start_period: Option<Duration>,
    /// `--health-start-interval`.
    pub start_interval: Option<Duration>,
    /// `--no-healthcheck`.
    pub no_healthcheck: bool,
}

/// `--log-driver` and `--log-opt`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// `--log-driver`; `None` is the engine's default.
    pub driver: Option<String>,
    /// `--log-opt key=value`.
    pub opts: BTreeMap<String, String>,
}
