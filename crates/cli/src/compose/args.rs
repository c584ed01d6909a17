//! `berth compose`'s grammar (clap): docker compose v2's global options, subcommands and
//! flags.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `compose [OPTIONS] COMMAND`.
#[derive(Args, Debug)]
#[command(disable_help_subcommand = true)]
pub struct ComposeCli {
    /// Options before the command.
    #[command(flatten)]
    pub opts: ProjectOptions,
    /// The command.
    #[command(subcommand)]
    pub command: ComposeCommand,
}

/// Options that choose the project.
#[derive(Args, Debug, Clone, Default)]
pub struct ProjectOptions {
    /// Compose configuration files (`-` reads standard input).
    #[arg(short = 'f', long = "file")]
    pub files: Vec<PathBuf>,
    /// Project name.
    #[arg(short = 'p', long = "project-name")]
    pub project_name: Option<String>,
    /// Alternate working directory (default: the first file's directory).
    #[arg(long)]
    pub project_directory: Option<PathBuf>,
    /// Alternate environment files.
    #[arg(long = "env-file")]
    pub env_files: Vec<PathBuf>,
    /// Profiles to enable.
    #[arg(long = "profile")]
    pub profiles: Vec<String>,
    /// When to print control characters (never, always, auto).
    #[arg(long, default_value = "auto")]
    pub ansi: String,
    /// Progress output type (auto, tty, plain, json, quiet); accepted.
    #[arg(long)]
    pub progress: Option<String>,
    /// Maximum parallelism (-1: unlimited); accepted.
    #[arg(long)]
    pub parallel: Option<i64>,
    /// Run compatibility mode (`_` in container names); accepted.
    #[arg(long)]
    pub compatibility: bool,
    /// Execute in dry-run mode; accepted (nothing is changed only for `config`).
    #[arg(long)]
    pub dry_run: bool,
}

/// Every `compose` command.
#[derive(Subcommand, Debug)]
pub enum ComposeCommand {
    /// Create and start containers.
    Up(UpArgs),
    /// Stop and remove containers and networks.
    Down(DownArgs),
    /// List containers.
    Ps(PsArgs),
    /// View output from containers.
    Logs(LogsArgs),
    /// Execute a command in a running container.
    Exec(ExecArgs),
    /// Run a one-off command on a service.
    Run(Box<RunArgs>),
    /// Build or rebuild services.
    Build(BuildArgs),
    /// Pull service images.
    Pull(PullArgs),
    /// Push service images.
    Push(PushArgs),
    /// Parse, resolve and render the compose file in canonical format.
    #[command(alias = "convert")]
    Config(ConfigArgs),
    /// Create containers for services.
    Create(CreateArgs),
    /// Start services.
    Start(ServicesArgs),
    /// Stop services.
    Stop(TimeoutArgs),
    /// Restart services.
    Restart(RestartArgs),
    /// Remove stopped service containers.
    Rm(RmArgs),
    /// Force stop service containers.
    Kill(KillArgs),
    /// Pause services.
    Pause(ServicesArgs),
    /// Unpause services.
    Unpause(ServicesArgs),
    /// Display the running processes.
    Top(ServicesArgs),
    /// List images used by the created containers.
    Images(ImagesArgs),
    /// Print the public port for a port binding.
    Port(PortArgs),
    /// Receive real-time events from containers.
    Events(EventsArgs),
    /// List running compose projects.
    Ls(LsArgs),
    /// Copy files between a service container and the local filesystem.
    Cp(CpArgs),
    /// Block until the first service container stops.
    Wait(WaitArgs),
    /// Show the compose version information.
    Version(VersionArgs),
}

/// Service names.
#[derive(Args, Debug, Default)]
pub struct ServicesArgs {
    /// Services (all when none).
    pub services: Vec<String>,
}

