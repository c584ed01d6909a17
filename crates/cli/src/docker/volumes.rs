//! `volume create|ls|inspect|rm|prune`.

use std::collections::BTreeMap;

use berth_engine::Engine;
use serde_json::json;

use super::args::*;
use super::{engine, output};
use crate::format::headers::VOLUMES;

/// `volume <subcommand>`.
pub fn dispatch(g: &Globals, c: VolumeCommand) -> anyhow::Result<i32> {
    let e = engine(g)?;
    match c {
        VolumeCommand::Create(a) => create(&e, a),
        VolumeCommand::Ls(a) => ls(&e, &a),
        VolumeCommand::Inspect(a) => {
            output::inspect_each(a.format.as_deref(), &a.names, |n| e.inspect_volume(n))
        }
        VolumeCommand::Rm(a) => {
            let mut code = 0;
            for n in &a.names {
                match e.remove_volume(n, a.force) {
                    Ok(()) => println!("{n}"),
                    Err(err) => {
                        eprintln!("Error response from daemon: {err}");
                        code = 1;
                    }
                }
            }
            Ok(code)
        }
        VolumeCommand::Prune(a) => prune(&e, &a),
    }
}

/// `volume create [NAME]` (a random name without one); local driver, no options.
fn create(e: &Engine, a: VolumeCreateArgs) -> anyhow::Result<i32> {
    if a.driver != "local" {
        anyhow::bail!("volume driver {:?} is not supported (only local)", a.driver);
    }
    if let Some(o) = a.opt.first() {
        anyhow::bail!("volume option {o:?} is not supported by the local driver here");
    }
    let mut labels = BTreeMap::new();
    for l in &a.label {
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        labels.insert(k.to_string(), v.to_string());
    }
    let name = match a.name {
        Some(n) => n,
        None => berth_engine::ids::random_id()?,
    };
    e.create_volume(&name, &labels, false)?;
    println!("{name}");
    Ok(0)
}

/// `volume ls`, filtered by `dangling`, `name` and `label`.
fn ls(e: &Engine, a: &VolumeLsArgs) -> anyhow::Result<i32> {
    let mut rows = Vec::new();
    // Volumes some container mounts, read once (for `dangling`) rather than per volume.
    let mut used: Option<std::collections::HashSet<String>> = None;
    for v in e.volumes()? {
        let mut keep = true;
        for f in &a.filter {
            let (k, val) = f.split_once('=').unwrap_or((f, ""));
            keep &= match k {
                "dangling" => {
                    let used = match &mut used {
                        Some(u) => u,
                        None => used.insert(e.mounted_volumes()?),
                    };
                    (val == "true") != used.contains(&v.name)
                }
                "name" => v.name.contains(val),
                "label" => match val.split_once('=') {
                    Some((lk, lv)) => v.labels.get(lk).map(String::as_str) == Some(lv),
                    None => v.labels.contains_key(val),
                },
                _ => anyhow::bail!("invalid filter '{k}'"),
            };
        }
        if keep {
            rows.push(json!({"Driver": "local", "Name": v.name, "Mountpoint": e.volume_path(&v.name), "Scope": "local", "Labels": v.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")}));
        }
    }
    if a.quiet {
        for r in rows {
            println!("{}", r["Name"].as_str().unwrap_or_default());
        }
        return Ok(0);
    }
    output::print_rows(
        a.format.as_deref(),
        VOLUMES.default_table,
        VOLUMES.headers,
        &rows,
    )?;
    Ok(0)
}

/// `volume prune` (`--all`: named volumes too).
fn prune(e: &Engine, a: &PruneArgs) -> anyhow::Result<i32> {
    let (removed, bytes) = e.prune_volumes(
        a.all,
        &berth_engine::system::prune_filter::PruneFilter::parse(&a.filter)?,
    )?;
    if !removed.is_empty() {
        println!("Deleted Volumes:");
        for n in removed {
            println!("{n}");
        }
        println!();
    }
    println!("Total reclaimed space: {}", output::human_size(bytes));
    Ok(0)
}
