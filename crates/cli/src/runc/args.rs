//! runc's command-line surface, parsed by hand.
//!
//! The runtime path is latency- and memory-critical (a container start is measured against
//! crun): clap's derive parser added ~0.8 MiB of peak RSS to every `berth-runc` call, so this
//! small table-driven parser replaces it here (see docs/PERFORMANCE.md). It accepts what
//! runc's urfave/cli does: `--flag value`, `--flag=value`, single-dash long flags (`-bundle`),
//! short flags, repeated flags, and `--` to end the flags.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;

use super::flags::{self, CommandSpec, Flag, GLOBAL};
use super::help;

/// The default `--root`.
const DEFAULT_ROOT: &str = berth_runtime::ops::DEFAULT_ROOT;

/// A parse result that is not a command to run.
#[derive(Debug)]
pub enum Exit {
    /// Help or version text for stdout (exit 0).
    Info(String),
    /// A usage error for stderr (exit 1).
    Usage(String),
}

/// Global options and the command.
#[derive(Debug)]
pub struct Cli {
    /// Root directory for container state.
    pub root: PathBuf,
    /// Log file for errors.
    pub log: Option<PathBuf>,
    /// Log format: text or json.
    pub log_format: String,
    /// The criu binary (`--criu`).
    pub criu: Option<PathBuf>,
    /// The command.
    pub command: Command,
}

/// Flags shared by `create` and `run`.
#[derive(Debug)]
pub struct CreateArgs {
    /// Bundle directory.
    pub bundle: PathBuf,
    /// Unix socket that receives the pty master.
    pub console_socket: Option<PathBuf>,
    /// File to write the container's pid to.
    pub pid_file: Option<PathBuf>,
    /// Do not use pivot_root.
    pub no_pivot: bool,
    /// Do not create a new session keyring.
    pub no_new_keyring: bool,
    /// Extra fds (from 3) to pass to the process.
    pub preserve_fds: u32,
    /// Container id.
    pub id: String,
}

/// `exec` flags.
#[derive(Debug)]
pub struct ExecArgs {
    /// Unix socket that receives the pty master.
    pub console_socket: Option<PathBuf>,
    /// Working directory.
    pub cwd: Option<PathBuf>,
    /// Extra environment variables.
    pub env: Vec<String>,
    /// Allocate a pseudo-TTY.
    pub tty: bool,
    /// uid[:gid].
    pub user: Option<String>,
    /// Additional gids.
    pub additional_gids: Vec<u32>,
    /// A process.json.
    pub process: Option<PathBuf>,
    /// Detach.
    pub detach: bool,
    /// File to write the process's pid to.
    pub pid_file: Option<PathBuf>,
    /// Set no_new_privs.
    pub no_new_privs: bool,
    /// Extra capabilities.
    pub cap: Vec<String>,
    /// Extra fds to pass.
    pub preserve_fds: u32,
    /// Container id.
    pub id: String,
    /// Command and arguments.
    pub command: Vec<String>,
}

/// `checkpoint` flags.
#[derive(Debug)]
pub struct CheckpointArgs {
    /// Where the images go.
    pub image_path: Option<PathBuf>,
    /// Where criu's work files and log go.
    pub work_path: Option<PathBuf>,
    /// Keep the container running.
    pub leave_running: bool,
    /// Dump established TCP connections.
    pub tcp_established: bool,
    /// Allow external unix sockets.
    pub ext_unix_sk: bool,
    /// Allow a shell job (a process attached to a terminal outside).
    pub shell_job: bool,
    /// Dump file locks.
    pub file_locks: bool,
    /// Container id.
    pub id: String,
}

/// `restore` flags.
#[derive(Debug)]
pub struct RestoreArgs {
    /// Where the images are.
    pub image_path: Option<PathBuf>,
    /// Where criu's work files and log go.
    pub work_path: Option<PathBuf>,
    /// Bundle directory.
    pub bundle: PathBuf,
    /// Do not wait for the restored container.
    pub detach: bool,
    /// File to write the restored init's pid to.
    pub pid_file: Option<PathBuf>,
    /// Console socket (a terminal container).
    pub console_socket: Option<PathBuf>,
    /// Restore established TCP connections.
    pub tcp_established: bool,
    /// Allow external unix sockets.
    pub ext_unix_sk: bool,
    /// Allow a shell job.
    pub shell_job: bool,
    /// Restore file locks.
    pub file_locks: bool,
    /// Container id.
    pub id: String,
}

