//! The command-line grammar (clap): Docker's subcommands and flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use super::registry_args::{LoginArgs, LogoutArgs, PullArgs, PushArgs};

/// berth: a daemonless, Docker-compatible container engine.
#[derive(Parser, Debug)]
#[command(name = "berth", version, disable_help_subcommand = true)]
pub struct Cli {
    /// Options before the command.
    #[command(flatten)]
    pub globals: Globals,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Global options.
#[derive(Args, Debug, Clone)]
pub struct Globals {
    /// State root (default /var/lib/berth, run dir /run/berth; also BERTH_ROOT).
    #[arg(long, global = true)]
    pub root: Option<PathBuf>,
}

/// Every command.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show the version.
    Version(VersionArgs),
    /// Manage images.
    #[command(subcommand)]
    Image(ImageCommand),
    /// List images.
    Images(ImagesArgs),
    /// Import a rootfs tarball as an image.
    Import(ImportArgs),
    /// Build an image from a Dockerfile.
    Build(Box<BuildArgs>),
    /// Manage the build cache.
    #[command(subcommand)]
    Builder(BuilderCommand),
    /// Name an image.
    Tag(TagArgs),
    /// Remove images.
    Rmi(RmiArgs),
    /// Show an image's history.
    History(HistoryArgs),
    /// Save images to a tar archive.
    Save(SaveArgs),
    /// Load images from a tar archive.
    Load(LoadArgs),
    /// Download an image from a registry.
    Pull(PullArgs),
    /// Upload an image to a registry.
    Push(PushArgs),
    /// Log in to a registry.
    Login(LoginArgs),
    /// Log out from a registry.
    Logout(LogoutArgs),
    /// Manage containers.
    #[command(subcommand)]
    Container(ContainerCommand),
    /// Create and run a container.
    #[command(disable_help_flag = true)]
    Run(Box<RunArgs>),
    /// Create a container.
    #[command(disable_help_flag = true)]
    Create(Box<RunArgs>),
    /// Start stopped containers.
    Start(StartArgs),
    /// Stop running containers.
    Stop(StopArgs),
    /// Restart containers.
    Restart(StopArgs),
    /// Send a signal to containers.
    Kill(KillArgs),
    /// Remove containers.
    Rm(RmArgs),
    /// List containers.
    Ps(PsArgs),
    /// Show a container's logs.
    Logs(LogsArgs),
    /// Run a command in a running container.
    Exec(ExecArgs),
    /// Wait for containers to stop and print their exit codes.
    Wait(NamesArgs),
    /// Show low-level information on containers or images.
    Inspect(InspectArgs),
    /// Pause containers.
    Pause(NamesArgs),
    /// Unpause containers.
    Unpause(NamesArgs),
    /// Rename a container.
    Rename(RenameArgs),
    /// Show a container's processes.
    Top(TopArgs),
    /// Attach to a running container's stdio.
    Attach(AttachArgs),
    /// Copy files between a container and the host.
    Cp(CpArgs),
    /// Show containers' resource usage.
    Stats(StatsArgs),
    /// Manage volumes.
    #[command(subcommand)]
    Volume(VolumeCommand),
    /// Manage networks.
    #[command(subcommand)]
    Network(NetworkCommand),
    /// List a container's published ports.
    Port(PortArgs),
    /// Show system-wide information.
    Info(InfoArgs),
    /// Show events (then follow new ones).
    Events(EventsArgs),
    /// Manage berth (df, prune, check, info, events).
    #[command(subcommand)]
    System(SystemCommand),
    /// Define and run multi-container applications (docker compose).
    Compose(Box<crate::compose::args::ComposeCli>),
}

/// `volume` subcommands.
#[derive(Subcommand, Debug)]
pub enum VolumeCommand {
    /// Create a volume.
    Create(VolumeCreateArgs),
    /// List volumes.
    #[command(alias = "list")]
    Ls(VolumeLsArgs),
    /// Show volume details.
    Inspect(VolumeInspectArgs),
    /// Remove volumes.
    #[command(alias = "remove")]
    Rm(VolumeRmArgs),
    /// Remove unused volumes.
    Prune(PruneArgs),
}

