//! `extends`: a service built on another one, from the same file or another (its path
//! relative to the extending file), nested to any depth; a cycle is an error. The base is
//! merged under the service with the multi-file merge rules; when the base comes from another
//! directory its relative paths are made absolute against that directory first.

use std::path::{Path, PathBuf};

use super::file::{parse_file, read, Ctx};
use super::merge::merge;
use super::paths::{absolute, rebase_service};
use super::yaml::{Kind, Node};
use crate::error::{Error, Result};

/// Resolves `extends` in every service of `doc` (the file `path`).
pub(crate) fn resolve(doc: &mut Node, path: &Path, ctx: &mut Ctx<'_>) -> Result<()> {
    let names: Vec<String> = match doc.get("services").and_then(Node::as_map) {
        Some(m) => m
            .iter()
            .filter(|(_, v)| v.get("extends").is_some())
            .map(|(k, _)| k.name.clone())
            .collect(),
        None => return Ok(()),
    };
    let snapshot = doc.clone();
    for name in names {
        let mut stack = Vec::new();
        let resolved = service(&snapshot, path, &name, ctx, &mut stack)?;
        if let Some(slot) = doc.get_mut("services").and_then(|s| s.get_mut(&name)) {
            *slot = resolved;
        }
    }
    Ok(())
}

fn err(node: &Node, path: String, message: String) -> Error {
    Error::At {
        span: Some(node.span.clone()),
        path,
        message,
    }
}

/// Service `name` of `doc` (file `file`) with its `extends` chain merged in.
fn service(
    doc: &Node,
    file: &Path,
    name: &str,
    ctx: &mut Ctx<'_>,
    stack: &mut Vec<(PathBuf, String)>,
) -> Result<Node> {
    let Some(svc) = doc.get("services").and_then(|s| s.get(name)) else {
        return Err(Error::Invalid(format!(
            "cannot extend service {name:?} in {}: service not found",
            file.display()
        )));
    };
    let here = (file.to_path_buf(), name.to_string());
    if stack.contains(&here) {
        let mut chain: Vec<String> = stack.iter().map(|(_, s)| s.clone()).collect();
        chain.push(name.to_string());
        return Err(err(
            svc,
            format!("services.{name}.extends"),
            format!("circular reference with extends: {}", chain.join(" -> ")),
        ));
    }
    let Some(ext) = svc.get("extends") else {
        return Ok(svc.clone());
    };
    let at = format!("services.{name}.extends");
    let (base_name, base_file) = match &ext.kind {
        Kind::Str(s) => (s.clone(), None),
        Kind::Map(_) => {
            let Some(s) = ext.get("service").and_then(Node::as_str) else {
                return Err(err(ext, at, "extends requires a service".into()));
            };
            (
                s.to_string(),
                ext.get("file").and_then(Node::as_str).map(str::to_string),
            )
        }
        _ => return Err(err(ext, at, "must be a string or a mapping".into())),
    };
    stack.push(here);
    let dir = file.parent().unwrap_or(Path::new("."));
    let base = match base_file {
        None => service(doc, file, &base_name, ctx, stack)?,
        Some(f) => {
            if f.contains("://") {
                return Err(err(
                    ext,
                    at,
                    format!("remote extends are not supported: {f}"),
                ));
            }
            let other = absolute(dir, &f);
            let text = read(&other)?;
            let other_doc = parse_file(&text, &other, ctx)?;
            let mut base = service(&other_doc, &other, &base_name, ctx, stack)?;
            let other_dir = other.parent().unwrap_or(Path::new("."));
            if other_dir != dir {
                rebase_service(&mut base, other_dir);
            }
            base
        }
    };
    stack.pop();
    let mut local = svc.clone();
    local.remove("extends");
    let path = ["services".to_string(), name.to_string()];
    let mut merged = merge(base, local, &path).unwrap_or_else(|| svc.clone());
    merged.remove("extends");
    Ok(merged)
}
