//! Container commands other than `run`/`create`: `start`, `stop`, `restart`, `kill`, `rm`,
//! `ps`, `logs`, `exec`, `wait`, `inspect`, `pause`, `unpause`, `rename`, `top`, `attach`,
//! `container prune`.

use std::io::{self, Write};

use berth_engine::containers::lifecycle::Stopped;
use berth_engine::containers::ContainerRecord;
use berth_engine::containers::State;
use berth_engine::Engine;
use serde_json::json;

use super::args::*;
use super::output;
use super::{engine, run};
use crate::format::headers::PS;

/// `container <subcommand>`.
pub fn dispatch(g: &Globals, c: ContainerCommand) -> anyhow::Result<i32> {
    let top = match c {
        ContainerCommand::Ls(a) => Command::Ps(a),
        ContainerCommand::Run(a) => return run::run(g, *a),
        ContainerCommand::Create(a) => return run::create(g, *a),
        ContainerCommand::Start(a) => Command::Start(a),
        ContainerCommand::Stop(a) => Command::Stop(a),
        ContainerCommand::Restart(a) => Command::Restart(a),
        ContainerCommand::Kill(a) => Command::Kill(a),
        ContainerCommand::Rm(a) => Command::Rm(a),
        ContainerCommand::Logs(a) => Command::Logs(a),
        ContainerCommand::Exec(a) => Command::Exec(a),
        ContainerCommand::Wait(a) => Command::Wait(a),
        ContainerCommand::Inspect(a) => Command::Inspect(a),
        ContainerCommand::Pause(a) => Command::Pause(a),
        ContainerCommand::Unpause(a) => Command::Unpause(a),
        ContainerCommand::Rename(a) => Command::Rename(a),
        ContainerCommand::Top(a) => Command::Top(a),
        ContainerCommand::Attach(a) => Command::Attach(a),
        ContainerCommand::Cp(a) => return super::cp::cp(g, a),
        ContainerCommand::Stats(a) => return super::stats::stats(g, a),
        ContainerCommand::Checkpoint(a) => return super::checkpoint::checkpoint(g, a),
        ContainerCommand::Restore(a) => return super::checkpoint::restore(g, a),
        ContainerCommand::Prune(a) => {
            let e = engine(g)?;
            let removed = e.prune_containers(
                &berth_engine::system::prune_filter::PruneFilter::parse(&a.filter)?,
            )?;
            if !removed.is_empty() {
                println!("Deleted Containers:");
                for id in removed {
                    println!("{id}");
                }
                println!();
            }
            println!("Total reclaimed space: 0B");
            return Ok(0);
        }
    };
    dispatch_top(g, top)
}

/// Runs `f` on each named container, printing errors Docker-style; exit 1 if any failed.
fn each(
    e: &Engine,
    names: &[String],
    mut f: impl FnMut(&Engine, &ContainerRecord, &str) -> anyhow::Result<()>,
) -> i32 {
    let mut code = 0;
    for n in names {
        let result = e
            .container(n)
            .map_err(anyhow::Error::from)
            .and_then(|r| f(e, &r, n));
        if let Err(err) = result {
            eprintln!("Error response from daemon: {err:#}");
            code = 1;
        }
    }
    code
}

/// Top-level container commands.
pub fn dispatch_top(g: &Globals, c: Command) -> anyhow::Result<i32> {
    let e = engine(g)?;
    match c {
        Command::Start(a) if a.all => start_all(&e, &a.filter),
        Command::Start(a) => start(&e, &a),
        Command::Stop(a) => Ok(stop(&e, &a)),
        Command::Restart(a) => each_named(&e, &a.containers, |e, r| {
            e.stop_container(r, a.time, a.signal.as_deref())?;
            e.start_container(r)
        }),
        Command::Kill(a) => each_named(&e, &a.containers, |e, r| e.kill_container(r, &a.signal)),
        Command::Rm(a) => each_named(&e, &a.containers, |e, r| {
            e.remove_container(r, a.force, a.volumes)
        }),
        Command::Pause(a) => each_named(&e, &a.containers, |e, r| e.set_paused(r, true)),
        Command::Unpause(a) => each_named(&e, &a.containers, |e, r| e.set_paused(r, false)),
        Command::Wait(a) => Ok(each(&e, &a.containers, |e, r, _| {
            println!("{}", e.wait_container(r)?);
            Ok(())
        })),
        Command::Rename(a) => {
            e.rename_container(&e.container(&a.container)?, &a.new_name)?;
            Ok(0)
        }
        Command::Ps(a) => ps(&e, a),
        Command::Logs(a) => logs(&e, a),
        Command::Exec(a) => exec(&e, a),
        Command::Inspect(a) => inspect(&e, a),
        Command::Top(a) => top(&e, &a),
        Command::Attach(a) => attach(&e, &a),
        other => anyhow::bail!("unsupported command {other:?}"),
    }
}