/// `network` subcommands.
#[derive(Subcommand, Debug)]
pub enum NetworkCommand {
    /// Create a network.
    Create(NetworkCreateArgs),
    /// List networks.
    #[command(alias = "list")]
    Ls(NetworkLsArgs),
    /// Show network details.
    Inspect(NetworkInspectArgs),
    /// Remove networks.
    #[command(alias = "remove")]
    Rm(NetworkRmArgs),
    /// Remove unused networks.
    Prune(PruneArgs),
    /// Connect a container to a network.
    Connect(NetworkConnectArgs),
    /// Disconnect a container from a network.
    Disconnect(NetworkDisconnectArgs),
}

/// `network create`.
#[derive(Args, Debug)]
pub struct NetworkCreateArgs {
    /// Driver (only `bridge`).
    #[arg(short, long, default_value = "bridge")]
    pub driver: String,
    /// Subnet in CIDR form.
    #[arg(long)]
    pub subnet: Vec<String>,
    /// Gateway address.
    #[arg(long)]
    pub gateway: Vec<String>,
    /// No access to the outside.
    #[arg(long)]
    pub internal: bool,
    /// Metadata (`K=V`).
    #[arg(long)]
    pub label: Vec<String>,
    /// Driver options (not supported).
    #[arg(short, long)]
    pub opt: Vec<String>,
    /// IPv6 (not supported yet).
    #[arg(long)]
    pub ipv6: bool,
    /// Accepted for compatibility.
    #[arg(long)]
    pub attachable: bool,
    /// Name.
    pub name: String,
}

/// `network ls`.
#[derive(Args, Debug)]
pub struct NetworkLsArgs {
    /// Only IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Filters (name, id, driver, label, type=custom|builtin).
    #[arg(short, long)]
    pub filter: Vec<String>,
    /// Go template or `json`.
    #[arg(long)]
    pub format: Option<String>,
    /// Full IDs.
    #[arg(long)]
    pub no_trunc: bool,
}

/// `network inspect`.
#[derive(Args, Debug)]
pub struct NetworkInspectArgs {
    /// Go template or `json`.
    #[arg(short, long)]
    pub format: Option<String>,
    /// Networks.
    #[arg(required = true)]
    pub names: Vec<String>,
}

/// `network rm`.
#[derive(Args, Debug)]
pub struct NetworkRmArgs {
    /// Do not fail on missing networks.
    #[arg(short, long)]
    pub force: bool,
    /// Networks.
    #[arg(required = true)]
    pub names: Vec<String>,
}

/// `network connect`.
#[derive(Args, Debug)]
pub struct NetworkConnectArgs {
    /// Extra names for the container on this network.
    #[arg(long)]
    pub alias: Vec<String>,
    /// The container's IPv4 address on this network.
    #[arg(long)]
    pub ip: Option<String>,
    /// Network.
    pub network: String,
    /// Container.
    pub container: String,
}

/// `network disconnect`.
#[derive(Args, Debug)]
pub struct NetworkDisconnectArgs {
    /// Accepted for compatibility.
    #[arg(short, long)]
    pub force: bool,
    /// Network.
    pub network: String,
    /// Container.
    pub container: String,
}

/// `port`.
#[derive(Args, Debug)]
pub struct PortArgs {
    /// Container.
    pub container: String,
    /// `PRIVATE_PORT[/PROTO]`.
    pub port: Option<String>,
}

/// `volume create`.
#[derive(Args, Debug)]
pub struct VolumeCreateArgs {
    /// Driver (only `local`).
    #[arg(short, long, default_value = "local")]
    pub driver: String,
    /// Labels.
    #[arg(short, long)]
    pub label: Vec<String>,
    /// Driver options (none supported).
    #[arg(short, long)]
    pub opt: Vec<String>,
    /// Name (random when omitted).
    pub name: Option<String>,
}

/// `volume ls`.
#[derive(Args, Debug)]
pub struct VolumeLsArgs {
    /// Only names.
    #[arg(short, long)]
    pub quiet: bool,
    /// Go template.
    #[arg(long)]
    pub format: Option<String>,
    /// Filters (dangling=, name=, label=).
    #[arg(short, long)]
    pub filter: Vec<String>,
}

