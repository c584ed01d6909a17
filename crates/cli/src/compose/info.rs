//! The read-only reports: `top` (each running container's processes), `images` (the image
//! of each container), `port` (the host side of a published port), `ls` (the projects the
//! containers' labels name) and `version`, in docker compose v2's formats.

use std::collections::BTreeMap;

use anyhow::bail;
use berth_engine::reference::Reference;
use berth_engine::{Engine, Paths};
use serde::Serialize;
use serde_json::json;

use super::args::{ImagesArgs, LsArgs, PortArgs, ProjectOptions, ServicesArgs, VersionArgs};
use super::labels::{self, ProjectContainer};
use super::{exec, ps::project_name};
use crate::format::tabwriter::TabWriter;

/// docker compose's `PrintPrettySection`: `tabwriter.NewWriter(out, 20, 1, 3, ' ', 0)`.
const PRETTY: TabWriter = TabWriter {
    minwidth: 20,
    tabwidth: 1,
    padding: 3,
    padchar: ' ',
};

/// docker compose's `top` table: `tabwriter.NewWriter(out, 5, 1, 3, ' ', 0)`.
const TOP: TabWriter = TabWriter {
    minwidth: 5,
    tabwidth: 1,
    padding: 3,
    padchar: ' ',
};

/// `ps` output as the Docker daemon returns it for `top`: the titles, and each process's
/// fields with the overhanging ones (the command's words) joined into the last.
fn parse_ps(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let titles: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(String::from)
        .collect();
    let n = titles.len();
    let procs = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            if n == 0 || fields.len() < n {
                return fields.into_iter().map(String::from).collect();
            }
            let mut p: Vec<String> = fields[..n - 1].iter().map(|s| s.to_string()).collect();
            p.push(fields[n - 1..].join(" "));
            p
        })
        .collect();
    (titles, procs)
}

/// One container's `top` section: its name, the table, a blank line.
fn top_section(name: &str, titles: &[String], procs: &[Vec<String>]) -> String {
    let mut table = titles.join("\t");
    table.push('\n');
    for p in procs {
        for f in p {
            table.push_str(f);
            table.push('\t');
        }
        table.push('\n');
    }
    table.push('\n');
    format!("{name}\n{}", TOP.format(&table))
}

/// `top`.
pub fn top(paths: &Paths, o: &ProjectOptions, a: ServicesArgs) -> anyhow::Result<i32> {
    let name = project_name(o)?;
    let e = Engine::open(paths.clone())?;
    let mut list: Vec<ProjectContainer> = labels::service_containers(&e, &name, &a.services, true)?
        .into_iter()
        .filter(|c| c.state.is_running())
        .collect();
    list.sort_by(|x, y| x.rec.name.cmp(&y.rec.name));
    let mut out = String::new();
    for c in &list {
        let text = berth_runtime::ops::ps::table(&e.runtime(), &c.rec.id, &[])?;
        let (titles, procs) = parse_ps(&text);
        out.push_str(&top_section(&c.rec.name, &titles, &procs));
    }
    print!("{out}");
    Ok(0)
}

/// One `images` row, with docker compose's JSON field names and order.
#[derive(Serialize)]
struct ImageRow {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "ContainerName")]
    container_name: String,
    #[serde(rename = "Repository")]
    repository: String,
    #[serde(rename = "Tag")]
    tag: String,
    #[serde(rename = "Size")]
    size: u64,
}

/// The image of container `c`, by the name it was created from.
fn image_row(e: &Engine, c: &ProjectContainer) -> ImageRow {
    let inspect = e.inspect_image(&c.rec.image_id).ok();
    let id = inspect
        .as_ref()
        .and_then(|i| i["Id"].as_str().map(String::from))
        .unwrap_or_else(|| format!("sha256:{}", c.rec.image_id));
    let size = inspect
        .as_ref()
        .and_then(|i| i["Size"].as_u64())
        .unwrap_or(0);
    let (repository, tag) = match Reference::parse(&c.rec.image) {
        Ok(r) if !c.rec.image.starts_with("sha256:") => {
            (r.familiar_name(), r.tag.clone().unwrap_or_default())
        }
        _ => (String::new(), String::new()),
    };
    ImageRow {
        id,
        container_name: c.rec.name.clone(),
        repository,
        tag,
        size,
    }
}