/// `up`.
#[derive(Args, Debug, Default)]
pub struct UpArgs {
    /// Detached mode: run containers in the background.
    #[arg(short, long)]
    pub detach: bool,
    /// Build images before starting containers.
    #[arg(long)]
    pub build: bool,
    /// Don't build an image, even if it's missing.
    #[arg(long)]
    pub no_build: bool,
    /// Pull image before running ("always", "missing", "never").
    #[arg(long)]
    pub pull: Option<String>,
    /// Wait for services to be running|healthy. Implies detached mode.
    #[arg(long)]
    pub wait: bool,
    /// Maximum duration to wait for the project to be running|healthy (seconds).
    #[arg(long)]
    pub wait_timeout: Option<u64>,
    /// Recreate containers even if their configuration and image haven't changed.
    #[arg(long)]
    pub force_recreate: bool,
    /// If containers already exist, don't recreate them.
    #[arg(long)]
    pub no_recreate: bool,
    /// Recreate dependent containers.
    #[arg(long)]
    pub always_recreate_deps: bool,
    /// Remove containers for services not defined in the Compose file.
    #[arg(long)]
    pub remove_orphans: bool,
    /// Stops all containers if any container was stopped.
    #[arg(long)]
    pub abort_on_container_exit: bool,
    /// Stops all containers if any container exited with failure.
    #[arg(long)]
    pub abort_on_container_failure: bool,
    /// Return the exit code of the selected service container (implies
    /// --abort-on-container-exit).
    #[arg(long)]
    pub exit_code_from: Option<String>,
    /// Scale SERVICE to NUM instances (`SERVICE=NUM`).
    #[arg(long)]
    pub scale: Vec<String>,
    /// Don't start linked services.
    #[arg(long)]
    pub no_deps: bool,
    /// Don't start the services after creating them.
    #[arg(long)]
    pub no_start: bool,
    /// Shutdown timeout in seconds.
    #[arg(short = 't', long)]
    pub timeout: Option<i64>,
    /// Restrict attaching to the specified services.
    #[arg(long)]
    pub attach: Vec<String>,
    /// Do not attach (stream logs) to the specified services.
    #[arg(long)]
    pub no_attach: Vec<String>,
    /// Automatically attach to log output of dependent services.
    #[arg(long)]
    pub attach_dependencies: bool,
    /// Don't print prefix in logs.
    #[arg(long)]
    pub no_log_prefix: bool,
    /// Produce monochrome output.
    #[arg(long)]
    pub no_color: bool,
    /// Show timestamps.
    #[arg(long)]
    pub timestamps: bool,
    /// Recreate anonymous volumes instead of retrieving data from the previous containers.
    #[arg(short = 'V', long)]
    pub renew_anon_volumes: bool,
    /// Assume "yes" as answer to all prompts.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Services.
    pub services: Vec<String>,
}

/// `create`.
#[derive(Args, Debug, Default)]
pub struct CreateArgs {
    /// Build images before starting containers.
    #[arg(long)]
    pub build: bool,
    /// Don't build an image, even if it's missing.
    #[arg(long)]
    pub no_build: bool,
    /// Pull image before running ("always", "missing", "never").
    #[arg(long)]
    pub pull: Option<String>,
    /// Recreate containers even if their configuration and image haven't changed.
    #[arg(long)]
    pub force_recreate: bool,
    /// If containers already exist, don't recreate them.
    #[arg(long)]
    pub no_recreate: bool,
    /// Remove containers for services not defined in the Compose file.
    #[arg(long)]
    pub remove_orphans: bool,
    /// Scale SERVICE to NUM instances.
    #[arg(long)]
    pub scale: Vec<String>,
    /// Assume "yes" as answer to all prompts.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Services.
    pub services: Vec<String>,
}

/// `down`.
#[derive(Args, Debug, Default)]
pub struct DownArgs {
    /// Remove named volumes declared in the "volumes" section and anonymous volumes.
    #[arg(short, long)]
    pub volumes: bool,
    /// Remove images used by services ("local" or "all").
    #[arg(long)]
    pub rmi: Option<String>,
    /// Remove containers for services not defined in the Compose file.
    #[arg(long)]
    pub remove_orphans: bool,
    /// Shutdown timeout in seconds.
    #[arg(short = 't', long)]
    pub timeout: Option<i64>,
    /// Services.
    pub services: Vec<String>,
}