/// `volume inspect`.
#[derive(Args, Debug)]
pub struct VolumeInspectArgs {
    /// Go template.
    #[arg(short, long)]
    pub format: Option<String>,
    /// Volumes.
    #[arg(required = true)]
    pub names: Vec<String>,
}

/// `volume rm`.
#[derive(Args, Debug)]
pub struct VolumeRmArgs {
    /// Remove even if in use.
    #[arg(short, long)]
    pub force: bool,
    /// Volumes.
    #[arg(required = true)]
    pub names: Vec<String>,
}

/// `image` subcommands.
#[derive(Subcommand, Debug)]
pub enum ImageCommand {
    /// List images.
    #[command(alias = "list")]
    Ls(ImagesArgs),
    /// Import a rootfs tarball.
    Import(ImportArgs),
    /// Build an image from a Dockerfile.
    Build(Box<BuildArgs>),
    /// Show image details.
    Inspect(ImageInspectArgs),
    /// Remove images.
    Rm(RmiArgs),
    /// Remove unused images.
    Prune(PruneArgs),
    /// Show history.
    History(HistoryArgs),
    /// Name an image.
    Tag(TagArgs),
    /// Save images.
    Save(SaveArgs),
    /// Load images.
    Load(LoadArgs),
    /// Download an image from a registry.
    Pull(PullArgs),
    /// Upload an image to a registry.
    Push(PushArgs),
}

/// `container` subcommands.
#[derive(Subcommand, Debug)]
pub enum ContainerCommand {
    /// List containers.
    #[command(alias = "list", alias = "ps")]
    Ls(PsArgs),
    /// Create and run a container.
    #[command(disable_help_flag = true)]
    Run(Box<RunArgs>),
    /// Create a container.
    #[command(disable_help_flag = true)]
    Create(Box<RunArgs>),
    /// Start containers.
    Start(StartArgs),
    /// Stop containers.
    Stop(StopArgs),
    /// Restart containers.
    Restart(StopArgs),
    /// Signal containers.
    Kill(KillArgs),
    /// Remove containers.
    Rm(RmArgs),
    /// Show logs.
    Logs(LogsArgs),
    /// Run a command in a container.
    Exec(ExecArgs),
    /// Wait for containers.
    Wait(NamesArgs),
    /// Show container details.
    Inspect(InspectArgs),
    /// Pause containers.
    Pause(NamesArgs),
    /// Unpause containers.
    Unpause(NamesArgs),
    /// Rename a container.
    Rename(RenameArgs),
    /// Show processes.
    Top(TopArgs),
    /// Attach to a container.
    Attach(AttachArgs),
    /// Copy files between a container and the host.
    Cp(CpArgs),
    /// Show resource usage.
    Stats(StatsArgs),
    /// Remove stopped containers.
    Prune(PruneArgs),
    /// Checkpoint running containers with CRIU.
    Checkpoint(super::checkpoint::CheckpointArgs),
    /// Restore containers from a checkpoint.
    Restore(super::checkpoint::RestoreArgs),
}

/// `images`.
#[derive(Args, Debug)]
pub struct ImagesArgs {
    /// Show all images.
    #[arg(short, long)]
    pub all: bool,
    /// Only IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Filter (dangling=true|false, reference=pattern, label=k[=v], before=, since=).
    #[arg(short, long)]
    pub filter: Vec<String>,
    /// Go template, `table ...` or `json`.
    #[arg(long)]
    pub format: Option<String>,
    /// Show full IDs.
    #[arg(long)]
    pub no_trunc: bool,
    /// Show digests.
    #[arg(long)]
    pub digests: bool,
    /// Repository (and tag) to list.
    pub reference: Option<String>,
}

/// `import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Dockerfile instructions to apply (CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, ...).
    #[arg(short, long)]
    pub change: Vec<String>,
    /// Commit message.
    #[arg(short, long)]
    pub message: Option<String>,
    /// Platform (ignored beyond validation).
    #[arg(long)]
    pub platform: Option<String>,
    /// Tarball path, or `-` for stdin.
    pub file: String,
    /// Name for the image.
    pub reference: Option<String>,
}