/// The hex digits of an image ID (without `sha256:`).
fn hex_id(id: &str) -> &str {
    id.split_once(':').map_or(id, |(_, h)| h)
}

/// `images`.
pub fn images(paths: &Paths, o: &ProjectOptions, a: ImagesArgs) -> anyhow::Result<i32> {
    let name = project_name(o)?;
    let e = Engine::open(paths.clone())?;
    let mut list = labels::service_containers(&e, &name, &a.services, true)?;
    list.sort_by(|x, y| x.rec.name.cmp(&y.rec.name));
    let rows: Vec<ImageRow> = list.iter().map(|c| image_row(&e, c)).collect();
    if a.quiet {
        let mut ids: Vec<&str> = Vec::new();
        for r in &rows {
            let id = hex_id(&r.id);
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        for id in ids {
            println!("{id}");
        }
        return Ok(0);
    }
    match a.format.as_deref() {
        None | Some("table") | Some("pretty") | Some("") => {}
        Some("json") => {
            println!("{}", serde_json::to_string(&rows)?);
            return Ok(0);
        }
        Some(f) => bail!("format value {f:?} could not be parsed: parsing failed"),
    }
    let mut text = String::from("CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE\n");
    let or_none = |v: &str| {
        if v.is_empty() {
            "<none>".to_string()
        } else {
            v.to_string()
        }
    };
    for r in &rows {
        let id = hex_id(&r.id);
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\n",
            r.container_name,
            or_none(&r.repository),
            or_none(&r.tag),
            &id[..id.len().min(12)],
            crate::format::human_size(r.size),
        ));
    }
    print!("{}", PRETTY.format(&text));
    Ok(0)
}

/// `port`.
pub fn port(paths: &Paths, o: &ProjectOptions, a: PortArgs) -> anyhow::Result<i32> {
    let name = project_name(o)?;
    let e = Engine::open(paths.clone())?;
    let c = exec::target(&e, &name, &a.service, Some(a.index), true)?;
    let ports: Vec<_> = c.rec.attachments().flat_map(|n| n.ports.iter()).collect();
    if let Some(p) = ports
        .iter()
        .find(|p| p.container_port == a.private_port && p.proto == a.protocol)
    {
        let ip = if p.host_ip.is_empty() {
            "0.0.0.0"
        } else {
            &p.host_ip
        };
        println!("{ip}:{}", p.host_port);
        return Ok(0);
    }
    let published: Vec<String> = ports
        .iter()
        .map(|p| format!("{}/{}", p.host_port, p.proto))
        .collect();
    bail!(
        "no port {}/{} for container {}: {}",
        a.private_port,
        a.protocol,
        c.rec.name,
        published.join(", ")
    )
}