/// [`each`] for the commands that print each name once done with it.
fn each_named(
    e: &Engine,
    names: &[String],
    mut op: impl FnMut(&Engine, &ContainerRecord) -> berth_engine::Result<()>,
) -> anyhow::Result<i32> {
    Ok(each(e, names, |e, r, n| {
        op(e, r)?;
        println!("{n}");
        Ok(())
    }))
}

/// `start --all [--filter restart-policy=P]`: the stopped containers (with those policies).
fn start_all(e: &Engine, filters: &[String]) -> anyhow::Result<i32> {
    let mut policies = Vec::new();
    for f in filters {
        match f.split_once('=') {
            Some(("restart-policy", p)) => policies.push(p.to_string()),
            _ => anyhow::bail!("invalid filter {f:?} (restart-policy=<policy>)"),
        }
    }
    let mut code = 0;
    for r in e.containers_to_start(&policies)? {
        match e.start_container(&r) {
            Ok(()) => println!("{}", r.name),
            Err(err) => {
                eprintln!("Error response from daemon: {}: {err}", r.name);
                code = 1;
            }
        }
    }
    Ok(code)
}

/// `start`: attached for `-a` with one container, else each in the background.
fn start(e: &Engine, a: &StartArgs) -> anyhow::Result<i32> {
    if a.attach && a.containers.len() == 1 {
        let r = e.container(&a.containers[0])?;
        e.spawn_monitor(&r)?;
        return Ok(run::attach_and_start(e, &r, a.interactive, true, None)?.unwrap_or(0));
    }
    each_named(e, &a.containers, |e, r| e.start_container(r))
}

/// `stop`: says so when a container had to be killed.
fn stop(e: &Engine, a: &StopArgs) -> i32 {
    each(e, &a.containers, |e, r, n| {
        if e.stop_container(r, a.time, a.signal.as_deref())? == Stopped::Killed {
            eprintln!(
                "{}: did not stop within {}s of {}; killed with SIGKILL",
                r.name,
                a.time.unwrap_or(r.stop_timeout),
                a.signal.as_deref().unwrap_or(&r.stop_signal)
            );
        }
        println!("{n}");
        Ok(())
    })
}

/// `top CONTAINER [ps options]` (default `-ef`).
fn top(e: &Engine, a: &TopArgs) -> anyhow::Result<i32> {
    let r = e.container(&a.container)?;
    if !e.state(&r).is_running() {
        anyhow::bail!("container {} is not running", r.id);
    }
    let ps_args = if a.ps_args.is_empty() {
        vec!["-ef".to_string()]
    } else {
        a.ps_args.clone()
    };
    print!(
        "{}",
        berth_runtime::ops::ps::table(&e.runtime(), &r.id, &ps_args)?
    );
    Ok(0)
}

/// `attach CONTAINER`: a running container's streams (stdin if it is open).
fn attach(e: &Engine, a: &AttachArgs) -> anyhow::Result<i32> {
    let r = e.container(&a.container)?;
    if !e.state(&r).is_running() {
        anyhow::bail!("You cannot attach to a stopped container, start it first");
    }
    let stdin = !a.no_stdin && r.stdin_open;
    Ok(run::attach_and_start(e, &r, stdin, false, a.detach_keys.as_deref())?.unwrap_or(0))
}

/// Docker's STATUS column.
pub(crate) fn status_text(s: &State) -> String {
    use crate::format::{container_status, parse_rfc3339, StatusInfo};
    let time = |t: &str| if t.is_empty() { None } else { parse_rfc3339(t) };
    let info = StatusInfo {
        running: s.is_running() || s.status == "restarting",
        paused: s.status == "paused",
        restarting: s.status == "restarting",
        removing: false,
        dead: s.status == "dead",
        exit_code: s.exit_code as i64,
        started_at: time(&s.started_at),
        finished_at: time(&s.finished_at),
        health: s.health.as_ref().map(|h| h.status.as_str()),
    };
    container_status(&info, std::time::SystemTime::now())
}