/// `update` flags.
#[derive(Debug, Default)]
pub struct UpdateArgs {
    /// Resources JSON file (`-` for stdin).
    pub resources: Option<PathBuf>,
    /// Block IO weight.
    pub blkio_weight: Option<u16>,
    /// CPU CFS period.
    pub cpu_period: Option<u64>,
    /// CPU CFS quota.
    pub cpu_quota: Option<i64>,
    /// CPU shares.
    pub cpu_share: Option<u64>,
    /// Realtime period.
    pub cpu_rt_period: Option<u64>,
    /// Realtime runtime.
    pub cpu_rt_runtime: Option<i64>,
    /// CPUs.
    pub cpuset_cpus: Option<String>,
    /// Memory nodes.
    pub cpuset_mems: Option<String>,
    /// Memory limit (e.g. 100m).
    pub memory: Option<String>,
    /// Memory reservation.
    pub memory_reservation: Option<String>,
    /// Memory plus swap limit.
    pub memory_swap: Option<String>,
    /// Max pids.
    pub pids_limit: Option<i64>,
    /// Container id.
    pub id: String,
}

/// The commands.
#[derive(Debug)]
pub enum Command {
    /// Write a default config.json.
    Spec {
        bundle: Option<PathBuf>,
        rootless: bool,
    },
    /// Create a container.
    Create(CreateArgs),
    /// Start a created container.
    Start { id: String },
    /// Create and start a container.
    Run {
        create: CreateArgs,
        detach: bool,
        keep: bool,
    },
    /// Print the state.
    State { id: String },
    /// Send a signal.
    Kill {
        all: bool,
        id: String,
        signal: Option<String>,
    },
    /// Delete a container.
    Delete { force: bool, id: String },
    /// Run a process in a container.
    Exec(ExecArgs),
    /// List a container's processes.
    Ps {
        format: String,
        id: String,
        ps_args: Vec<String>,
    },
    /// List containers.
    List { format: String, quiet: bool },
    /// Freeze.
    Pause { id: String },
    /// Thaw.
    Resume { id: String },
    /// Change resources.
    Update(UpdateArgs),
    /// Print features.
    Features,
    /// Checkpoint with CRIU.
    Checkpoint(CheckpointArgs),
    /// Restore from a CRIU checkpoint.
    Restore(RestoreArgs),
    /// events: not supported.
    Unsupported(&'static str),
}

/// Flags seen (by canonical name) and positional arguments.
#[derive(Default)]
struct Parsed {
    flags: HashMap<&'static str, Vec<String>>,
    positional: Vec<String>,
}

impl Parsed {
    fn has(&self, name: &str) -> bool {
        self.flags.contains_key(name)
    }
    fn last(&self, name: &str) -> Option<String> {
        self.flags.get(name).and_then(|v| v.last().cloned())
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.flags.get(name).cloned().unwrap_or_default()
    }
    fn path(&self, name: &str) -> Option<PathBuf> {
        self.last(name).map(PathBuf::from)
    }
    fn num<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, Exit> {
        self.last(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| Exit::Usage(format!("invalid value {v:?} for --{name}")))
            })
            .transpose()
    }
}

