//! Typed Dockerfile commands (BuildKit's `frontend/dockerfile/instructions`).
//!
//! - [`parse_command`]: an AST [`Instruction`] -> a [`Command`], flags and argument counts
//!   checked per instruction, the source [`Location`] kept for error messages.
//! - [`expand_command`]: BuildKit's per-instruction variable expansion, reporting the
//!   variables consulted (for cache keys).
//! - [`apply_to_config`]: what a metadata instruction does to the image configuration.
//! - [`history_created_by`] and [`creates_layer`]: the image history entries BuildKit writes.
//!
//! ```
//! use berth_build::instructions::{parse_command, CommandKind};
//!
//! let df = berth_dockerfile::parser::parse(b"FROM alpine\nCOPY --chown=app a b /dst/\n")?;
//! let cmd = parse_command(&df.instructions[1])?;
//! let CommandKind::Copy(copy) = &cmd.kind else { unreachable!() };
//! assert_eq!(copy.sources, ["a", "b"]);
//! assert_eq!(copy.dest, "/dst/");
//! assert_eq!(copy.chown.as_deref(), Some("app"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod apply;
mod error;
mod expand;
mod flags;
mod healthcheck;
mod history;
mod mounts;
mod parse;

pub use apply::{apply_to_config, normalize_workdir, parse_expose_ports, StageFlags};
pub use error::InstructionError;
pub use expand::expand_command;
pub use healthcheck::{format_go_duration, parse_go_duration};
pub use history::{creates_layer, history_created_by, run_argv};
pub use parse::parse_command;

use berth_dockerfile::parser::{Heredoc, Instruction};

/// Where an instruction is in the Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// 1-based first line.
    pub line: usize,
    /// 1-based last line (continuations and heredoc bodies included).
    pub end_line: usize,
    /// 1-based column of the instruction word.
    pub column: usize,
    /// The assembled instruction line, as written (BuildKit's `Original`).
    pub original: String,
}

impl Location {
    /// The location of an AST instruction.
    pub fn of(inst: &Instruction) -> Self {
        Location {
            line: inst.start_line,
            end_line: inst.end_line,
            column: inst.column,
            original: inst.original.clone(),
        }
    }
}

/// A command in shell form (one string, run through SHELL) or exec form (argv).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellOrExec {
    /// Shell form: the text after the flags.
    Shell(String),
    /// Exec (JSON) form.
    Exec(Vec<String>),
}

impl ShellOrExec {
    /// The argv this becomes with `shell` (`shell + [text]` for the shell form).
    pub fn to_argv(&self, shell: &[String]) -> Vec<String> {
        match self {
            ShellOrExec::Shell(s) => {
                let mut v = effective_shell(shell);
                v.push(s.clone());
                v
            }
            ShellOrExec::Exec(v) => v.clone(),
        }
    }
}

/// `shell`, or `["/bin/sh", "-c"]` when empty.
pub(crate) fn effective_shell(shell: &[String]) -> Vec<String> {
    if shell.is_empty() {
        vec!["/bin/sh".into(), "-c".into()]
    } else {
        shell.to_vec()
    }
}

/// One typed instruction.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// Where it came from.
    pub location: Location,
    /// What it is.
    pub kind: CommandKind,
}

/// The instructions and their arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandKind {
    /// `FROM [--platform=p] image [AS name]` (the name lower-cased).
    From {
        /// The base image or stage reference.
        image: String,
        /// The stage name, lower-cased.
        name: Option<String>,
        /// The `--platform` value.
        platform: Option<String>,
    },
    /// `RUN`.
    Run(Run),
    /// `CMD`.
    Cmd(ShellOrExec),
    /// `ENTRYPOINT`.
    Entrypoint(ShellOrExec),
    /// `ENV` pairs, in order.
    Env(Vec<(String, String)>),
    /// `ARG` names with optional defaults.
    Arg(Vec<(String, Option<String>)>),
    /// `LABEL` pairs, in order.
    Label(Vec<(String, String)>),
    /// `EXPOSE` port specs.
    Expose(Vec<String>),
    /// `COPY`.
    Copy(Copy),
    /// `ADD` (the ADD-only fields of [`Copy`] used).
    Add(Copy),
    /// `WORKDIR`.
    Workdir(String),
    /// `USER`.
    User(String),
    /// `VOLUME` paths.
    Volume(Vec<String>),
    /// `SHELL` (JSON form only).
    Shell(Vec<String>),
    /// `STOPSIGNAL`.
    StopSignal(String),
    /// `HEALTHCHECK`; `None` for `HEALTHCHECK NONE` (stored as test `["NONE"]`).
    Healthcheck(Option<berth_store::oci::Healthcheck>),
    /// `ONBUILD`: the trigger text as written (e.g. `RUN echo hi`), heredoc bodies appended.
    Onbuild(String),
    /// `MAINTAINER`.
    Maintainer(String),
}