/// `ps`.
#[derive(Args, Debug, Default)]
pub struct PsArgs {
    /// Show all stopped containers.
    #[arg(short, long)]
    pub all: bool,
    /// Only display IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Display services.
    #[arg(long)]
    pub services: bool,
    /// Format: table, json or a Go template.
    #[arg(long)]
    pub format: Option<String>,
    /// Filter services by a property (`status=running`).
    #[arg(long)]
    pub filter: Option<String>,
    /// Filter services by status.
    #[arg(long)]
    pub status: Vec<String>,
    /// Don't truncate output.
    #[arg(long)]
    pub no_trunc: bool,
    /// Include orphaned services.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub orphans: bool,
    /// Services.
    #[arg(value_name = "SERVICE")]
    pub names: Vec<String>,
}

/// `logs`.
#[derive(Args, Debug, Default, Clone)]
pub struct LogsArgs {
    /// Follow log output.
    #[arg(short, long)]
    pub follow: bool,
    /// Number of lines to show from the end of the logs for each container.
    #[arg(short = 'n', long)]
    pub tail: Option<String>,
    /// Show timestamps.
    #[arg(short, long)]
    pub timestamps: bool,
    /// Show logs since a timestamp or relative time.
    #[arg(long)]
    pub since: Option<String>,
    /// Show logs before a timestamp or relative time.
    #[arg(long)]
    pub until: Option<String>,
    /// Don't print prefix in logs.
    #[arg(long)]
    pub no_log_prefix: bool,
    /// Produce monochrome output.
    #[arg(long)]
    pub no_color: bool,
    /// Index of the container if the service has multiple replicas.
    #[arg(long)]
    pub index: Option<u32>,
    /// Services.
    pub services: Vec<String>,
}

