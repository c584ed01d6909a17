//! `include`: other compose projects loaded on their own (their own project directory and
//! `.env`, relative paths made absolute against that directory) whose services, networks,
//! volumes, configs, secrets and models are copied in; a resource defined on both sides
//! differently is an error, and so is an include cycle or a remote (git, OCI) include.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::dotenv;
use super::file::{load_files, read, Ctx};
use super::merge::unicity;
use super::paths::{absolute, rebase_document};
use super::yaml::{Kind, Node};
use crate::error::{Error, Result};

/// Resolves and removes the `include` of `doc` (the file `path`).
pub(crate) fn apply(doc: &mut Node, path: &Path, ctx: &mut Ctx<'_>) -> Result<()> {
    let Some(inc) = doc.remove("include") else {
        return Ok(());
    };
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let entries = match inc.kind {
        Kind::Seq(items) => items,
        Kind::Null => Vec::new(),
        _ => return Err(at(&inc, "include".into(), "must be a list".into())),
    };
    for (i, entry) in entries.into_iter().enumerate() {
        let here = format!("include[{i}]");
        let spec = Spec::read(&entry, &here)?;
        let files: Vec<PathBuf> = spec.paths.iter().map(|p| absolute(&dir, p)).collect();
        let Some(first) = files.first() else {
            return Err(at(&entry, here, "include requires a path".into()));
        };
        let project_dir = match &spec.project_directory {
            Some(p) => absolute(&dir, p),
            None => first.parent().unwrap_or(Path::new(".")).to_path_buf(),
        };
        for f in &files {
            if ctx.includes.contains(f) || f == path {
                return Err(at(
                    &entry,
                    here.clone(),
                    format!("include cycle detected: {} includes itself", f.display()),
                ));
            }
        }
        let env_files: Vec<PathBuf> = if spec.env_files.is_empty() {
            let default = project_dir.join(".env");
            if default.is_file() {
                vec![default]
            } else {
                Vec::new()
            }
        } else {
            spec.env_files.iter().map(|p| absolute(&dir, p)).collect()
        };
        let env = env_for(&ctx.env, &env_files)?;
        let mut texts = Vec::new();
        for f in &files {
            texts.push((f.clone(), read(f)?));
        }
        let mut includes = ctx.includes.clone();
        includes.push(path.to_path_buf());
        let mut sub_ctx = Ctx {
            env,
            warnings: &mut *ctx.warnings,
            includes,
        };
        let mut sub = load_files(&texts, &mut sub_ctx)?;
        unicity(&mut sub, &mut Vec::new());
        rebase_document(&mut sub, &project_dir);
        import(doc, sub, &entry, &here)?;
    }
    Ok(())
}

fn at(node: &Node, path: String, message: String) -> Error {
    Error::At {
        span: Some(node.span.clone()),
        path,
        message,
    }
}

/// One `include` item, short (`- path`) or long.
struct Spec {
    paths: Vec<String>,
    project_directory: Option<String>,
    env_files: Vec<String>,
}

fn strings(node: &Node) -> Vec<String> {
    match &node.kind {
        Kind::Str(s) => vec![s.clone()],
        Kind::Seq(items) => items.iter().filter_map(Node::scalar_text).collect(),
        _ => Vec::new(),
    }
}

impl Spec {
    fn read(entry: &Node, here: &str) -> Result<Spec> {
        let spec = match &entry.kind {
            Kind::Str(s) => Spec {
                paths: vec![s.clone()],
                project_directory: None,
                env_files: Vec::new(),
            },
            Kind::Map(_) => Spec {
                paths: entry.get("path").map(strings).unwrap_or_default(),
                project_directory: entry
                    .get("project_directory")
                    .and_then(Node::as_str)
                    .map(str::to_string),
                env_files: entry.get("env_file").map(strings).unwrap_or_default(),
            },
            _ => {
                return Err(at(
                    entry,
                    here.to_string(),
                    "must be a string or a mapping".into(),
                ))
            }
        };
        for p in &spec.paths {
            if p.contains("://") || p.starts_with("git@") || p.starts_with("oci:") {
                return Err(at(
                    entry,
                    here.to_string(),
                    format!("remote include is not supported: {p}"),
                ));
            }
        }
        Ok(spec)
    }
}

/// The including project's variables, completed (never overridden) by the include's `.env`.
fn env_for(
    parent: &BTreeMap<String, String>,
    files: &[PathBuf],
) -> Result<BTreeMap<String, String>> {
    let mut env = parent.clone();
    for f in files {
        let text = read(f)?;
        let lookup = |k: &str| env.get(k).cloned();
        let vars = dotenv::parse(&text, &lookup)
            .map_err(|m| Error::Invalid(format!("{}: {m}", f.display())))?;
        for (k, v) in vars {
            env.entry(k).or_insert(v);
        }
    }
    Ok(env)
}

/// Copies the resources of `sub` into `doc`.
fn import(doc: &mut Node, sub: Node, entry: &Node, here: &str) -> Result<()> {
    let Kind::Map(sections) = sub.kind else {
        return Ok(());
    };
    for (key, section) in sections {
        if !matches!(
            key.name.as_str(),
            "services" | "networks" | "volumes" | "secrets" | "configs" | "models"
        ) {
            continue;
        }
        let Kind::Map(items) = section.kind else {
            continue;
        };
        if doc.get(&key.name).is_none() {
            doc.set(
                key.clone(),
                Node::new(Kind::Map(Vec::new()), key.span.clone()),
            );
        }
        let Some(target) = doc.get_mut(&key.name) else {
            continue;
        };
        if matches!(target.kind, Kind::Null) {
            target.kind = Kind::Map(Vec::new());
        }
        for (name, value) in items {
            match target.get(&name.name) {
                Some(existing) => {
                    let mut a = crate::loaded::SpanIndex::default();
                    let mut b = crate::loaded::SpanIndex::default();
                    if super::spans::to_json(existing, "", &mut a)
                        != super::spans::to_json(&value, "", &mut b)
                    {
                        return Err(at(
                            existing,
                            format!("{}.{}", key.name, name.name),
                            format!(
                                "conflicts with imported resource from {here} ({})",
                                entry.span.file.display()
                            ),
                        ));
                    }
                }
                None => target.set(name, value),
            }
        }
    }
    Ok(())
}