/// Parses flags from `args[*i..]` until a positional argument (or the end). With
/// `stop_at_positional` the rest after the first positional is left for the caller.
fn parse_flags(
    args: &[String],
    i: &mut usize,
    table: &[&[Flag]],
    stop_at_positional: bool,
    out: &mut Parsed,
    cmd: Option<&CommandSpec>,
) -> Result<(), Exit> {
    while *i < args.len() {
        let a = &args[*i];
        if a == "--" {
            *i += 1;
            out.positional.extend(args[*i..].iter().cloned());
            *i = args.len();
            return Ok(());
        }
        if a == "-h" || a == "--help" {
            return Err(Exit::Info(cmd.map_or_else(help::global, help::command)));
        }
        let Some(body) = a
            .strip_prefix("--")
            .or_else(|| a.strip_prefix('-'))
            .filter(|b| !b.is_empty() && a != "-")
        else {
            if stop_at_positional {
                return Ok(());
            }
            out.positional.push(a.clone());
            *i += 1;
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        let flag = table
            .iter()
            .flat_map(|t| t.iter())
            .find(|f| f.0.contains(&name));
        let Some(flag) = flag else {
            if stop_at_positional
                && out.positional.is_empty()
                && !a.starts_with("--")
                && a.len() > 1
                && name.parse::<i64>().is_ok()
            {
                // A negative number is a positional (e.g. a signal), not a flag.
                return Ok(());
            }
            return Err(Exit::Usage(format!("flag provided but not defined: {a}")));
        };
        *i += 1;
        let value = if flag.1 {
            match inline {
                Some(v) => v,
                None => {
                    let v = args
                        .get(*i)
                        .cloned()
                        .ok_or_else(|| Exit::Usage(format!("flag needs an argument: {a}")))?;
                    *i += 1;
                    v
                }
            }
        } else {
            match inline.as_deref() {
                None | Some("true") => "true".into(),
                Some("false") => {
                    continue;
                }
                Some(v) => return Err(Exit::Usage(format!("invalid boolean value {v:?} for {a}"))),
            }
        };
        out.flags.entry(flag.0[0]).or_default().push(value);
    }
    Ok(())
}

/// Parses a runc command line (`args[0]` is the program name).
pub fn parse(args: Vec<OsString>) -> Result<Cli, Exit> {
    let args: Vec<String> = args
        .into_iter()
        .skip(1)
        .map(|a| {
            a.into_string()
                .map_err(|a| Exit::Usage(format!("argument {a:?} is not UTF-8")))
        })
        .collect::<Result<_, _>>()?;
    if args
        .first()
        .is_some_and(|a| a == "--version" || a == "-v" || a == "version")
    {
        return Err(Exit::Info(format!(
            "berth-runc version {}\nspec: {}\n",
            env!("CARGO_PKG_VERSION"),
            berth_runtime::state::OCI_VERSION
        )));
    }
    let mut i = 0;
    let mut global = Parsed::default();
    parse_flags(&args, &mut i, &[GLOBAL], true, &mut global, None)?;
    let log_format = global.last("log-format").unwrap_or_else(|| "text".into());
    let Some(name) = args.get(i).cloned() else {
        return Err(Exit::Usage(help::global()));
    };
    i += 1;
    if name == "help" || name == "h" {
        let text = match args.get(i) {
            Some(c) => help::command(flags::command(c).ok_or_else(|| no_such_command(c))?),
            None => help::global(),
        };
        return Err(Exit::Info(text));
    }
    let spec = flags::command(&name).ok_or_else(|| no_such_command(&name))?;
    let table: &[&[Flag]] = &[spec.flags, GLOBAL];
    let mut p = Parsed::default();
    // exec and ps take free-form arguments after the id: stop parsing flags there.
    let free_tail = matches!(spec.name, "exec" | "ps");
    parse_flags(&args, &mut i, table, free_tail, &mut p, Some(spec))?;
    if free_tail {
        p.positional.extend(args[i..].iter().cloned());
        // Flags may also sit between the id and the command in runc; only before the id here.
    }
    for (k, v) in std::mem::take(&mut p.flags) {
        if GLOBAL.iter().any(|f| f.0[0] == k) && !spec.flags.iter().any(|f| f.0[0] == k) {
            global.flags.entry(k).or_default().extend(v);
        } else {
            p.flags.insert(k, v);
        }
    }
    // After the command's own flags, which may repeat it (`create --log-format json`).
    let log_format = global.last("log-format").unwrap_or(log_format);
    if log_format != "text" && log_format != "json" {
        return Err(Exit::Usage(format!("invalid log-format: {log_format}")));
    }
    let command = build_command(spec.name, &p)?;
    Ok(Cli {
        root: global
            .path("root")
            .unwrap_or_else(|| PathBuf::from(DEFAULT_ROOT)),
        log: global.path("log"),
        log_format,
        criu: global.path("criu"),
        command,
    })
}

fn no_such_command(name: &str) -> Exit {
    Exit::Usage(format!("no such command {name:?}\n\n{}", help::global()))
}

/// The first positional argument: the container id.
fn id(cmd: &str, p: &Parsed) -> Result<String, Exit> {
    p.positional
        .first()
        .cloned()
        .ok_or_else(|| Exit::Usage(format!("{cmd}: a container id is required")))
}

fn create_args(p: &Parsed) -> Result<CreateArgs, Exit> {
    Ok(CreateArgs {
        bundle: p.path("bundle").unwrap_or_else(|| PathBuf::from(".")),
        console_socket: p.path("console-socket"),
        pid_file: p.path("pid-file"),
        no_pivot: p.has("no-pivot"),
        no_new_keyring: p.has("no-new-keyring"),
        preserve_fds: p.num("preserve-fds")?.unwrap_or(0),
        id: id("create", p)?,
    })
}

/// The command `cmd` (a canonical name from [`flags::COMMANDS`]) from its parsed flags.
fn build_command(cmd: &str, p: &Parsed) -> Result<Command, Exit> {
    let id = |p: &Parsed| id(cmd, p);
    Ok(match cmd {
        "spec" => Command::Spec {
            bundle: p.path("bundle"),
            rootless: p.has("rootless"),
        },
        "create" => Command::Create(create_args(p)?),
        "run" => Command::Run {
            create: create_args(p)?,
            detach: p.has("detach"),
            keep: p.has("keep"),
        },
        "start" => Command::Start { id: id(p)? },
        "state" => Command::State { id: id(p)? },
        "kill" => Command::Kill {
            all: p.has("all"),
            id: id(p)?,
            signal: p.positional.get(1).cloned(),
        },
        "delete" => Command::Delete {
            force: p.has("force"),
            id: id(p)?,
        },
        "exec" => Command::Exec(exec_args(p)?),
        "ps" => Command::Ps {
            format: p.last("format").unwrap_or_else(|| "table".into()),
            id: id(p)?,
            ps_args: p.positional.iter().skip(1).cloned().collect(),
        },
        "list" => Command::List {
            format: p.last("format").unwrap_or_else(|| "table".into()),
            quiet: p.has("quiet"),
        },
        "pause" => Command::Pause { id: id(p)? },
        "resume" => Command::Resume { id: id(p)? },
        "update" => Command::Update(update_args(p)?),
        "features" => Command::Features,
        "checkpoint" => Command::Checkpoint(CheckpointArgs {
            image_path: p.path("image-path"),
            work_path: p.path("work-path"),
            leave_running: p.has("leave-running"),
            tcp_established: p.has("tcp-established"),
            ext_unix_sk: p.has("ext-unix-sk"),
            shell_job: p.has("shell-job"),
            file_locks: p.has("file-locks"),
            id: id(p)?,
        }),
        "restore" => Command::Restore(RestoreArgs {
            image_path: p.path("image-path"),
            work_path: p.path("work-path"),
            bundle: p.path("bundle").unwrap_or_else(|| PathBuf::from(".")),
            detach: p.has("detach"),
            pid_file: p.path("pid-file"),
            console_socket: p.path("console-socket"),
            tcp_established: p.has("tcp-established"),
            ext_unix_sk: p.has("ext-unix-sk"),
            shell_job: p.has("shell-job"),
            file_locks: p.has("file-locks"),
            id: id(p)?,
        }),
        "events" => Command::Unsupported("events is not supported yet"),
        other => return Err(no_such_command(other)),
    })
}

fn exec_args(p: &Parsed) -> Result<ExecArgs, Exit> {
    Ok(ExecArgs {
        console_socket: p.path("console-socket"),
        cwd: p.path("cwd"),
        env: p.all("env"),
        tty: p.has("tty"),
        user: p.last("user"),
        additional_gids: p
            .all("additional-gids")
            .iter()
            .flat_map(|g| g.split(','))
            .map(|g| {
                g.trim()
                    .parse()
                    .map_err(|_| Exit::Usage(format!("invalid gid {g:?}")))
            })
            .collect::<Result<_, _>>()?,
        process: p.path("process"),
        detach: p.has("detach"),
        pid_file: p.path("pid-file"),
        no_new_privs: p.has("no-new-privs"),
        cap: p.all("cap"),
        preserve_fds: p.num("preserve-fds")?.unwrap_or(0),
        id: id("exec", p)?,
        command: p.positional.iter().skip(1).cloned().collect(),
    })
}

fn update_args(p: &Parsed) -> Result<UpdateArgs, Exit> {
    Ok(UpdateArgs {
        resources: p.path("resources"),
        blkio_weight: p.num("blkio-weight")?,
        cpu_period: p.num("cpu-period")?,
        cpu_quota: p.num("cpu-quota")?,
        cpu_share: p.num("cpu-share")?,
        cpu_rt_period: p.num("cpu-rt-period")?,
        cpu_rt_runtime: p.num("cpu-rt-runtime")?,
        cpuset_cpus: p.last("cpuset-cpus"),
        cpuset_mems: p.last("cpuset-mems"),
        memory: p.last("memory"),
        memory_reservation: p.last("memory-reservation"),
        memory_swap: p.last("memory-swap"),
        pids_limit: p.num("pids-limit")?,
        id: id("update", p)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Cli, Exit> {
        parse(
            std::iter::once("berth-runc")
                .chain(args.iter().copied())
                .map(OsString::from)
                .collect(),
        )
    }

    #[test]
    fn containerd_style() {
        let c = p(&[
            "--root",
            "/run/x",
            "--log",
            "/b/log.json",
            "--log-format",
            "json",
            "create",
            "--bundle",
            "/b",
            "--pid-file",
            "/b/init.pid",
            "id1",
        ])
        .unwrap();
        assert_eq!(c.root, PathBuf::from("/run/x"));
        assert_eq!(c.log_format, "json");
        let Command::Create(a) = c.command else {
            panic!()
        };
        assert_eq!((a.bundle, a.id), (PathBuf::from("/b"), "id1".to_string()));
        assert_eq!(a.pid_file, Some(PathBuf::from("/b/init.pid")));
    }

    #[test]
    fn single_dash_equals_and_short() {
        let c = p(&["-root=/r", "run", "-b", "/b", "-d", "x"]).unwrap();
        let Command::Run { create, detach, .. } = c.command else {
            panic!()
        };
        assert!(detach);
        assert_eq!(create.bundle, PathBuf::from("/b"));
        assert_eq!(c.root, PathBuf::from("/r"));
    }

    #[test]
    fn exec_tail_and_kill_signal() {
        let c = p(&[
            "exec",
            "-e",
            "A=1",
            "--env",
            "B=2",
            "-t",
            "id",
            "sh",
            "-c",
            "echo -n x",
        ])
        .unwrap();
        let Command::Exec(a) = c.command else {
            panic!()
        };
        assert_eq!(a.env, vec!["A=1", "B=2"]);
        assert!(a.tty);
        assert_eq!(a.command, vec!["sh", "-c", "echo -n x"]);
        let c = p(&["kill", "--all", "id", "9"]).unwrap();
        assert!(
            matches!(c.command, Command::Kill { all: true, ref signal, .. } if signal.as_deref() == Some("9"))
        );
    }

    #[test]
    fn errors() {
        assert!(matches!(
            p(&["create", "--bogus", "x"]),
            Err(Exit::Usage(_))
        ));
        assert!(matches!(p(&["start"]), Err(Exit::Usage(_))));
        assert!(matches!(p(&["frobnicate"]), Err(Exit::Usage(_))));
        assert!(matches!(p(&["--help"]), Err(Exit::Info(_))));
        assert!(matches!(p(&["create", "--bundle"]), Err(Exit::Usage(_))));
        assert!(
            matches!(p(&["--log-format=bad", "list"]), Err(Exit::Usage(m)) if m == "invalid log-format: bad")
        );
        assert!(matches!(
            p(&["list", "--log-format", "yaml"]),
            Err(Exit::Usage(_))
        ));
        assert!(p(&["--log-format", "json", "list"]).is_ok());
    }

    #[test]
    fn help_of_each_command() {
        for c in flags::COMMANDS {
            for args in [&[c.name, "--help"][..], &[c.name, "-h"], &["help", c.name]] {
                let Err(Exit::Info(text)) = p(args) else {
                    panic!("{args:?} gave no help")
                };
                assert!(
                    text.contains(&format!("berth-runc {} - ", c.name)),
                    "{text}"
                );
            }
        }
        let Err(Exit::Info(text)) = p(&["--help"]) else {
            panic!()
        };
        assert!(text.contains("COMMANDS:"));
    }
}
