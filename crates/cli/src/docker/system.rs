//! `info`, `version` and `system df|prune|check|info|events`.

use std::io::{self, BufRead, IsTerminal, Write};

use berth_engine::system::df::DiskUsage;
use berth_engine::system::prune::PruneOptions;
use serde_json::{json, Value};

use super::args::*;
use super::{engine, output};

/// `system <subcommand>`.
pub fn dispatch(g: &Globals, c: SystemCommand) -> anyhow::Result<i32> {
    match c {
        SystemCommand::Df(a) => df(g, a),
        SystemCommand::Prune(a) => prune(g, a),
        SystemCommand::Check(a) => check(g, a),
        SystemCommand::Info(a) => info(g, a),
        SystemCommand::Events(a) => super::events::events(g, a),
        SystemCommand::Service(a) => super::service::service(g, a),
    }
}

/// Renders `value` with a `--format` template (`json` prints it as JSON).
fn print_formatted(format: &str, value: &Value) -> anyhow::Result<()> {
    if format == "json" {
        println!("{}", serde_json::to_string(value)?);
        return Ok(());
    }
    let t = crate::format::Template::parse(format).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", t.render(value).map_err(|e| anyhow::anyhow!("{e}"))?);
    Ok(())
}

/// `version`.
pub fn version(_g: &Globals, a: VersionArgs) -> anyhow::Result<i32> {
    let v = berth_engine::system::info::version();
    if let Some(f) = a.format.as_deref() {
        print_formatted(f, &serde_json::to_value(&v)?)?;
        return Ok(0);
    }
    let (c, s) = (&v.client, &v.server);
    println!("Client:");
    println!(" Version:           {}", c.version);
    println!(" API version:       {}", c.api_version);
    println!(" OS/Arch:           {}/{}", c.os, c.arch);
    println!(" Context:           default");
    println!();
    println!("Server: {}", s.platform.name);
    println!(" Engine:");
    println!("  Version:          {}", s.version);
    println!("  API version:      {}", s.api_version);
    println!("  OS/Arch:          {}/{}", s.os, s.arch);
    println!("  Kernel Version:   {}", s.kernel_version);
    println!("  Experimental:     false");
    Ok(0)
}

/// `info`.
pub fn info(g: &Globals, a: InfoArgs) -> anyhow::Result<i32> {
    let i = engine(g)?.info()?;
    if let Some(f) = a.format.as_deref() {
        print_formatted(f, &serde_json::to_value(&i)?)?;
        return Ok(0);
    }
    println!("Client:");
    println!(" Version:    {}", env!("CARGO_PKG_VERSION"));
    println!(" Context:    default");
    println!(" Debug Mode: false");
    println!();
    println!("Server:");
    println!(" Containers: {}", i.containers);
    println!("  Running: {}", i.containers_running);
    println!("  Paused: {}", i.containers_paused);
    println!("  Stopped: {}", i.containers_stopped);
    println!(" Images: {}", i.images);
    println!(" Server Version: {}", i.server_version);
    println!(" Storage Driver: {}", i.driver);
    println!(" Logging Driver: {}", i.logging_driver);
    println!(" Cgroup Driver: {}", i.cgroup_driver);
    println!(" Cgroup Version: {}", i.cgroup_version);
    println!(" Default Runtime: {}", i.default_runtime);
    println!(" Kernel Version: {}", i.kernel_version);
    println!(" Operating System: {}", i.operating_system);
    println!(" OSType: {}", i.os_type);
    println!(" Architecture: {}", i.architecture);
    println!(" CPUs: {}", i.ncpu);
    println!(" Total Memory: {}", crate::format::bytes_size(i.mem_total));
    println!(" Name: {}", i.name);
    println!(" Docker Root Dir: {}", i.docker_root_dir);
    println!(" Debug Mode: false");
    Ok(0)
}

/// `system df`.
fn df(g: &Globals, a: SystemDfArgs) -> anyhow::Result<i32> {
    let usage = engine(g)?.disk_usage()?;
    if a.verbose && a.format.is_none() {
        return df_verbose(&usage);
    }
    let rows: Vec<Value> = usage
        .summary()
        .into_iter()
        .map(|s| {
            let pct = (s.reclaimable * 100).checked_div(s.size).unwrap_or(0);
            let reclaimable = if s.kind == "Build Cache" { output::human_size(s.reclaimable) } else { format!("{} ({pct}%)", output::human_size(s.reclaimable)) };
            json!({"Type": s.kind, "TotalCount": s.total, "Active": s.active, "Size": output::human_size(s.size), "Reclaimable": reclaimable})
        })
        .collect();
    let headers = [
        ("Type", "TYPE"),
        ("TotalCount", "TOTAL"),
        ("Active", "ACTIVE"),
        ("Size", "SIZE"),
        ("Reclaimable", "RECLAIMABLE"),
    ];
    output::print_rows(
        a.format.as_deref(),
        "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
        &headers,
        &rows,
    )?;
    Ok(0)
}

