//! Runs a parsed runc command against `berth_runtime::ops`.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use berth_runtime::ops::{self, create::CreateOptions, exec::ExecOptions, Globals};
use serde_json::{json, Value};

use super::args::{CheckpointArgs, Cli, Command, CreateArgs, ExecArgs, RestoreArgs, UpdateArgs};
use super::units::parse_size;

/// Runs the command; returns the exit code.
pub fn dispatch(cli: &Cli) -> Result<i32> {
    let g = Globals {
        root: cli.root.clone(),
    };
    match &cli.command {
        Command::Spec { bundle, rootless } => {
            let dir = bundle.clone().unwrap_or_else(|| PathBuf::from("."));
            let path = dir.join("config.json");
            if path.exists() {
                bail!("File {} exists. Remove it first", path.display());
            }
            let text = serde_json::to_string_pretty(&ops::spec_template::template(*rootless))?;
            std::fs::write(&path, text + "\n")
                .with_context(|| format!("write {}", path.display()))?;
        }
        Command::Create(a) => {
            ops::create::create(&g, &create_options(a))?;
        }
        Command::Start { id } => {
            let host = berth_runtime::notify::host_socket();
            ops::start::start_notify(&g, id, host.as_deref())?
        }
        Command::Run {
            create,
            detach,
            keep,
        } => {
            return Ok(ops::run::run(&g, &create_options(create), *detach, *keep)?);
        }
        Command::State { id } => println!("{}", ops::state::state_json(&g, id)?),
        Command::Kill { all, id, signal } => {
            let sig = ops::kill::parse_signal(signal.as_deref().unwrap_or("SIGTERM"))?;
            ops::kill::kill(&g, id, sig, *all)?;
        }
        Command::Delete { force, id } => ops::delete::delete(&g, id, *force)?,
        Command::Exec(a) => return Ok(ops::exec::exec(&g, &exec_options(a))?),
        Command::Ps {
            format,
            id,
            ps_args,
        } => match format.as_str() {
            "json" => println!("{}", serde_json::to_string(&ops::ps::pids(&g, id)?)?),
            "table" => print!("{}", ops::ps::table(&g, id, ps_args)?),
            other => bail!("invalid format {other:?}: use table or json"),
        },
        Command::List { format, quiet } => list(&g, format, *quiet)?,
        Command::Pause { id } => ops::pause::set_paused(&g, id, true)?,
        Command::Resume { id } => ops::pause::set_paused(&g, id, false)?,
        Command::Update(a) => {
            let resources = update_resources(a)?;
            ops::update::update(&g, &a.id, &resources)?;
        }
        Command::Features => println!(
            "{}",
            serde_json::to_string_pretty(&ops::features::features())?
        ),
        Command::Checkpoint(a) => checkpoint(cli, a)?,
        Command::Restore(a) => return restore(cli, a),
        Command::Unsupported(what) => bail!("{what}"),
    }
    Ok(0)
}

fn exec_options(a: &ExecArgs) -> ExecOptions {
    ExecOptions {
        id: a.id.clone(),
        process_file: a.process.clone(),
        args: a.command.clone(),
        tty: a.tty,
        cwd: a.cwd.clone(),
        env: a.env.clone(),
        user: a.user.clone(),
        additional_gids: a.additional_gids.clone(),
        no_new_privs: a.no_new_privs,
        caps: a.cap.clone(),
        detach: a.detach,
        pid_file: a.pid_file.clone(),
        console_socket: a.console_socket.clone(),
        preserve_fds: a.preserve_fds,
        console_size: None,
    }
}

fn checkpoint(cli: &Cli, a: &CheckpointArgs) -> Result<()> {
    let g = Globals {
        root: cli.root.clone(),
    };
    let o = ops::checkpoint::CheckpointOptions {
        id: a.id.clone(),
        image_path: a.image_path.clone(),
        work_path: a.work_path.clone(),
        leave_running: a.leave_running,
        tcp_established: a.tcp_established,
        ext_unix_sk: a.ext_unix_sk,
        shell_job: a.shell_job,
        file_locks: a.file_locks,
        criu: cli.criu.clone(),
    };
    Ok(ops::checkpoint::checkpoint(&g, &o)?)
}

