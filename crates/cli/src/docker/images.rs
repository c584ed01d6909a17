//! Image commands: `images`, `import`, `tag`, `rmi`, `history`, `save`, `load`,
//! `image inspect|prune`.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};

use anyhow::Context;
use berth_engine::reference::familiar;
use berth_store::archive::ArchiveFormat;
use serde_json::json;

use super::args::*;
use super::engine;
use super::output;
use crate::format::headers::IMAGES;

/// `image <subcommand>`.
pub fn dispatch(g: &Globals, c: ImageCommand) -> anyhow::Result<i32> {
    match c {
        ImageCommand::Ls(a) => list(g, a),
        ImageCommand::Import(a) => import(g, a),
        ImageCommand::Build(a) => super::build::build(g, *a),
        ImageCommand::Inspect(a) => inspect(g, a),
        ImageCommand::Rm(a) => rmi(g, a),
        ImageCommand::Prune(a) => prune(g, a),
        ImageCommand::History(a) => history(g, a),
        ImageCommand::Tag(a) => tag(g, a),
        ImageCommand::Save(a) => save(g, a),
        ImageCommand::Load(a) => load(g, a),
        ImageCommand::Pull(a) => super::registry::pull(g, a),
        ImageCommand::Push(a) => super::registry::push(g, a),
    }
}

/// `images`.
pub fn list(g: &Globals, a: ImagesArgs) -> anyhow::Result<i32> {
    let e = engine(g)?;
    let wanted = a
        .reference
        .as_deref()
        .map(berth_engine::reference::Reference::parse)
        .transpose()?;
    let mut rows = Vec::new();
    for (img, reference) in e.image_rows()? {
        if let Some(w) = &wanted {
            match &reference {
                Some(r)
                    if r.name() == w.name()
                        && (a.reference.as_deref().is_some_and(|s| !s.contains(':'))
                            || r.tag == w.tag) => {}
                _ => continue,
            }
        }
        if !image_filters_match(&e, &a.filter, &img, reference.as_ref())? {
            continue;
        }
        let (repo, tag) = match &reference {
            Some(r) => (
                r.familiar_name(),
                r.tag.clone().unwrap_or_else(|| "<none>".into()),
            ),
            None => ("<none>".to_string(), "<none>".to_string()),
        };
        let id = if a.no_trunc {
            format!("sha256:{}", img.id)
        } else {
            img.id[..12].to_string()
        };
        rows.push(json!({
            "Repository": repo,
            "Tag": tag,
            "ID": id,
            "Digest": "<none>",
            "CreatedSince": output::since(img.created.as_deref()),
            "CreatedAt": img.created.clone().unwrap_or_default(),
            "Size": output::human_size(img.size),
            "VirtualSize": output::human_size(img.size),
            "SharedSize": "N/A",
            "UniqueSize": "N/A",
            "Containers": "N/A",
        }));
    }
    if a.quiet {
        let mut seen = std::collections::HashSet::new();
        for r in rows {
            let id = r["ID"].as_str().unwrap_or_default().to_string();
            if seen.insert(id.clone()) {
                println!("{id}");
            }
        }
        return Ok(0);
    }
    output::print_rows(
        a.format.as_deref(),
        IMAGES.default_table,
        IMAGES.headers,
        &rows,
    )?;
    Ok(0)
}