/// docker compose's `ls` STATUS: each state with its count, states sorted
/// (`exited(1), running(2)`).
pub fn combined_status(states: &[&str]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in states {
        *counts.entry(s).or_default() += 1;
    }
    counts
        .iter()
        .map(|(s, n)| format!("{s}({n})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The config files of a project's containers, each once, in order (`N/A` when one has
/// none, as docker compose reports).
fn combined_config_files(files: &[Option<&str>]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for f in files {
        let Some(f) = f else {
            return "N/A".into();
        };
        for one in f.split(',').filter(|s| !s.is_empty()) {
            if !out.contains(&one) {
                out.push(one);
            }
        }
    }
    out.join(",")
}

/// One `ls` row, with docker compose's JSON field names and order.
#[derive(Serialize)]
struct Stack {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Status")]
    status: String,
    #[serde(rename = "ConfigFiles")]
    config_files: String,
}

/// `ls`.
pub fn ls(paths: &Paths, _o: &ProjectOptions, a: LsArgs) -> anyhow::Result<i32> {
    let mut names: Vec<String> = Vec::new();
    for f in &a.filter {
        match f.split_once('=') {
            Some(("name", v)) => names.push(v.to_string()),
            _ => bail!("invalid filter '{}'", f.split('=').next().unwrap_or(f)),
        }
    }
    let json = match a.format.as_deref() {
        None | Some("table") | Some("pretty") | Some("") => false,
        Some("json") => true,
        Some(f) => bail!("format value {f:?} could not be parsed: parsing failed"),
    };
    let e = Engine::open(paths.clone())?;
    let mut projects: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for (r, st) in e.containers()? {
        let Some(p) = labels::label(&r, labels::PROJECT) else {
            continue;
        };
        if !(a.all || st.is_running() || st.status == "restarting") {
            continue;
        }
        projects
            .entry(p.to_string())
            .or_default()
            .push((r.clone(), st));
    }
    let rows: Vec<Stack> = projects
        .iter()
        .filter(|(p, _)| names.is_empty() || names.iter().any(|n| p.contains(n.as_str())))
        .map(|(p, list)| {
            let states: Vec<&str> = list.iter().map(|(_, s)| s.status.as_str()).collect();
            let files: Vec<Option<&str>> = list
                .iter()
                .map(|(r, _)| labels::label(r, labels::CONFIG_FILES))
                .collect();
            Stack {
                name: p.clone(),
                status: combined_status(&states),
                config_files: combined_config_files(&files),
            }
        })
        .collect();
    if a.quiet {
        for r in &rows {
            println!("{}", r.name);
        }
        return Ok(0);
    }
    if json {
        println!("{}", serde_json::to_string(&rows)?);
        return Ok(0);
    }
    let mut text = String::from("NAME\tSTATUS\tCONFIG FILES\n");
    for r in &rows {
        text.push_str(&format!("{}\t{}\t{}\n", r.name, r.status, r.config_files));
    }
    print!("{}", PRETTY.format(&text));
    Ok(0)
}

/// `version`.
pub fn version(a: VersionArgs) -> anyhow::Result<i32> {
    let v = labels::COMPOSE_VERSION;
    if a.short {
        println!("{v}");
        return Ok(0);
    }
    match a.format.as_deref() {
        Some("json") => println!("{}", json!({ "version": format!("v{v}") })),
        None | Some("pretty") | Some("") => println!("Docker Compose version v{v}"),
        Some(f) => bail!("format value {f:?} could not be parsed: parsing failed"),
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_status_counts_sorted_states() {
        assert_eq!(combined_status(&["running", "running"]), "running(2)");
        assert_eq!(
            combined_status(&["running", "exited", "running"]),
            "exited(1), running(2)"
        );
        assert_eq!(combined_status(&[]), "");
        assert_eq!(
            combined_config_files(&[Some("/a/c.yaml,/a/o.yaml"), Some("/a/c.yaml")]),
            "/a/c.yaml,/a/o.yaml"
        );
        assert_eq!(combined_config_files(&[Some("/a"), None]), "N/A");
    }

    #[test]
    fn top_tables_as_compose() {
        let ps =
            "UID PID PPID C STIME TTY TIME CMD\nroot 10 1 0 12:00 ? 00:00:00 sh -c sleep 1000\n";
        let (titles, procs) = parse_ps(ps);
        assert_eq!(titles.len(), 8);
        assert_eq!(procs[0].last().unwrap(), "sh -c sleep 1000");
        let out = top_section("p-web-1", &titles, &procs);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "p-web-1");
        assert!(
            lines[1].starts_with("UID    PID   PPID   C    STIME"),
            "{out}"
        );
        assert!(
            lines[2].starts_with("root   10    1      0    12:00"),
            "{out}"
        );
        assert_eq!(lines[3], "");
    }
}
