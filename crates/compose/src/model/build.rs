//! `build`: the string form (context) and the map form, normalised.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ctx::Ctx;
use super::env::{extra_hosts, resolved_map, string_map};
use super::node::Node;
use super::units::bytes_from_node;
use crate::Result;

/// How to build a service's image.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Build {
    /// The context: an absolute directory, or a URL (git) left as written.
    pub context: String,
    /// The Dockerfile, relative to the context (default `Dockerfile` unless inline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<String>,
    /// An inline Dockerfile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile_inline: Option<String>,
    /// Build arguments (a bare name takes its value from the environment, or is dropped).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
    /// The stage to build.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Image labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Network mode of `RUN` steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Extra `/etc/hosts` entries during the build.
    #[serde(
        skip_serializing_if = "BTreeMap::is_empty",
        serialize_with = "super::output::hosts"
    )]
    pub extra_hosts: BTreeMap<String, Vec<String>>,
    /// SSH agent sockets or keys (`default`, `id=path`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ssh: Vec<String>,
    /// Cache sources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cache_from: Vec<String>,
    /// Cache exports.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cache_to: Vec<String>,
    /// Do not use the build cache.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_cache: bool,
    /// Always pull base images.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pull: bool,
    /// Target platforms.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// Extra tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `/dev/shm` size of `RUN` steps, in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<i64>,
    /// Named extra contexts (`name: path-or-url`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub additional_contexts: BTreeMap<String, String>,
    /// Run `RUN` steps privileged.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub privileged: bool,
}

fn is_url(s: &str) -> bool {
    s.contains("://") || s.starts_with("git@") || s.starts_with("github.com/")
}

fn context(s: &str, at: Node<'_, '_>, ctx: &Ctx<'_>) -> Result<String> {
    if is_url(s) {
        return Ok(s.to_string());
    }
    Ok(ctx
        .host_path(s)
        .map_err(|e| at.err(e))?
        .to_string_lossy()
        .into_owned())
}

/// Reads `build`. Keys the model does not use are reported in `warnings`.
pub(crate) fn build(n: Node<'_, '_>, ctx: &Ctx<'_>, warnings: &mut Vec<String>) -> Result<Build> {
    if let Some(s) = n.v.as_str() {
        return Ok(Build {
            context: context(s, n, ctx)?,
            dockerfile: Some("Dockerfile".into()),
            ..Default::default()
        });
    }
    let mut b = Build {
        context: context(".", n, ctx)?,
        ..Default::default()
    };
    for (k, c) in n.entries()? {
        let c = c.node();
        match k {
            "context" => b.context = context(c.str()?, c, ctx)?,
            "dockerfile" => b.dockerfile = c.opt_scalar()?,
            "dockerfile_inline" => b.dockerfile_inline = c.opt_scalar()?,
            "args" => b.args = resolved_map(c, ctx)?,
            "target" => b.target = c.opt_scalar()?,
            "labels" => b.labels = string_map(c)?,
            "network" => b.network = c.opt_scalar()?,
            "extra_hosts" => b.extra_hosts = extra_hosts(c)?,
            "ssh" => {
                b.ssh = match c.v {
                    serde_json::Value::Object(_) => super::env::list_or_map(c, '=')?
                        .into_iter()
                        .map(|(k, v)| v.map_or(k.clone(), |v| format!("{k}={v}")))
                        .collect(),
                    _ => c.string_or_list()?,
                }
            }
            "cache_from" => b.cache_from = c.string_or_list()?,
            "cache_to" => b.cache_to = c.string_or_list()?,
            "no_cache" => b.no_cache = c.bool()?,
            "pull" => b.pull = c.bool()?,
            "platforms" => b.platforms = c.string_or_list()?,
            "tags" => b.tags = c.string_or_list()?,
            "shm_size" => b.shm_size = Some(bytes_from_node(c)?),
            "additional_contexts" => {
                for (name, v) in string_map(c)? {
                    let v = if v.contains(':') && !v.starts_with('.') && !v.starts_with('/') {
                        v
                    } else {
                        context(&v, c, ctx)?
                    };
                    b.additional_contexts.insert(name, v);
                }
            }
            "privileged" => b.privileged = c.bool()?,
            k if k.starts_with("x-") => {}
            k => warnings.push(format!(
                "{}: build option {k:?} is not supported, ignored",
                n.path
            )),
        }
    }
    if b.dockerfile.is_some() && b.dockerfile_inline.is_some() {
        return Err(n.err("dockerfile and dockerfile_inline are mutually exclusive"));
    }
    if b.dockerfile.is_none() && b.dockerfile_inline.is_none() {
        b.dockerfile = Some("Dockerfile".into());
    }
    Ok(b)
}
