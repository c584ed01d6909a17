//! runc's command-line surface, as clap types.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Long flags runc (urfave/cli) also accepts with a single dash, e.g. `-bundle`.
const LONG_FLAGS: &[&str] = &[
    "root",
    "log",
    "log-format",
    "debug",
    "systemd-cgroup",
    "criu",
    "rootless",
    "bundle",
    "pid-file",
    "console-socket",
    "no-pivot",
    "no-new-keyring",
    "preserve-fds",
    "detach",
    "force",
    "all",
    "format",
    "process",
    "cwd",
    "env",
    "tty",
    "user",
    "additional-gids",
    "no-new-privs",
    "cap",
    "resources",
    "keep",
    "quiet",
];

/// Rewrites `-bundle` style flags to `--bundle` so clap accepts them.
pub fn normalize_single_dash(args: Vec<OsString>) -> Vec<OsString> {
    args.into_iter()
        .map(|a| {
            let Some(s) = a.to_str() else { return a };
            if let Some(rest) = s.strip_prefix('-') {
                if !rest.starts_with('-') {
                    let name = rest.split('=').next().unwrap_or("");
                    if LONG_FLAGS.contains(&name) {
                        return OsString::from(format!("-{s}"));
                    }
                }
            }
            a
        })
        .collect()
}

/// runc-compatible OCI runtime.
#[derive(Debug, Parser)]
#[command(
    name = "berth-runc",
    version,
    about = "berth's OCI runtime (runc-compatible command line)"
)]
pub struct Cli {
    /// Root directory for container state.
    #[arg(long, global = true, default_value = berth_runtime::ops::DEFAULT_ROOT)]
    pub root: PathBuf,
    /// Log file for errors.
    #[arg(long, global = true)]
    pub log: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(long = "log-format", global = true, default_value = "text")]
    pub log_format: String,
    /// Accepted for compatibility.
    #[arg(long, global = true)]
    pub debug: bool,
    /// Accepted for compatibility (cgroupsPath in slice:prefix:name form is understood).
    #[arg(long = "systemd-cgroup", global = true)]
    pub systemd_cgroup: bool,
    /// Accepted for compatibility.
    #[arg(long, global = true)]
    pub criu: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags shared by `create` and `run`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Bundle directory (default: current directory).
    #[arg(short, long, default_value = ".")]
    pub bundle: PathBuf,
    /// Unix socket that receives the pty master.
    #[arg(long = "console-socket")]
    pub console_socket: Option<PathBuf>,
    /// File to write the container's pid to.
    #[arg(long = "pid-file")]
    pub pid_file: Option<PathBuf>,
    /// Do not use pivot_root.
    #[arg(long = "no-pivot")]
    pub no_pivot: bool,
    /// Do not create a new session keyring.
    #[arg(long = "no-new-keyring")]
    pub no_new_keyring: bool,
    /// Pass this many extra fds (from 3) to the process.
    #[arg(long = "preserve-fds", default_value_t = 0)]
    pub preserve_fds: u32,
    /// Container id.
    pub id: String,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a default config.json.
    Spec {
        /// Bundle directory.
        #[arg(short, long)]
        bundle: Option<PathBuf>,
        /// A spec for an unprivileged user.
        #[arg(long)]
        rootless: bool,
    },
    /// Create a container (the process waits for `start`).
    Create(CreateArgs),
    /// Start a created container.
    Start {
        /// Container id.
        id: String,
    },
    /// Create and start a container.
    Run {
        #[command(flatten)]
        create: CreateArgs,
        /// Detach from the container's process.
        #[arg(short, long)]
        detach: bool,
        /// Keep the container after it exits.
        #[arg(long)]
        keep: bool,
    },
    /// Print the state of a container as JSON.
    State {
        /// Container id.
        id: String,
    },
    /// Send a signal to a container (default SIGTERM).
    Kill {
        /// Signal every process in the container.
        #[arg(short, long)]
        all: bool,
        /// Container id.
        id: String,
        /// Signal name or number.
        signal: Option<String>,
    },
    /// Delete a container.
    Delete {
        /// Kill it first if it is running.
        #[arg(short, long)]
        force: bool,
        /// Container id.
        id: String,
    },
    /// Run a process in a running container.
    Exec(ExecArgs),
    /// List a container's processes.
    Ps {
        /// table or json.
        #[arg(short, long, default_value = "table")]
        format: String,
        /// Container id.
        id: String,
        /// Arguments for ps(1).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        ps_args: Vec<String>,
    },
    /// List containers.
    #[command(alias = "ls")]
    List {
        /// table or json.
        #[arg(short, long, default_value = "table")]
        format: String,
        /// Ids only.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Freeze a container's processes.
    Pause {
        /// Container id.
        id: String,
    },
    /// Thaw a paused container.
    Resume {
        /// Container id.
        id: String,
    },
    /// Change a container's resource limits.
    Update(UpdateArgs),
    /// Print the features this runtime supports.
    Features,
    /// Not supported (no CRIU here).
    Checkpoint {
        /// Ignored.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        rest: Vec<String>,
    },
    /// Not supported (no CRIU here).
    Restore {
        /// Ignored.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        rest: Vec<String>,
    },
    /// Not supported yet.
    Events {
        /// Ignored.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        rest: Vec<String>,
    },
}