/// `exec`.
#[derive(Args, Debug, Default)]
#[command(trailing_var_arg = true)]
pub struct ExecArgs {
    /// Detached mode.
    #[arg(short, long)]
    pub detach: bool,
    /// Set environment variables.
    #[arg(short, long)]
    pub env: Vec<String>,
    /// Index of the container if the service has multiple replicas.
    #[arg(long, default_value_t = 1)]
    pub index: u32,
    /// Disable pseudo-TTY allocation.
    #[arg(short = 'T', long = "no-TTY")]
    pub no_tty: bool,
    /// Give extended privileges to the process.
    #[arg(long)]
    pub privileged: bool,
    /// Run the command as this user.
    #[arg(short, long)]
    pub user: Option<String>,
    /// Path to workdir directory for this command.
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// Keep STDIN open (the default).
    #[arg(short, long, default_value_t = true)]
    pub interactive: bool,
    /// The service.
    pub service: String,
    /// The command and its arguments.
    #[arg(required = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// `run`.
#[derive(Args, Debug, Default)]
#[command(trailing_var_arg = true)]
pub struct RunArgs {
    /// Run container in background and print container ID.
    #[arg(short, long)]
    pub detach: bool,
    /// Set environment variables.
    #[arg(short, long)]
    pub env: Vec<String>,
    /// Read in a file of environment variables.
    #[arg(long)]
    pub env_from_file: Vec<PathBuf>,
    /// Override the entrypoint of the image.
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Add or override a label.
    #[arg(short, long)]
    pub label: Vec<String>,
    /// Assign a name to the container.
    #[arg(long)]
    pub name: Option<String>,
    /// Disable pseudo-TTY allocation.
    #[arg(short = 'T', long = "no-TTY")]
    pub no_tty: bool,
    /// Don't start linked services.
    #[arg(long)]
    pub no_deps: bool,
    /// Publish a container's port(s) to the host.
    #[arg(short, long)]
    pub publish: Vec<String>,
    /// Automatically remove the container when it exits.
    #[arg(long)]
    pub rm: bool,
    /// Run command with all service's ports enabled and mapped to the host.
    #[arg(short = 'P', long)]
    pub service_ports: bool,
    /// Use the service's network aliases in the network(s) the container connects to.
    #[arg(long)]
    pub use_aliases: bool,
    /// Run as specified username or uid.
    #[arg(short, long)]
    pub user: Option<String>,
    /// Bind mount a volume.
    #[arg(short, long)]
    pub volume: Vec<String>,
    /// Working directory inside the container.
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// Keep STDIN open even if not attached (the default).
    #[arg(short, long, default_value_t = true)]
    pub interactive: bool,
    /// Build image before starting container.
    #[arg(long)]
    pub build: bool,
    /// Pull image before running ("always", "missing", "never").
    #[arg(long)]
    pub pull: Option<String>,
    /// Don't start the service's dependencies' containers (accepted alias of --no-deps).
    #[arg(long)]
    pub quiet_pull: bool,
    /// Remove containers for services not defined in the Compose file.
    #[arg(long)]
    pub remove_orphans: bool,
    /// The service.
    pub service: String,
    /// The command and its arguments.
    #[arg(allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// `build`.
#[derive(Args, Debug, Default)]
pub struct BuildArgs {
    /// Set build-time variables for services.
    #[arg(long)]
    pub build_arg: Vec<String>,
    /// Do not use cache when building the image.
    #[arg(long)]
    pub no_cache: bool,
    /// Always attempt to pull a newer version of the image.
    #[arg(long)]
    pub pull: bool,
    /// Push service images.
    #[arg(long)]
    pub push: bool,
    /// Don't print anything to STDOUT.
    #[arg(short, long)]
    pub quiet: bool,
    /// Also build dependencies.
    #[arg(long)]
    pub with_dependencies: bool,
    /// Services.
    pub services: Vec<String>,
}

/// `pull`.
#[derive(Args, Debug, Default)]
pub struct PullArgs {
    /// Ignore images that can be built.
    #[arg(long)]
    pub ignore_buildable: bool,
    /// Pull what it can and ignores images with pull failures.
    #[arg(long)]
    pub ignore_pull_failures: bool,
    /// Also pull services declared as dependencies.
    #[arg(long)]
    pub include_deps: bool,
    /// Pull without printing progress information.
    #[arg(short, long)]
    pub quiet: bool,
    /// Apply pull policy ("missing"|"always").
    #[arg(long)]
    pub policy: Option<String>,
    /// Services.
    pub services: Vec<String>,
}

/// `push`.
#[derive(Args, Debug, Default)]
pub struct PushArgs {
    /// Push what it can and ignores images with push failures.
    #[arg(long)]
    pub ignore_push_failures: bool,
    /// Also push images of services declared as dependencies.
    #[arg(long)]
    pub include_deps: bool,
    /// Push without printing progress information.
    #[arg(short, long)]
    pub quiet: bool,
    /// Services.
    pub services: Vec<String>,
}

/// `config`.
#[derive(Args, Debug, Default)]
pub struct ConfigArgs {
    /// Format the output (yaml or json).
    #[arg(long)]
    pub format: Option<String>,
    /// Only validate the configuration, don't print anything.
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the service names, one per line.
    #[arg(long)]
    pub services: bool,
    /// Print the volume names, one per line.
    #[arg(long)]
    pub volumes: bool,
    /// Print the network names, one per line.
    #[arg(long)]
    pub networks: bool,
    /// Print the profile names, one per line.
    #[arg(long)]
    pub profiles: bool,
    /// Print the image names, one per line.
    #[arg(long)]
    pub images: bool,
    /// Print the service config hash, one per line (`*` for all services).
    #[arg(long)]
    pub hash: Option<String>,
    /// Don't interpolate environment variables (accepted; berth always interpolates).
    #[arg(long)]
    pub no_interpolate: bool,
    /// Save to file (default to stdout).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Services.
    pub service_names: Vec<String>,
}

/// `stop` and friends.
#[derive(Args, Debug, Default)]
pub struct TimeoutArgs {
    /// Specify a shutdown timeout in seconds.
    #[arg(short = 't', long)]
    pub timeout: Option<i64>,
    /// Services.
    pub services: Vec<String>,
}

/// `restart`.
#[derive(Args, Debug, Default)]
pub struct RestartArgs {
    /// Specify a shutdown timeout in seconds.
    #[arg(short = 't', long)]
    pub timeout: Option<i64>,
    /// Don't restart dependent services.
    #[arg(long)]
    pub no_deps: bool,
    /// Services.
    pub services: Vec<String>,
}

/// `rm`.
#[derive(Args, Debug, Default)]
pub struct RmArgs {
    /// Don't ask to confirm removal.
    #[arg(short, long)]
    pub force: bool,
    /// Stop the containers, if required, before removing.
    #[arg(short, long)]
    pub stop: bool,
    /// Remove any anonymous volumes attached to containers.
    #[arg(short, long)]
    pub volumes: bool,
    /// Services.
    pub services: Vec<String>,
}

/// `kill`.
#[derive(Args, Debug, Default)]
pub struct KillArgs {
    /// SIGNAL to send to the container.
    #[arg(short, long, default_value = "SIGKILL")]
    pub signal: String,
    /// Remove containers for services not defined in the Compose file.
    #[arg(long)]
    pub remove_orphans: bool,
    /// Services.
    pub services: Vec<String>,
}

/// `images`.
#[derive(Args, Debug, Default)]
pub struct ImagesArgs {
    /// Format the output (table or json).
    #[arg(long)]
    pub format: Option<String>,
    /// Only display IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Services.
    pub services: Vec<String>,
}

/// `port`.
#[derive(Args, Debug, Default)]
pub struct PortArgs {
    /// Index of the container if the service has multiple replicas.
    #[arg(long, default_value_t = 1)]
    pub index: u32,
    /// tcp or udp.
    #[arg(long, default_value = "tcp")]
    pub protocol: String,
    /// The service.
    pub service: String,
    /// The private port.
    pub private_port: u16,
}

/// `events`.
#[derive(Args, Debug, Default)]
pub struct EventsArgs {
    /// Output events as a stream of json objects.
    #[arg(long)]
    pub json: bool,
    /// Show all events created since timestamp.
    #[arg(long)]
    pub since: Option<String>,
    /// Stream events until this timestamp.
    #[arg(long)]
    pub until: Option<String>,
    /// Services.
    pub services: Vec<String>,
}

/// `ls`.
#[derive(Args, Debug, Default)]
pub struct LsArgs {
    /// Show all stopped Compose projects.
    #[arg(short, long)]
    pub all: bool,
    /// Filter output based on conditions provided (`name=...`).
    #[arg(long)]
    pub filter: Vec<String>,
    /// Format the output (table or json).
    #[arg(long)]
    pub format: Option<String>,
    /// Only display project names.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `cp`.
#[derive(Args, Debug, Default)]
pub struct CpArgs {
    /// Index of the container if the service has multiple replicas.
    #[arg(long)]
    pub index: Option<u32>,
    /// Include containers created by the run command.
    #[arg(long)]
    pub all: bool,
    /// Archive mode (copy all uid/gid information).
    #[arg(short, long)]
    pub archive: bool,
    /// Always follow symbol link in SRC_PATH.
    #[arg(short = 'L', long)]
    pub follow_link: bool,
    /// `SERVICE:SRC_PATH` or a local path.
    pub source: String,
    /// `SERVICE:DEST_PATH` or a local path.
    pub destination: String,
}

/// `wait`.
#[derive(Args, Debug, Default)]
pub struct WaitArgs {
    /// Drops project when the first container stops.
    #[arg(long)]
    pub down_project: bool,
    /// Services.
    #[arg(required = true)]
    pub services: Vec<String>,
}

/// `version`.
#[derive(Args, Debug, Default)]
pub struct VersionArgs {
    /// Format the output (pretty or json).
    #[arg(short, long)]
    pub format: Option<String>,
    /// Shows only the version number.
    #[arg(long)]
    pub short: bool,
}
