//! `container checkpoint` and `container restore` (podman's commands, through CRIU).

use std::path::PathBuf;

use clap::Args;

use super::args::Globals;
use super::engine;

/// `container checkpoint`.
#[derive(Args, Debug)]
pub struct CheckpointArgs {
    /// Keep the container running after the checkpoint.
    #[arg(short = 'R', long)]
    pub leave_running: bool,
    /// Also write the checkpoint to this tar file.
    #[arg(short = 'e', long, value_name = "FILE")]
    pub export: Option<PathBuf>,
    /// Containers.
    #[arg(required = true)]
    pub containers: Vec<String>,
}

/// `container restore`.
#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// Restore from this tar file (written by `checkpoint --export`).
    #[arg(short = 'i', long, value_name = "FILE")]
    pub import: Option<PathBuf>,
    /// Containers.
    #[arg(required = true)]
    pub containers: Vec<String>,
}

/// Runs `container checkpoint`: prints each name done, exit 1 if any failed.
pub fn checkpoint(g: &Globals, a: CheckpointArgs) -> anyhow::Result<i32> {
    if a.export.is_some() && a.containers.len() > 1 {
        anyhow::bail!("--export takes one container");
    }
    let e = engine(g)?;
    Ok(each(&a.containers, |n| {
        let r = e.container(n)?;
        e.checkpoint_container(&r, a.leave_running, a.export.as_deref())?;
        Ok(())
    }))
}

/// Runs `container restore`.
pub fn restore(g: &Globals, a: RestoreArgs) -> anyhow::Result<i32> {
    if a.import.is_some() && a.containers.len() > 1 {
        anyhow::bail!("--import takes one container");
    }
    let e = engine(g)?;
    Ok(each(&a.containers, |n| {
        let r = e.container(n)?;
        e.restore_container(&r, a.import.as_deref())?;
        Ok(())
    }))
}

fn each(names: &[String], mut f: impl FnMut(&str) -> anyhow::Result<()>) -> i32 {
    let mut code = 0;
    for n in names {
        match f(n) {
            Ok(()) => println!("{n}"),
            Err(err) => {
                eprintln!("Error: {n}: {err:#}");
                code = 1;
            }
        }
    }
    code
}