/// Docker's COMMAND column: the path and arguments, quoted, truncated unless `no_trunc`.
pub(crate) fn command_column(path: &str, args: &[String], no_trunc: bool) -> String {
    let cmd = std::iter::once(path)
        .chain(args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    crate::format::command_column(&cmd, no_trunc)
}

/// Docker's PORTS column: the published ports of a running container, else nothing.
pub(crate) fn ports_column(
    net: Option<&berth_engine::network::Attachment>,
    running: bool,
) -> String {
    match net {
        Some(n) if running => n
            .ports
            .iter()
            .map(|p| p.display())
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

/// Docker's LABELS column: `k=v` pairs joined by commas, from a container's `Config`.
pub(crate) fn labels_column(config: &serde_json::Value) -> String {
    config["Labels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// The fields of a `ps` row, as Docker names them for `--format`.
const PS_FIELDS: &[&str] = &[
    "Command",
    "CreatedAt",
    "ID",
    "Image",
    "Labels",
    "Mounts",
    "Names",
    "Networks",
    "Ports",
    "RunningFor",
    "Size",
    "State",
    "Status",
];

/// The columns of `ps`'s default table ([`PS`]'s `default_table`).
const PS_DEFAULT_COLUMNS: &[&str] = &[
    "ID",
    "Image",
    "Command",
    "RunningFor",
    "Status",
    "Ports",
    "Names",
];

/// One field of a `ps` row (see [`PS_FIELDS`]).
fn ps_field(
    field: &str,
    r: &berth_engine::containers::ContainerBrief,
    s: &State,
    no_trunc: bool,
) -> String {
    match field {
        "ID" if no_trunc => r.id.clone(),
        "ID" => r.short_id().to_string(),
        "Image" => r.image.clone(),
        "Command" => command_column(&r.path, &r.args, no_trunc),
        "CreatedAt" => r.created.clone(),
        "RunningFor" => output::since(Some(&r.created)),
        "Status" => status_text(s),
        "State" => s.status.clone(),
        "Ports" => ports_column(r.net.as_ref(), s.is_running()),
        "Names" => r.name.clone(),
        "Labels" => labels_column(&r.config),
        "Mounts" => r
            .mounts
            .iter()
            .map(|m| m.name.clone().unwrap_or_else(|| m.source.clone()))
            .collect::<Vec<_>>()
            .join(","),
        "Networks" => r
            .net
            .as_ref()
            .map(|n| n.network.clone())
            .unwrap_or_else(|| r.network_mode.clone()),
        "Size" => "0B".into(),
        _ => String::new(),
    }
}

/// Whether a container passes one `--filter key=value` of `ps`.
fn ps_filter_matches(
    k: &str,
    v: &str,
    r: &berth_engine::containers::ContainerBrief,
    s: &State,
) -> bool {
    match k {
        "name" => r.name.contains(v),
        "id" => r.id.starts_with(v),
        "status" => s.status == v,
        "label" => match v.split_once('=') {
            Some((lk, lv)) => r.config["Labels"][lk].as_str() == Some(lv),
            None => !r.config["Labels"][v].is_null(),
        },
        "ancestor" => r.image == v || r.image_id.starts_with(v.trim_start_matches("sha256:")),
        "exited" => s.status == "exited" && s.exit_code.to_string() == v,
        "health" => {
            s.health
                .as_ref()
                .map(|h| h.status.as_str())
                .unwrap_or("none")
                == v
        }
        _ => true,
    }
}

/// How `ps` prints its rows.
enum PsOutput {
    /// `-q`: the IDs.
    Quiet(String),
    /// The default table, built straight from the cells: at 1,000 containers the template
    /// engine and a JSON object per row cost as much as reading the containers.
    Table(String),
    /// `--format`: a JSON object per row for the template.
    Rows(Vec<serde_json::Value>),
}

fn ps(e: &Engine, a: PsArgs) -> anyhow::Result<i32> {
    let filters = a
        .filter
        .iter()
        .map(|f| {
            f.split_once('=')
                .ok_or_else(|| anyhow::anyhow!("bad format of filter (expected name=value)"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let only_running = !a.all && !a.latest && a.last.is_none();
    let limit = if a.latest { Some(1) } else { a.last };
    let default_table = matches!(a.format.as_deref(), None | Some("") | Some("table"));
    let want = crate::format::FieldsWanted::of(a.format.as_deref(), PS.default_table);
    let mut out = if a.quiet {
        PsOutput::Quiet(String::new())
    } else if default_table {
        PsOutput::Table(String::from(
            "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES\n",
        ))
    } else {
        PsOutput::Rows(Vec::new())
    };
    // One container at a time, newest first: nothing is kept but the output, so listing
    // 1,000 containers allocates no more memory than listing a few.
    let mut counted = 0usize;
    e.each_container_brief(|r, s| {
        if only_running && !(s.is_running() || s.status == "restarting") {
            return Ok(());
        }
        // `--latest`/`--last` count before the filters, as Docker's.
        counted += 1;
        if limit.is_some_and(|n| counted > n)
            || !filters.iter().all(|(k, v)| ps_filter_matches(k, v, &r, &s))
        {
            return Ok(());
        }
        match &mut out {
            PsOutput::Quiet(text) => {
                text.push_str(if a.no_trunc { &r.id } else { r.short_id() });
                text.push('\n');
            }
            PsOutput::Table(text) => {
                for (i, field) in PS_DEFAULT_COLUMNS.iter().enumerate() {
                    if i > 0 {
                        text.push('\t');
                    }
                    text.push_str(&ps_field(field, &r, &s, a.no_trunc));
                }
                text.push('\n');
            }
            PsOutput::Rows(rows) => {
                let row = PS_FIELDS
                    .iter()
                    // `Label` covers `.Labels` and `.Label "key"`.
                    .filter(|f| want.wants(if **f == "Labels" { "Label" } else { f }))
                    .map(|f| (f.to_string(), json!(ps_field(f, &r, &s, a.no_trunc))))
                    .collect();
                rows.push(serde_json::Value::Object(row));
            }
        }
        Ok(())
    })?;
    match out {
        // One write, not one per line (stdout is line-buffered).
        PsOutput::Quiet(text) => print!("{text}"),
        PsOutput::Table(text) => print!("{}", crate::format::tabwriter::align(&text)),
        PsOutput::Rows(rows) => {
            output::print_rows(a.format.as_deref(), PS.default_table, PS.headers, &rows)?
        }
    }
    Ok(0)
}

/// The log reader's options from `logs` flags as typed (`--tail all|N`, `--since`,
/// `--until`), shared by `logs` and `compose logs`.
pub(crate) fn logs_options(
    follow: bool,
    tail: Option<&str>,
    since: Option<&str>,
    until: Option<&str>,
    timestamps: bool,
) -> anyhow::Result<berth_monitor::log_reader::LogsOptions> {
    let tail = match tail {
        None | Some("all") => None,
        Some(n) => Some(
            n.parse::<usize>()
                .map_err(|_| anyhow::anyhow!("invalid value for --tail: {n}"))?,
        ),
    };
    Ok(berth_monitor::log_reader::LogsOptions {
        follow,
        tail,
        since: since.map(parse_time).transpose()?,
        until: until.map(parse_time).transpose()?,
        timestamps,
    })
}

fn logs(e: &Engine, a: LogsArgs) -> anyhow::Result<i32> {
    use berth_monitor::log_reader::read_logs;
    let r = e.container(&a.container)?;
    let opts = logs_options(
        a.follow,
        a.tail.as_deref(),
        a.since.as_deref(),
        a.until.as_deref(),
        a.timestamps,
    )?;
    let dir = e.paths.container(&r.id);
    let runtime_root = e.paths.runtime();
    let id = r.id.clone();
    let stop =
        move || !berth_engine::containers::state::state_of(&dir, &runtime_root, &id).is_running();
    let mut out = io::stdout().lock();
    let mut err = io::stderr().lock();
    read_logs(&r.monitor.log.path, &opts, &mut out, &mut err, stop)?;
    out.flush()?;
    Ok(0)
}

/// `--since`/`--until`: RFC 3339, unix seconds, or a duration before now (`10m`).
fn parse_time(s: &str) -> anyhow::Result<std::time::SystemTime> {
    Ok(berth_engine::system::prune_filter::parse_time(
        "--since",
        s,
        std::time::SystemTime::now(),
    )?)
}

fn exec(e: &Engine, a: ExecArgs) -> anyhow::Result<i32> {
    let r = e.container(&a.container)?;
    let mut env = Vec::new();
    for f in &a.env_file {
        env.extend(berth_engine::spec::parse::parse_env_file(f, |k| {
            std::env::var(k).ok()
        })?);
    }
    for v in &a.env {
        if let Some(kv) = berth_engine::spec::parse::parse_env(v, |k| std::env::var(k).ok())? {
            env.push(kv);
        }
    }
    let req = berth_engine::containers::exec::ExecRequest {
        args: a.command.clone(),
        env,
        workdir: a.workdir.clone(),
        user: a.user.clone(),
        detach: a.detach,
        tty: a.tty,
        console_socket: None,
        privileged: a.privileged,
        console_size: if a.tty {
            super::run::window_size()
        } else {
            None
        },
    };
    super::exec_tty::exec(e, &r, &req, a.interactive)
}

fn inspect(e: &Engine, a: InspectArgs) -> anyhow::Result<i32> {
    output::inspect_each(a.format.as_deref(), &a.names, |n| match a.kind.as_deref() {
        Some("image") => e.inspect_image(n).map_err(anyhow::Error::from),
        Some("container") => e
            .container(n)
            .map(|r| e.inspect_container(&r))
            .map_err(anyhow::Error::from),
        Some("volume") => e.inspect_volume(n).map_err(anyhow::Error::from),
        _ => match e.container(n) {
            Ok(r) => Ok(e.inspect_container(&r)),
            Err(_) => e
                .inspect_image(n)
                .map_err(|_| anyhow::anyhow!("No such object: {n}")),
        },
    })
}