/// `system df -v`: one table per kind.
fn df_verbose(u: &DiskUsage) -> anyhow::Result<i32> {
    println!("Images space usage:\n");
    let mut rows = Vec::new();
    for i in &u.images {
        let names: Vec<Option<berth_engine::reference::Reference>> = if i.row.tags.is_empty() {
            vec![None]
        } else {
            i.row
                .tags
                .iter()
                .map(|t| berth_engine::reference::Reference::parse(t).ok())
                .collect()
        };
        for r in names {
            let (repo, tag) = match &r {
                Some(r) => (
                    r.familiar_name(),
                    r.tag.clone().unwrap_or_else(|| "<none>".into()),
                ),
                None => ("<none>".into(), "<none>".into()),
            };
            rows.push(json!({"Repository": repo, "Tag": tag, "ID": &i.row.id[..12.min(i.row.id.len())], "CreatedSince": output::since(i.row.created.as_deref()), "Size": output::human_size(i.size), "SharedSize": output::human_size(i.shared), "UniqueSize": output::human_size(i.size - i.shared.min(i.size)), "Containers": i.containers}));
        }
    }
    let t = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}";
    output::print_rows(
        None,
        t,
        &[("ID", "IMAGE ID"), ("CreatedSince", "CREATED")],
        &rows,
    )?;
    println!("\nContainers space usage:\n");
    let rows: Vec<Value> = u
        .containers
        .iter()
        .map(|c| {
            let cmd = std::iter::once(c.record.path.clone()).chain(c.record.args.iter().cloned()).collect::<Vec<_>>().join(" ");
            json!({"ID": c.record.short_id(), "Image": c.record.image, "Command": output::ellipsis(&format!("\"{cmd}\""), 20), "LocalVolumes": c.record.mounts.iter().filter(|m| m.kind == "volume").count(), "Size": output::human_size(c.size), "RunningFor": output::since(Some(&c.record.created)), "Status": c.state.status, "Names": c.record.name})
        })
        .collect();
    let t = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}";
    output::print_rows(
        None,
        t,
        &[("ID", "CONTAINER ID"), ("RunningFor", "CREATED")],
        &rows,
    )?;
    println!("\nLocal Volumes space usage:\n");
    let rows: Vec<Value> = u
        .volumes
        .iter()
        .map(|v| json!({"Name": v.name, "Links": v.links, "Size": output::human_size(v.size)}))
        .collect();
    output::print_rows(
        None,
        "table {{.Name}}\t{{.Links}}\t{{.Size}}",
        &[("Name", "VOLUME NAME")],
        &rows,
    )?;
    println!(
        "\nBuild cache usage: {}",
        output::human_size(u.build_cache_size)
    );
    Ok(0)
}

/// `system prune`.
fn prune(g: &Globals, a: SystemPruneArgs) -> anyhow::Result<i32> {
    if !a.force {
        let mut warning = String::from("WARNING! This will remove:\n  - all stopped containers\n");
        if a.volumes {
            warning.push_str("  - all anonymous volumes not used by at least one container\n");
        }
        warning.push_str(if a.all {
            "  - all images without at least one container associated to them\n"
        } else {
            "  - all dangling images\n"
        });
        warning.push_str("  - all networks not used by at least one container\n");
        if a.all {
            warning.push_str("  - all build cache\n");
        }
        if !confirm(&warning)? {
            return Ok(0);
        }
    }
    let mut e = engine(g)?;
    let r = e.system_prune(PruneOptions {
        all: a.all,
        volumes: a.volumes,
        filter: berth_engine::system::prune_filter::PruneFilter::parse(&a.filter)?,
    })?;
    if !r.containers.is_empty() {
        println!("Deleted Containers:\n{}\n", r.containers.join("\n"));
    }
    if !r.networks.is_empty() {
        println!("Deleted Networks:\n{}\n", r.networks.join("\n"));
    }
    if !r.volumes.is_empty() {
        println!("Deleted Volumes:\n{}\n", r.volumes.join("\n"));
    }
    if !r.images.untagged.is_empty() || !r.images.deleted.is_empty() {
        println!("Deleted Images:");
        for u in &r.images.untagged {
            println!("untagged: {u}");
        }
        for d in &r.images.deleted {
            println!("deleted: {d}");
        }
        println!();
    }
    if r.build_cache > 0 {
        println!("Deleted build cache objects: {}\n", r.build_cache);
    }
    println!("Total reclaimed space: {}", output::human_size(r.reclaimed));
    Ok(0)
}

/// Docker's `[y/N]` prompt; refused outright without a terminal on stdin.
pub fn confirm(warning: &str) -> anyhow::Result<bool> {
    if !io::stdin().is_terminal() {
        anyhow::bail!("refusing to prune without confirmation: stdin is not a terminal; pass -f/--force to prune anyway");
    }
    print!("{warning}\nAre you sure you want to continue? [y/N] ");
    io::stdout().flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// `system check [--repair]`: exit 0 when clean (or all repaired), 1 when problems remain.
fn check(g: &Globals, a: SystemCheckArgs) -> anyhow::Result<i32> {
    let report = engine(g)?.system_check(a.repair)?;
    for f in &report.findings {
        let outcome = match &f.repaired {
            Some(Ok(())) => " [repaired]".to_string(),
            Some(Err(e)) => format!(" [repair failed: {e}]"),
            None if !f.repairable => " [needs manual action]".to_string(),
            None => String::new(),
        };
        println!("{}: {}: {}{outcome}", f.what, f.subject, f.detail);
    }
    let (found, left) = (report.findings.len(), report.remaining());
    if found == 0 {
        println!("No problems found.");
    } else if left == 0 {
        println!("{found} problem(s) found, all repaired.");
    } else if a.repair {
        println!(
            "{found} problem(s) found, {} repaired, {left} remain.",
            found - left
        );
    } else {
        println!("{found} problem(s) found; run `berth system check --repair` to repair them.");
    }
    Ok(if left == 0 { 0 } else { 1 })
}