impl CommandKind {
    /// The instruction keyword, upper-case (`COPY`).
    pub fn name(&self) -> &'static str {
        match self {
            CommandKind::From { .. } => "FROM",
            CommandKind::Run(_) => "RUN",
            CommandKind::Cmd(_) => "CMD",
            CommandKind::Entrypoint(_) => "ENTRYPOINT",
            CommandKind::Env(_) => "ENV",
            CommandKind::Arg(_) => "ARG",
            CommandKind::Label(_) => "LABEL",
            CommandKind::Expose(_) => "EXPOSE",
            CommandKind::Copy(_) => "COPY",
            CommandKind::Add(_) => "ADD",
            CommandKind::Workdir(_) => "WORKDIR",
            CommandKind::User(_) => "USER",
            CommandKind::Volume(_) => "VOLUME",
            CommandKind::Shell(_) => "SHELL",
            CommandKind::StopSignal(_) => "STOPSIGNAL",
            CommandKind::Healthcheck(_) => "HEALTHCHECK",
            CommandKind::Onbuild(_) => "ONBUILD",
            CommandKind::Maintainer(_) => "MAINTAINER",
        }
    }
}

/// `RUN [--mount=…] [--network=…] [--security=…] command`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The command. With heredocs, the shell text still holds the `<<EOF` words; see
    /// [`run_argv`] for BuildKit's heredoc rules.
    pub command: ShellOrExec,
    /// Heredocs on the line, in order.
    pub heredocs: Vec<Heredoc>,
    /// `--mount` values, in order.
    pub mounts: Vec<RunMount>,
    /// `--network`: `default`, `none` or `host`.
    pub network: Option<String>,
    /// `--security`: `sandbox` or `insecure`.
    pub security: Option<String>,
}

/// The type of a `RUN --mount`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum MountKind {
    /// `type=bind` (the default).
    #[default]
    Bind,
    /// `type=cache`.
    Cache,
    /// `type=tmpfs`.
    Tmpfs,
    /// `type=secret`.
    Secret,
    /// `type=ssh`.
    Ssh,
}

impl MountKind {
    /// The `type=` word.
    pub fn as_str(self) -> &'static str {
        match self {
            MountKind::Bind => "bind",
            MountKind::Cache => "cache",
            MountKind::Tmpfs => "tmpfs",
            MountKind::Secret => "secret",
            MountKind::Ssh => "ssh",
        }
    }
}

/// One `RUN --mount`. No type-specific defaults are filled in (cache id = target, secret
/// target `/run/secrets/<id>`, ssh id `default`, modes) except `readonly`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunMount {
    /// The mount type.
    pub kind: MountKind,
    /// `target`/`dst`/`destination` (may be empty for secret and ssh mounts).
    pub target: String,
    /// `source`/`src` (for secrets it becomes `id`).
    pub source: Option<String>,
    /// `from`: a stage, image or named context.
    pub from: Option<String>,
    /// `id`.
    pub id: Option<String>,
    /// Read-only: `ro`/`readonly`/`rw`/`readwrite`; default true except for cache and tmpfs.
    pub readonly: bool,
    /// `sharing` (cache): `shared`, `private` or `locked`.
    pub sharing: Option<String>,
    /// `mode`, octal.
    pub mode: Option<u32>,
    /// `uid`.
    pub uid: Option<u32>,
    /// `gid`.
    pub gid: Option<u32>,
    /// `size` in bytes (tmpfs).
    pub size: Option<u64>,
    /// `required` (secret, ssh).
    pub required: bool,
    /// `env` (secret): the variable to expose the secret as.
    pub env: Option<String>,
    /// The raw `--mount` value, kept so that [`expand_command`] can re-parse it with
    /// variables expanded.
    pub spec: String,
}

/// `COPY`/`ADD` arguments and flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Copy {
    /// Source paths (heredoc sources excluded; they are in `heredocs`).
    pub sources: Vec<String>,
    /// The destination.
    pub dest: String,
    /// Heredoc sources, in order: each becomes a file named after its delimiter.
    pub heredocs: Vec<Heredoc>,
    /// `--from` (COPY).
    pub from: Option<String>,
    /// `--chown`.
    pub chown: Option<String>,
    /// `--chmod` (octal or symbolic).
    pub chmod: Option<String>,
    /// `--link`.
    pub link: bool,
    /// `--parents` (COPY).
    pub parents: bool,
    /// `--exclude` patterns (never expanded).
    pub excludes: Vec<String>,
    /// `--checksum` (ADD).
    pub checksum: Option<String>,
    /// `--keep-git-dir` (ADD).
    pub keep_git_dir: bool,
    /// `--unpack` (ADD); `None` = the default for the source kind.
    pub unpack: Option<bool>,
}