fn restore(cli: &Cli, a: &RestoreArgs) -> Result<i32> {
    if a.console_socket.is_some() {
        bail!(
            "restore: --console-socket is not supported (terminal containers cannot be restored)"
        );
    }
    let g = Globals {
        root: cli.root.clone(),
    };
    let o = ops::restore::RestoreOptions {
        id: a.id.clone(),
        bundle: a.bundle.clone(),
        image_path: a.image_path.clone(),
        work_path: a.work_path.clone(),
        detach: a.detach,
        pid_file: a.pid_file.clone(),
        tcp_established: a.tcp_established,
        ext_unix_sk: a.ext_unix_sk,
        shell_job: a.shell_job,
        file_locks: a.file_locks,
        criu: cli.criu.clone(),
    };
    Ok(ops::restore::restore(&g, &o)?)
}

fn create_options(a: &CreateArgs) -> CreateOptions {
    CreateOptions {
        id: a.id.clone(),
        bundle: a.bundle.clone(),
        pid_file: a.pid_file.clone(),
        console_socket: a.console_socket.clone(),
        no_pivot: a.no_pivot,
        no_new_keyring: a.no_new_keyring,
        preserve_fds: a.preserve_fds,
        notify_socket: berth_runtime::notify::host_socket(),
    }
}

fn list(g: &Globals, format: &str, quiet: bool) -> Result<()> {
    let entries = ops::list::list(g)?;
    if quiet {
        for e in &entries {
            println!("{}", e.id);
        }
        return Ok(());
    }
    match format {
        "json" => println!("{}", serde_json::to_string(&entries)?),
        "table" => {
            let rows: Vec<[String; 6]> = entries
                .iter()
                .map(|e| {
                    [
                        e.id.clone(),
                        e.pid.to_string(),
                        e.status.to_string(),
                        e.bundle.clone(),
                        e.created.clone(),
                        e.owner.clone(),
                    ]
                })
                .collect();
            let header = ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"].map(String::from);
            let mut widths = header.clone().map(|h| h.len());
            for r in &rows {
                for (w, c) in widths.iter_mut().zip(r) {
                    *w = (*w).max(c.len());
                }
            }
            for r in std::iter::once(&header).chain(rows.iter()) {
                let line: Vec<String> = r
                    .iter()
                    .zip(widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect();
                println!("{}", line.join("   ").trim_end());
            }
        }
        other => bail!("invalid format {other:?}: use table or json"),
    }
    Ok(())
}

/// Builds `linux.resources` JSON from `-r` (file or stdin) overlaid with the flags.
fn update_resources(a: &UpdateArgs) -> Result<berth_runtime::ops::update::LinuxResources> {
    let mut v: Value = match &a.resources {
        Some(p) if p.as_os_str() == "-" => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            serde_json::from_str(&s).context("resources from stdin")?
        }
        Some(p) => serde_json::from_slice(
            &std::fs::read(p).with_context(|| format!("read {}", p.display()))?,
        )
        .with_context(|| format!("parse {}", p.display()))?,
        None => json!({}),
    };
    let set = |v: &mut Value, section: &str, key: &str, val: Value| {
        if !v[section].is_object() {
            v[section] = json!({});
        }
        v[section][key] = val;
    };
    if let Some(x) = a.blkio_weight {
        set(&mut v, "blockIO", "weight", json!(x));
    }
    if let Some(x) = a.cpu_period {
        set(&mut v, "cpu", "period", json!(x));
    }
    if let Some(x) = a.cpu_quota {
        set(&mut v, "cpu", "quota", json!(x));
    }
    if let Some(x) = a.cpu_share {
        set(&mut v, "cpu", "shares", json!(x));
    }
    if let Some(x) = a.cpu_rt_period {
        set(&mut v, "cpu", "realtimePeriod", json!(x));
    }
    if let Some(x) = a.cpu_rt_runtime {
        set(&mut v, "cpu", "realtimeRuntime", json!(x));
    }
    if let Some(x) = &a.cpuset_cpus {
        set(&mut v, "cpu", "cpus", json!(x));
    }
    if let Some(x) = &a.cpuset_mems {
        set(&mut v, "cpu", "mems", json!(x));
    }
    for (flag, key) in [
        (&a.memory, "limit"),
        (&a.memory_reservation, "reservation"),
        (&a.memory_swap, "swap"),
    ] {
        if let Some(x) = flag {
            let n = parse_size(x).map_err(anyhow::Error::msg)?;
            set(&mut v, "memory", key, json!(n));
        }
    }
    if let Some(x) = a.pids_limit {
        set(&mut v, "pids", "limit", json!(x));
    }
    Ok(ops::update::parse_resources(&serde_json::to_vec(&v)?)?)
}
