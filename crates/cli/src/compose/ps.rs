//! `ps`: the project's containers as docker compose lists them (NAME, IMAGE, COMMAND,
//! SERVICE, CREATED, STATUS, PORTS), `-q`, `--services`, `--status`, `--format json`.

use berth_engine::{Engine, Paths};
use serde_json::{json, Value};

use super::args::{ProjectOptions, PsArgs};
use super::labels::{self, ProjectContainer};
use super::project;
use crate::docker::containers::status_text;
use crate::docker::output;
use crate::format::headers::COMPOSE_PS;

/// The project name for commands that also work without a compose file.
pub fn project_name(o: &ProjectOptions) -> anyhow::Result<String> {
    match project::load_or_name(o, &[])? {
        Some(p) => Ok(p.name),
        None => Ok(project::name_only(o).unwrap_or_default()),
    }
}

/// The published ports as docker compose's JSON lists them (while the container runs).
fn publishers(c: &ProjectContainer) -> Vec<Value> {
    if !c.state.is_running() {
        return Vec::new();
    }
    c.rec
        .net
        .iter()
        .flat_map(|n| &n.ports)
        .map(|p| {
            json!({
                "URL": if p.host_ip.is_empty() { "0.0.0.0" } else { p.host_ip.as_str() },
                "TargetPort": p.container_port,
                "PublishedPort": p.host_port,
                "Protocol": p.proto,
            })
        })
        .collect()
}

/// One row, with docker compose's field names.
fn row(c: &ProjectContainer, project: &str, no_trunc: bool) -> Value {
    let r = &c.rec;
    use crate::docker::containers::{command_column, labels_column, ports_column};
    let command = command_column(&r.path, &r.args, no_trunc);
    let ports = ports_column(r.net.as_ref(), c.state.is_running());
    let labels = labels_column(&r.config);
    json!({
        "ID": if no_trunc { r.id.clone() } else { r.short_id().to_string() },
        "Name": r.name,
        "Names": r.name,
        "Image": r.image,
        "Command": command,
        "Project": project,
        "Service": c.service,
        "CreatedAt": r.created,
        "RunningFor": output::since(Some(&r.created)),
        "State": c.state.status,
        "Status": status_text(&c.state),
        "Health": c.state.health.as_ref().map(|h| h.status.clone()).unwrap_or_default(),
        "ExitCode": c.state.exit_code,
        "Ports": ports,
        "Publishers": publishers(c),
        "Labels": labels,
        "Networks": r.attachments().map(|a| a.network.clone()).collect::<Vec<_>>().join(","),
        "LocalVolumes": r.mounts.iter().filter(|m| m.kind == "volume").count().to_string(),
        "Mounts": r.mounts.iter().map(|m| m.name.clone().unwrap_or_else(|| m.source.clone())).collect::<Vec<_>>().join(","),
        "Size": 0,
    })
}

/// `ps`.
pub fn ps(paths: &Paths, o: &ProjectOptions, a: PsArgs) -> anyhow::Result<i32> {
    let name = project_name(o)?;
    let e = Engine::open(paths.clone())?;
    let mut list = labels::service_containers(&e, &name, &a.names, true)?;
    let mut statuses = a.status.clone();
    if let Some(f) = &a.filter {
        match f.split_once('=') {
            Some(("status", v)) => statuses.push(v.to_string()),
            _ => anyhow::bail!("invalid filter {f:?}: only status=<state> is supported"),
        }
    }
    if !statuses.is_empty() {
        list.retain(|c| statuses.contains(&c.state.status));
    } else if !a.all {
        list.retain(|c| c.is_running());
    }
    if a.services {
        let mut seen = Vec::new();
        for c in &list {
            if !seen.contains(&c.service) {
                println!("{}", c.service);
                seen.push(c.service.clone());
            }
        }
        return Ok(0);
    }
    if a.quiet {
        // docker compose prints full IDs.
        for c in &list {
            println!("{}", c.rec.id);
        }
        return Ok(0);
    }
    let rows: Vec<Value> = list.iter().map(|c| row(c, &name, a.no_trunc)).collect();
    let format = match a.format.as_deref() {
        None | Some("table") => None,
        Some(f) => Some(f),
    };
    output::print_rows(format, COMPOSE_PS.default_table, COMPOSE_PS.headers, &rows)?;
    Ok(0)
}