/// `exec` flags.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Unix socket that receives the pty master.
    #[arg(long = "console-socket")]
    pub console_socket: Option<PathBuf>,
    /// Working directory.
    #[arg(long)]
    pub cwd: Option<PathBuf>,
    /// Extra environment variables.
    #[arg(short, long)]
    pub env: Vec<String>,
    /// Allocate a pseudo-TTY.
    #[arg(short, long)]
    pub tty: bool,
    /// uid[:gid].
    #[arg(short, long)]
    pub user: Option<String>,
    /// Additional gids.
    #[arg(short = 'g', long = "additional-gids")]
    pub additional_gids: Vec<u32>,
    /// A process.json.
    #[arg(short, long)]
    pub process: Option<PathBuf>,
    /// Detach.
    #[arg(short, long)]
    pub detach: bool,
    /// File to write the process's pid to.
    #[arg(long = "pid-file")]
    pub pid_file: Option<PathBuf>,
    /// Accepted for compatibility.
    #[arg(long = "process-label")]
    pub process_label: Option<String>,
    /// Accepted for compatibility.
    #[arg(long)]
    pub apparmor: Option<String>,
    /// Set no_new_privs.
    #[arg(long = "no-new-privs")]
    pub no_new_privs: bool,
    /// Add a capability.
    #[arg(short, long)]
    pub cap: Vec<String>,
    /// Pass this many extra fds.
    #[arg(long = "preserve-fds", default_value_t = 0)]
    pub preserve_fds: u32,
    /// Accepted for compatibility.
    #[arg(long = "ignore-paused")]
    pub ignore_paused: bool,
    /// Accepted for compatibility.
    #[arg(long)]
    pub cgroup: Option<String>,
    /// Container id.
    pub id: String,
    /// Command and arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// `update` flags.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Resources JSON file (`-` for stdin).
    #[arg(short, long)]
    pub resources: Option<PathBuf>,
    /// Block IO weight.
    #[arg(long = "blkio-weight")]
    pub blkio_weight: Option<u16>,
    /// CPU CFS period.
    #[arg(long = "cpu-period")]
    pub cpu_period: Option<u64>,
    /// CPU CFS quota.
    #[arg(long = "cpu-quota")]
    pub cpu_quota: Option<i64>,
    /// CPU shares.
    #[arg(long = "cpu-share")]
    pub cpu_share: Option<u64>,
    /// Realtime period.
    #[arg(long = "cpu-rt-period")]
    pub cpu_rt_period: Option<u64>,
    /// Realtime runtime.
    #[arg(long = "cpu-rt-runtime")]
    pub cpu_rt_runtime: Option<i64>,
    /// CPUs.
    #[arg(long = "cpuset-cpus")]
    pub cpuset_cpus: Option<String>,
    /// Memory nodes.
    #[arg(long = "cpuset-mems")]
    pub cpuset_mems: Option<String>,
    /// Memory limit (e.g. 100m).
    #[arg(long)]
    pub memory: Option<String>,
    /// Memory reservation.
    #[arg(long = "memory-reservation")]
    pub memory_reservation: Option<String>,
    /// Memory plus swap limit.
    #[arg(long = "memory-swap")]
    pub memory_swap: Option<String>,
    /// Max pids.
    #[arg(long = "pids-limit")]
    pub pids_limit: Option<i64>,
    /// Container id.
    pub id: String,
}
