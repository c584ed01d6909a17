//! Top-level `volumes`, `secrets` and `configs`, and a service's references to secrets and
//! configs (short and long form).

use std::collections::BTreeMap;

use serde::Serialize;

use super::ctx::Ctx;
use super::env::string_map;
use super::networks::{external, real_name};
use super::node::Node;
use super::volumes::file_mode;
use crate::Result;

/// A top-level volume.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Volume {
    /// The real name (`<project>_<key>`, or `name:`, or the key when external).
    pub name: String,
    /// Driver (`local` when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// Driver options (`type`, `o`, `device` for the local driver).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    /// Created elsewhere; compose neither creates nor removes it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    /// Labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// Reads one top-level volume.
pub(crate) fn volume(key: &str, n: Node<'_, '_>, project: &str) -> Result<Volume> {
    let mut v = Volume::default();
    let mut name = None;
    for (k, c) in n.entries_or_null()? {
        let c = c.node();
        match k {
            "name" => name = Some(c.scalar()?),
            "driver" => v.driver = Some(c.scalar()?),
            "driver_opts" => v.driver_opts = string_map(c)?,
            "external" => {
                let (e, n) = external(c)?;
                v.external = e;
                name = name.or(n);
            }
            "labels" => v.labels = string_map(c)?,
            k if k.starts_with("x-") => {}
            k => return Err(c.err(format!("unknown volume attribute {k:?}"))),
        }
    }
    if v.external && (v.driver.is_some() || !v.driver_opts.is_empty()) {
        return Err(n.err(format!(
            "conflicting parameters \"external\" and \"driver\" specified for volume {key:?}"
        )));
    }
    v.name = real_name(project, key, name, v.external);
    Ok(v)
}

/// A top-level secret or config: where its content comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileObject {
    /// The real name.
    pub name: String,
    /// Content from this file (absolute path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Content from this variable of the interpolation environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Inline content (configs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Created elsewhere.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    /// Labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// Reads one top-level secret or config (`what` is "secret" or "config").
pub(crate) fn file_object(
    what: &str,
    key: &str,
    n: Node<'_, '_>,
    project: &str,
    ctx: &Ctx<'_>,
) -> Result<FileObject> {
    let mut o = FileObject::default();
    let mut name = None;
    for (k, c) in n.entries_or_null()? {
        let c = c.node();
        match k {
            "name" => name = Some(c.scalar()?),
            "file" => {
                let p = ctx.host_path(c.str()?).map_err(|e| c.err(e))?;
                o.file = Some(p.to_string_lossy().into_owned());
            }
            "environment" => o.environment = Some(c.scalar()?),
            "content" if what == "config" => o.content = Some(c.scalar()?),
            "external" => {
                let (e, n) = external(c)?;
                o.external = e;
                name = name.or(n);
            }
            "labels" => o.labels = string_map(c)?,
            "driver" | "driver_opts" | "template_driver" => {}
            k if k.starts_with("x-") => {}
            k => return Err(c.err(format!("unknown {what} attribute {k:?}"))),
        }
    }
    let sources = [
        o.file.is_some(),
        o.environment.is_some(),
        o.content.is_some(),
        o.external,
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if sources != 1 {
        let also = if what == "config" { ", content" } else { "" };
        return Err(n.err(format!(
            "{what} {key:?} must have exactly one of file, environment{also} or external"
        )));
    }
    o.name = real_name(project, key, name, o.external);
    Ok(o)
}

/// A service's use of a secret or config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileRef {
    /// The top-level key.
    pub source: String,
    /// Path in the container (secrets: relative to `/run/secrets`; none: the source name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Owner uid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Owner gid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
    /// File mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
}

/// Reads a service's `secrets` or `configs`.
pub(crate) fn file_refs(n: Node<'_, '_>) -> Result<Vec<FileRef>> {
    let mut out = Vec::new();
    if n.is_null() {
        return Ok(out);
    }
    for item in n.items()? {
        let item = item.node();
        if !item.v.is_object() {
            out.push(FileRef {
                source: item.str()?.to_string(),
                ..Default::default()
            });
            continue;
        }
        let mut r = FileRef::default();
        for (k, c) in item.entries()? {
            let c = c.node();
            match k {
                "source" => r.source = c.str()?.to_string(),
                "target" => r.target = Some(c.scalar()?),
                "uid" => r.uid = Some(c.scalar()?),
                "gid" => r.gid = Some(c.scalar()?),
                "mode" => r.mode = Some(file_mode(c)?),
                k if k.starts_with("x-") => {}
                k => return Err(c.err(format!("unknown attribute {k:?}"))),
            }
        }
        if r.source.is_empty() {
            return Err(item.err("missing source"));
        }
        out.push(r);
    }
    Ok(out)
}