/// `build`.
#[derive(Args, Debug)]
pub struct BuildArgs {
    /// Name and optionally a tag (`name:tag`); repeatable.
    #[arg(short, long = "tag")]
    pub tag: Vec<String>,
    /// The Dockerfile (default `PATH/Dockerfile`; `-` reads it from stdin).
    #[arg(short, long)]
    pub file: Option<String>,
    /// Build-time variables (`K=V`, or `K` to take it from the environment).
    #[arg(long = "build-arg")]
    pub build_arg: Vec<String>,
    /// The stage to build.
    #[arg(long)]
    pub target: Option<String>,
    /// Do not use the cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Metadata for the image (`K=V`).
    #[arg(long)]
    pub label: Vec<String>,
    /// Write the image ID to this file.
    #[arg(long)]
    pub iidfile: Option<String>,
    /// Secrets for `RUN --mount=type=secret` (`id=ID,src=PATH` or `id=ID,env=VAR`).
    #[arg(long)]
    pub secret: Vec<String>,
    /// Progress output: auto, plain, tty, json, quiet.
    #[arg(long, default_value = "auto")]
    pub progress: String,
    /// Network for RUN steps: default, host, none.
    #[arg(long)]
    pub network: Option<String>,
    /// Also export the result: `type=local|tar|docker|oci,dest=PATH` (or just a path), or
    /// push it: `type=image,push=true` / `type=registry` (with `name=REF`, else the tags).
    #[arg(short, long)]
    pub output: Vec<String>,
    /// Push the image to its registry (`--output=type=registry`).
    #[arg(long)]
    pub push: bool,
    /// Print only the image ID.
    #[arg(short, long)]
    pub quiet: bool,
    /// Target platform (the host's only).
    #[arg(long)]
    pub platform: Option<String>,
    /// Pull the images the build starts from even when they are stored.
    #[arg(long)]
    pub pull: bool,
    /// Accepted for compatibility (intermediate containers are always removed).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub rm: Option<String>,
    /// Accepted for compatibility.
    #[arg(long)]
    pub force_rm: bool,
    /// The context: a directory, or `-` for a tarball (or a Dockerfile) on stdin.
    pub context: String,
}

/// `builder` subcommands.
#[derive(Subcommand, Debug)]
pub enum BuilderCommand {
    /// Remove the build cache.
    Prune(BuilderPruneArgs),
}

/// `builder prune`.
#[derive(Args, Debug)]
pub struct BuilderPruneArgs {
    /// Remove all of it (berth's cache has no finer policy yet).
    #[arg(short, long)]
    pub all: bool,
    /// Do not ask.
    #[arg(short, long)]
    pub force: bool,
}

/// `tag`.
#[derive(Args, Debug)]
pub struct TagArgs {
    /// Existing image.
    pub source: String,
    /// New name.
    pub target: String,
}

/// `rmi`.
#[derive(Args, Debug)]
pub struct RmiArgs {
    /// Remove even if in use.
    #[arg(short, long)]
    pub force: bool,
    /// Accepted for compatibility.
    #[arg(long)]
    pub no_prune: bool,
    /// Images.
    #[arg(required = true)]
    pub images: Vec<String>,
}

/// `image inspect`.
#[derive(Args, Debug)]
pub struct ImageInspectArgs {
    /// Go template.
    #[arg(short, long)]
    pub format: Option<String>,
    /// Images.
    #[arg(required = true)]
    pub images: Vec<String>,
}

/// `prune`.
#[derive(Args, Debug)]
pub struct PruneArgs {
    /// All unused, not just dangling.
    #[arg(short, long)]
    pub all: bool,
    /// Do not ask.
    #[arg(short, long)]
    pub force: bool,
    /// Filters.
    #[arg(long)]
    pub filter: Vec<String>,
}

/// `history`.
#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// Full output.
    #[arg(long)]
    pub no_trunc: bool,
    /// Only IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Sizes and dates in human form.
    #[arg(short = 'H', long, default_value_t = true, action = clap::ArgAction::Set)]
    pub human: bool,
    /// Go template.
    #[arg(long)]
    pub format: Option<String>,
    /// Image.
    pub image: String,
}