/// Whether an `images` row passes every `--filter` (dangling, reference, label, before,
/// since).
fn image_filters_match(
    e: &berth_engine::Engine,
    filters: &[String],
    img: &berth_engine::images::index::ImageRow,
    reference: Option<&berth_engine::reference::Reference>,
) -> anyhow::Result<bool> {
    let created = |what: &str| -> anyhow::Result<(Option<String>, i64)> {
        let id = e.resolve_image_id(what)?;
        let row = berth_engine::images::index::get(&e.db, &id)?
            .ok_or_else(|| anyhow::anyhow!("No such image: {what}"))?;
        Ok((row.created, row.added))
    };
    let mine = (img.created.clone(), img.added);
    for f in filters {
        let (k, v) = f
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("bad format of filter (expected name=value)"))?;
        let ok = match k {
            "dangling" => (v == "true") == img.tags.is_empty(),
            "reference" => reference.is_some_and(|r| {
                output::glob_match(v, &r.familiar()) || output::glob_match(v, &r.familiar_name())
            }),
            "label" => {
                let labels = e
                    .image_by_id(&img.id)?
                    .config
                    .config
                    .labels
                    .unwrap_or_default();
                match v.split_once('=') {
                    Some((lk, lv)) => labels.get(lk).map(String::as_str) == Some(lv),
                    None => labels.contains_key(v),
                }
            }
            "before" => mine < created(v)?,
            "since" => mine > created(v)?,
            _ => anyhow::bail!("invalid filter '{k}'"),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `import`.
pub fn import(g: &Globals, a: ImportArgs) -> anyhow::Result<i32> {
    let mut e = engine(g)?;
    let input: Box<dyn Read> = if a.file == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(BufReader::new(
            File::open(&a.file).with_context(|| format!("open {}", a.file))?,
        ))
    };
    let id = e.import(
        input,
        a.reference.as_deref(),
        &a.change,
        a.message.as_deref(),
    )?;
    println!("sha256:{id}");
    Ok(0)
}

/// `tag`.
pub fn tag(g: &Globals, a: TagArgs) -> anyhow::Result<i32> {
    engine(g)?.tag_image(&a.source, &a.target)?;
    Ok(0)
}

/// `rmi`.
pub fn rmi(g: &Globals, a: RmiArgs) -> anyhow::Result<i32> {
    let mut e = engine(g)?;
    let mut code = 0;
    for name in &a.images {
        match e.remove_image(name, a.force) {
            Ok(r) => {
                for u in r.untagged {
                    println!("Untagged: {u}");
                }
                for d in r.deleted {
                    println!("Deleted: {d}");
                }
            }
            Err(err) => {
                eprintln!("Error response from daemon: {err}");
                code = 1;
            }
        }
    }
    Ok(code)
}

/// `image prune`.
pub fn prune(g: &Globals, a: PruneArgs) -> anyhow::Result<i32> {
    let mut e = engine(g)?;
    let (r, reclaimed) = e.prune_images(
        a.all,
        &berth_engine::system::prune_filter::PruneFilter::parse(&a.filter)?,
    )?;
    if !r.untagged.is_empty() || !r.deleted.is_empty() {
        println!("Deleted Images:");
        for u in r.untagged {
            println!("untagged: {u}");
        }
        for d in r.deleted {
            println!("deleted: {d}");
        }
        println!();
    }
    println!("Total reclaimed space: {}", output::human_size(reclaimed));
    Ok(0)
}

/// `image inspect`.
pub fn inspect(g: &Globals, a: ImageInspectArgs) -> anyhow::Result<i32> {
    let e = engine(g)?;
    output::inspect_each(a.format.as_deref(), &a.images, |n| e.inspect_image(n))
}

/// `history`.
pub fn history(g: &Globals, a: HistoryArgs) -> anyhow::Result<i32> {
    let e = engine(g)?;
    let rows = e.image_history(&a.image)?;
    if a.quiet {
        for r in rows {
            println!("{}", r["ID"].as_str().unwrap_or_default());
        }
        return Ok(0);
    }
    let rows: Vec<_> = rows
        .into_iter()
        .map(|mut r| {
            let id = r["ID"].as_str().unwrap_or_default().to_string();
            if !a.no_trunc && id.starts_with("sha256:") {
                r["ID"] = json!(id[7..19].to_string());
            }
            let size = r["Size"].as_u64().unwrap_or(0);
            r["Size"] = json!(output::human_size(size));
            let created = r["CreatedAt"].as_str().map(String::from);
            r["CreatedSince"] = json!(output::since(created.as_deref()));
            let by = r["CreatedBy"].as_str().unwrap_or_default().to_string();
            if !a.no_trunc {
                r["CreatedBy"] = json!(output::ellipsis(&by, 45));
            }
            r
        })
        .collect();
    output::print_rows(
        a.format.as_deref(),
        "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
        output::HISTORY_HEADERS,
        &rows,
    )?;
    Ok(0)
}

/// `save`.
pub fn save(g: &Globals, a: SaveArgs) -> anyhow::Result<i32> {
    let e = engine(g)?;
    let format = match a.format.as_str() {
        "docker-archive" | "docker" => ArchiveFormat::Docker,
        "oci-archive" | "oci" => ArchiveFormat::Oci,
        other => anyhow::bail!("unsupported --format {other:?}: use docker-archive or oci-archive"),
    };
    match &a.output {
        Some(path) => {
            // Write next to the target and rename, so a failed save leaves nothing half-written.
            let tmp = path.with_file_name(format!(
                ".{}.berth-tmp",
                path.file_name().and_then(|f| f.to_str()).unwrap_or("save")
            ));
            let result = (|| -> anyhow::Result<()> {
                let mut w = BufWriter::new(
                    File::create(&tmp).with_context(|| format!("create {}", tmp.display()))?,
                );
                e.save_images(&a.images, format, &mut w)?;
                w.flush()?;
                std::fs::rename(&tmp, path)
                    .with_context(|| format!("rename to {}", path.display()))?;
                Ok(())
            })();
            if result.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            result?;
        }
        None => {
            let stdout = io::stdout();
            if rustix::termios::isatty(&stdout) {
                anyhow::bail!(
                    "cowardly refusing to save to a terminal. Use the -o flag or redirect"
                );
            }
            let mut w = BufWriter::new(stdout.lock());
            e.save_images(&a.images, format, &mut w)?;
            w.flush()?;
        }
    }
    Ok(0)
}

/// `load`.
pub fn load(g: &Globals, a: LoadArgs) -> anyhow::Result<i32> {
    let mut e = engine(g)?;
    let input: Box<dyn Read> = match &a.input {
        Some(p) => Box::new(BufReader::new(
            File::open(p).with_context(|| format!("open {}", p.display()))?,
        )),
        None => Box::new(io::stdin().lock()),
    };
    for line in e.load_images(input)? {
        println!("{line}");
    }
    let _ = familiar;
    Ok(0)
}