/// `save`.
#[derive(Args, Debug)]
pub struct SaveArgs {
    /// Write to a file instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// docker-archive (default) or oci-archive.
    #[arg(long, default_value = "docker-archive")]
    pub format: String,
    /// Images.
    #[arg(required = true)]
    pub images: Vec<String>,
}

/// `load`.
#[derive(Args, Debug)]
pub struct LoadArgs {
    /// Read from a file instead of stdin.
    #[arg(short, long)]
    pub input: Option<PathBuf>,
    /// Print less.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `run` and `create`.
#[derive(Args, Debug, Default)]
pub struct RunArgs {
    /// Run in the background and print the container ID.
    #[arg(short, long)]
    pub detach: bool,
    /// Keep stdin open.
    #[arg(short, long)]
    pub interactive: bool,
    /// Allocate a terminal.
    #[arg(short, long)]
    pub tty: bool,
    /// Remove the container when it exits.
    #[arg(long)]
    pub rm: bool,
    /// Name.
    #[arg(long)]
    pub name: Option<String>,
    /// Environment variables.
    #[arg(short, long)]
    pub env: Vec<String>,
    /// Files of environment variables.
    #[arg(long)]
    pub env_file: Vec<PathBuf>,
    /// Working directory.
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// user[:group].
    #[arg(short, long)]
    pub user: Option<String>,
    /// Override the entrypoint.
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Hostname.
    #[arg(short = 'h', long)]
    pub hostname: Option<String>,
    /// Domain name.
    #[arg(long)]
    pub domainname: Option<String>,
    /// Labels.
    #[arg(short, long)]
    pub label: Vec<String>,
    /// Bind mounts and volumes.
    #[arg(short, long)]
    pub volume: Vec<String>,
    /// Mounts (type=bind|volume|tmpfs,...).
    #[arg(long)]
    pub mount: Vec<String>,
    /// tmpfs mounts.
    #[arg(long)]
    pub tmpfs: Vec<String>,
    /// Read-only root filesystem.
    #[arg(long)]
    pub read_only: bool,
    /// Memory limit.
    #[arg(short, long)]
    pub memory: Option<String>,
    /// Memory + swap limit.
    #[arg(long)]
    pub memory_swap: Option<String>,
    /// Memory soft limit.
    #[arg(long)]
    pub memory_reservation: Option<String>,
    /// CPUs.
    #[arg(long)]
    pub cpus: Option<String>,
    /// CPU shares.
    #[arg(short = 'c', long)]
    pub cpu_shares: Option<u64>,
    /// CPU quota period.
    #[arg(long)]
    pub cpu_period: Option<u64>,
    /// CPU quota.
    #[arg(long)]
    pub cpu_quota: Option<i64>,
    /// CPUs allowed.
    #[arg(long)]
    pub cpuset_cpus: Option<String>,
    /// Memory nodes allowed.
    #[arg(long)]
    pub cpuset_mems: Option<String>,
    /// Process limit.
    #[arg(long)]
    pub pids_limit: Option<i64>,
    /// Ulimits.
    #[arg(long)]
    pub ulimit: Vec<String>,
    /// Add capabilities.
    #[arg(long)]
    pub cap_add: Vec<String>,
    /// Drop capabilities.
    #[arg(long)]
    pub cap_drop: Vec<String>,
    /// Full privileges.
    #[arg(long)]
    pub privileged: bool,
    /// Security options.
    #[arg(long)]
    pub security_opt: Vec<String>,
    /// Run an init as PID 1.
    #[arg(long)]
    pub init: bool,
    /// Signal to stop the container.
    #[arg(long)]
    pub stop_signal: Option<String>,
    /// Seconds to wait before killing.
    #[arg(long)]
    pub stop_timeout: Option<i64>,
    /// Restart policy.
    #[arg(long)]
    pub restart: Option<String>,
    /// Network: bridge (default), none, host, container:NAME, or a network's name.
    #[arg(long, alias = "net")]
    pub network: Option<String>,
    /// DNS servers.
    #[arg(long)]
    pub dns: Vec<String>,
    /// DNS search domains.
    #[arg(long)]
    pub dns_search: Vec<String>,
    /// DNS options.
    #[arg(long)]
    pub dns_option: Vec<String>,
    /// Extra /etc/hosts entries.
    #[arg(long)]
    pub add_host: Vec<String>,
    /// Host devices.
    #[arg(long)]
    pub device: Vec<String>,
    /// Extra groups.
    #[arg(long)]
    pub group_add: Vec<String>,
    /// /dev/shm size.
    #[arg(long)]
    pub shm_size: Option<String>,
    /// Sysctls.
    #[arg(long)]
    pub sysctl: Vec<String>,
    /// Disable the OOM killer.
    #[arg(long)]
    pub oom_kill_disable: bool,
    /// Health command.
    #[arg(long)]
    pub health_cmd: Option<String>,
    /// Health interval.
    #[arg(long)]
    pub health_interval: Option<String>,
    /// Health timeout.
    #[arg(long)]
    pub health_timeout: Option<String>,
    /// Health retries.
    #[arg(long)]
    pub health_retries: Option<u32>,
    /// Health start period.
    #[arg(long)]
    pub health_start_period: Option<String>,
    /// Health start interval.
    #[arg(long)]
    pub health_start_interval: Option<String>,
    /// Disable the image's healthcheck.
    #[arg(long)]
    pub no_healthcheck: bool,
    /// Log options.
    #[arg(long)]
    pub log_opt: Vec<String>,
    /// Log driver (json-file/k8s-file/none accepted).
    #[arg(long)]
    pub log_driver: Option<String>,
    /// Platform (accepted).
    #[arg(long)]
    pub platform: Option<String>,
    /// Pull policy (only `never`/`missing` make sense without a registry).
    #[arg(long)]
    pub pull: Option<String>,
    /// Attach to streams (accepted).
    #[arg(short, long)]
    pub attach: Vec<String>,
    /// Detach keys.
    #[arg(long)]
    pub detach_keys: Option<String>,
    /// Quiet pull output.
    #[arg(short, long)]
    pub quiet: bool,
    /// Publish a container's port to the host (`[ip:][hostPort:]containerPort[/proto]`).
    #[arg(short, long)]
    pub publish: Vec<String>,
    /// Publish every exposed port to a free host port.
    #[arg(short = 'P', long)]
    pub publish_all: bool,
    /// Expose a port (or range) without publishing it.
    #[arg(long)]
    pub expose: Vec<String>,
    /// Extra names for the container on its network.
    #[arg(long = "network-alias", alias = "net-alias")]
    pub network_alias: Vec<String>,
    /// The container's IPv4 address on its network.
    #[arg(long)]
    pub ip: Option<String>,
    /// Print help (`-h` is --hostname, as in Docker).
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// Image.
    pub image: String,
    /// Command and arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// `start`.
#[derive(Args, Debug)]
pub struct StartArgs {
    /// Attach stdout/stderr.
    #[arg(short, long)]
    pub attach: bool,
    /// Attach stdin.
    #[arg(short, long)]
    pub interactive: bool,
    /// Every container that is not running (after a reboot: with
    /// `--filter restart-policy=always --filter restart-policy=unless-stopped`).
    #[arg(long, conflicts_with = "containers")]
    pub all: bool,
    /// With --all: `restart-policy=<no|always|unless-stopped|on-failure>` (repeatable).
    #[arg(long, requires = "all")]
    pub filter: Vec<String>,
    /// Containers.
    #[arg(required_unless_present = "all")]
    pub containers: Vec<String>,
}

/// `stop` and `restart`.
#[derive(Args, Debug)]
pub struct StopArgs {
    /// Seconds to wait before killing.
    #[arg(short = 't', long = "time", alias = "timeout")]
    pub time: Option<i64>,
    /// Signal to send.
    #[arg(short, long)]
    pub signal: Option<String>,
    /// Containers.
    #[arg(required = true)]
    pub containers: Vec<String>,
}

/// `kill`.
#[derive(Args, Debug)]
pub struct KillArgs {
    /// Signal.
    #[arg(short, long, default_value = "KILL")]
    pub signal: String,
    /// Containers.
    #[arg(required = true)]
    pub containers: Vec<String>,
}

/// `rm`.
#[derive(Args, Debug)]
pub struct RmArgs {
    /// Kill and remove running containers.
    #[arg(short, long)]
    pub force: bool,
    /// Also remove anonymous volumes.
    #[arg(short, long)]
    pub volumes: bool,
    /// Containers.
    #[arg(required = true)]
    pub containers: Vec<String>,
}

/// `ps`.
#[derive(Args, Debug)]
pub struct PsArgs {
    /// All containers, not just running.
    #[arg(short, long)]
    pub all: bool,
    /// Only IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Filters.
    #[arg(short, long)]
    pub filter: Vec<String>,
    /// Go template, `table ...` or `json`.
    #[arg(long)]
    pub format: Option<String>,
    /// Full output.
    #[arg(long)]
    pub no_trunc: bool,
    /// Latest created.
    #[arg(short, long)]
    pub latest: bool,
    /// The n last created.
    #[arg(short = 'n', long)]
    pub last: Option<usize>,
    /// Sizes.
    #[arg(short, long)]
    pub size: bool,
}

/// `logs`.
#[derive(Args, Debug)]
pub struct LogsArgs {
    /// Follow.
    #[arg(short, long)]
    pub follow: bool,
    /// Timestamps.
    #[arg(short, long)]
    pub timestamps: bool,
    /// Lines from the end.
    #[arg(short = 'n', long)]
    pub tail: Option<String>,
    /// Since (RFC 3339, unix seconds or a duration like 10m).
    #[arg(long)]
    pub since: Option<String>,
    /// Until.
    #[arg(long)]
    pub until: Option<String>,
    /// Extra details (accepted).
    #[arg(long)]
    pub details: bool,
    /// Container.
    pub container: String,
}

/// `exec`.
#[derive(Args, Debug)]
pub struct ExecArgs {
    /// Detach.
    #[arg(short, long)]
    pub detach: bool,
    /// Keep stdin open.
    #[arg(short, long)]
    pub interactive: bool,
    /// Terminal.
    #[arg(short, long)]
    pub tty: bool,
    /// Environment.
    #[arg(short, long)]
    pub env: Vec<String>,
    /// Environment files.
    #[arg(long)]
    pub env_file: Vec<PathBuf>,
    /// Working directory.
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// user[:group].
    #[arg(short, long)]
    pub user: Option<String>,
    /// Extended privileges.
    #[arg(long)]
    pub privileged: bool,
    /// Detach keys.
    #[arg(long)]
    pub detach_keys: Option<String>,
    /// Container.
    pub container: String,
    /// Command.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub command: Vec<String>,
}

/// Commands taking only container names.
#[derive(Args, Debug)]
pub struct NamesArgs {
    /// Containers.
    #[arg(required = true)]
    pub containers: Vec<String>,
}

/// `inspect`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Go template.
    #[arg(short, long)]
    pub format: Option<String>,
    /// Sizes.
    #[arg(short, long)]
    pub size: bool,
    /// container or image.
    #[arg(long = "type")]
    pub kind: Option<String>,
    /// Objects.
    #[arg(required = true)]
    pub names: Vec<String>,
}

/// `rename`.
#[derive(Args, Debug)]
pub struct RenameArgs {
    /// Container.
    pub container: String,
    /// New name.
    pub new_name: String,
}

/// `top`.
#[derive(Args, Debug)]
pub struct TopArgs {
    /// Container.
    pub container: String,
    /// ps options.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub ps_args: Vec<String>,
}

/// `attach`.
#[derive(Args, Debug)]
pub struct AttachArgs {
    /// Do not attach stdin.
    #[arg(long)]
    pub no_stdin: bool,
    /// Proxy signals (accepted).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub sig_proxy: bool,
    /// Detach keys.
    #[arg(long)]
    pub detach_keys: Option<String>,
    /// Container.
    pub container: String,
}

/// `cp`.
#[derive(Args, Debug)]
pub struct CpArgs {
    /// Archive mode (keep uid/gid).
    #[arg(short, long)]
    pub archive: bool,
    /// Follow a symlink named as the source.
    #[arg(short = 'L', long)]
    pub follow_link: bool,
    /// No progress output (accepted).
    #[arg(short, long)]
    pub quiet: bool,
    /// `CONTAINER:SRC_PATH`, a host path, or `-` (a tar on stdin).
    pub source: String,
    /// `CONTAINER:DEST_PATH`, a host path, or `-` (a tar on stdout).
    pub destination: String,
}

/// `stats`.
#[derive(Args, Debug)]
pub struct StatsArgs {
    /// All containers (default: running ones).
    #[arg(short, long)]
    pub all: bool,
    /// One sample, then exit.
    #[arg(long)]
    pub no_stream: bool,
    /// Full IDs.
    #[arg(long)]
    pub no_trunc: bool,
    /// Go template, `table ...` or `json`.
    #[arg(long)]
    pub format: Option<String>,
    /// Containers.
    pub containers: Vec<String>,
}

/// `version`.
#[derive(Args, Debug)]
pub struct VersionArgs {
    /// Go template (over `Client` and `Server`) or `json`.
    #[arg(short, long)]
    pub format: Option<String>,
}

/// `info`.
#[derive(Args, Debug)]
pub struct InfoArgs {
    /// Go template or `json`.
    #[arg(short, long)]
    pub format: Option<String>,
}

/// `events`.
#[derive(Args, Debug)]
pub struct EventsArgs {
    /// Show events since this time (RFC 3339, unix seconds or a duration like 10m).
    #[arg(long)]
    pub since: Option<String>,
    /// Stop at this time (same forms as --since).
    #[arg(long)]
    pub until: Option<String>,
    /// Filters (type=, event=, container=, image=, volume=, label=).
    #[arg(short, long)]
    pub filter: Vec<String>,
    /// Go template or `json`.
    #[arg(long)]
    pub format: Option<String>,
}

/// `system` subcommands.
#[derive(Subcommand, Debug)]
pub enum SystemCommand {
    /// Show disk usage.
    Df(SystemDfArgs),
    /// Remove stopped containers, dangling images (and more with flags).
    Prune(SystemPruneArgs),
    /// Find (and with --repair, fix) what crashed commands left behind.
    Check(SystemCheckArgs),
    /// Show system-wide information.
    Info(InfoArgs),
    /// Show events.
    Events(EventsArgs),
    /// Serve the Docker Engine API on a socket (for docker, docker-compose, docker-py, ...).
    Service(SystemServiceArgs),
}

/// `system service`.
#[derive(Args, Debug)]
pub struct SystemServiceArgs {
    /// Seconds without a connection before the service exits (0: never).
    #[arg(short = 't', long = "time", default_value_t = 5)]
    pub time: u64,
    /// Require TLS with client certificates (needed for tcp://).
    #[arg(long)]
    pub tlsverify: bool,
    /// The CA that client certificates must be signed by.
    #[arg(long)]
    pub tlscacert: Option<std::path::PathBuf>,
    /// The service's TLS certificate.
    #[arg(long)]
    pub tlscert: Option<std::path::PathBuf>,
    /// The service's TLS key.
    #[arg(long)]
    pub tlskey: Option<std::path::PathBuf>,
    /// Where to listen: unix:///run/berth/berth.sock (default), tcp://HOST:PORT (TLS with
    /// client certificates only) or fd:// (the socket passed by systemd socket activation,
    /// which is used whenever one is passed).
    pub uri: Option<String>,
}

/// `system df`.
#[derive(Args, Debug)]
pub struct SystemDfArgs {
    /// Per-image, per-container and per-volume details.
    #[arg(short, long)]
    pub verbose: bool,
    /// Go template, `table ...` or `json`.
    #[arg(long)]
    pub format: Option<String>,
}

/// `system prune`.
#[derive(Args, Debug)]
pub struct SystemPruneArgs {
    /// Every unused image, not only dangling ones.
    #[arg(short, long)]
    pub all: bool,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub force: bool,
    /// Unused anonymous volumes too.
    #[arg(long)]
    pub volumes: bool,
    /// Filters: `until=<time>`, `label=<key>[=<value>]`, `label!=...`.
    #[arg(long)]
    pub filter: Vec<String>,
}

/// `system check`.
#[derive(Args, Debug)]
pub struct SystemCheckArgs {
    /// Repair what is found.
    #[arg(long)]
    pub repair: bool,
}
