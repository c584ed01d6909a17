//! `environment`, `env_file` and the other "list of `K=V` or mapping" attributes (labels,
//! sysctls, build args, extra_hosts), normalised to maps of strings.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ctx::Ctx;
use super::dotenv::read_env_file;
use super::node::Node;
use crate::Result;

/// One `env_file` entry, long form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvFile {
    /// Absolute path of the file.
    pub path: String,
    /// Whether a missing file is an error (default true).
    pub required: bool,
    /// `raw` (values taken literally) or none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// A list of `K=V`/`K` or a mapping `K: V`/`K:` as `(key, value)` pairs, in order; numbers and
/// booleans become strings, `K` and `K: null` have no value.
pub(crate) fn list_or_map(n: Node<'_, '_>, sep: char) -> Result<Vec<(String, Option<String>)>> {
    let mut out = Vec::new();
    match n.v {
        serde_json::Value::Null => {}
        serde_json::Value::Array(_) => {
            for item in n.items()? {
                let s = item.node().scalar()?;
                match s.split_once(sep) {
                    Some((k, v)) => out.push((k.to_string(), Some(v.to_string()))),
                    None => out.push((s, None)),
                }
            }
        }
        _ => {
            for (k, c) in n.entries()? {
                out.push((k.to_string(), c.node().opt_scalar()?));
            }
        }
    }
    for (k, _) in &out {
        if k.is_empty() {
            return Err(n.err("empty key"));
        }
    }
    Ok(out)
}

/// A list or mapping where a key without a value means the empty string (labels).
pub(crate) fn string_map(n: Node<'_, '_>) -> Result<BTreeMap<String, String>> {
    Ok(list_or_map(n, '=')?
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect())
}

/// A list or mapping where a key without a value is looked up in the interpolation
/// environment, and dropped when unset there (environment, build args).
pub(crate) fn resolved_map(n: Node<'_, '_>, ctx: &Ctx<'_>) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (k, v) in list_or_map(n, '=')? {
        match v.or_else(|| ctx.env.get(&k).cloned()) {
            Some(v) => {
                out.insert(k, v);
            }
            None => {
                out.remove(&k);
            }
        }
    }
    Ok(out)
}

/// Reads `env_file` (a string, a list of strings, or a list of `{path, required, format}`).
pub(crate) fn env_files(n: Node<'_, '_>, ctx: &Ctx<'_>) -> Result<Vec<EnvFile>> {
    let mut out = Vec::new();
    let items = match n.v {
        serde_json::Value::Null => return Ok(out),
        serde_json::Value::Array(_) => n.items()?,
        _ => {
            let p = n.str()?;
            let path = ctx.host_path(p).map_err(|e| n.err(e))?;
            out.push(EnvFile {
                path: path.to_string_lossy().into_owned(),
                required: true,
                format: None,
            });
            return Ok(out);
        }
    };
    for item in items {
        let item = item.node();
        let (p, required, format) = if item.v.is_object() {
            let mut path = None;
            let mut required = true;
            let mut format = None;
            for (k, c) in item.entries()? {
                let c = c.node();
                match k {
                    "path" => path = Some(c.str()?),
                    "required" => required = c.bool()?,
                    "format" => format = Some(c.scalar()?),
                    k if k.starts_with("x-") => {}
                    k => return Err(c.err(format!("unknown env_file attribute {k:?}"))),
                }
            }
            (
                path.ok_or_else(|| item.err("env_file entry is missing its path"))?,
                required,
                format,
            )
        } else {
            (item.str()?, true, None)
        };
        let path = ctx.host_path(p).map_err(|e| item.err(e))?;
        out.push(EnvFile {
            path: path.to_string_lossy().into_owned(),
            required,
            format,
        });
    }
    Ok(out)
}

/// The service environment: the env files in order, then `environment` on top.
pub(crate) fn environment(
    env_file: Option<Node<'_, '_>>,
    environment: Option<Node<'_, '_>>,
    ctx: &Ctx<'_>,
) -> Result<(Vec<EnvFile>, BTreeMap<String, String>)> {
    let mut env = BTreeMap::new();
    let files = match env_file {
        Some(n) => env_files(n, ctx)?,
        None => Vec::new(),
    };
    for (i, f) in files.iter().enumerate() {
        let path = std::path::Path::new(&f.path);
        if !path.exists() {
            if let (true, Some(n)) = (f.required, env_file) {
                let at = if n.v.is_array() {
                    format!("{}[{i}]", n.path)
                } else {
                    n.path.to_string()
                };
                return Err(super::node::error_at(
                    n.spans(),
                    &at,
                    format!("env file {} not found", f.path),
                ));
            }
            continue;
        }
        if f.format.as_deref() == Some("raw") {
            let text = std::fs::read_to_string(path).map_err(|source| crate::Error::Io {
                what: "reading env file",
                path: path.to_path_buf(),
                source,
            })?;
            for line in text.lines() {
                if let Some((k, v)) = line.split_once('=') {
                    env.insert(k.to_string(), v.to_string());
                }
            }
        } else {
            env.extend(read_env_file(path, ctx.env)?);
        }
    }
    if let Some(n) = environment {
        for (k, v) in list_or_map(n, '=')? {
            match v.or_else(|| ctx.env.get(&k).cloned()) {
                Some(v) => {
                    env.insert(k, v);
                }
                None => {
                    env.remove(&k);
                }
            }
        }
    }
    Ok((files, env))
}

/// `extra_hosts`: a list of `host:ip` / `host=ip` or a mapping `host: ip` (or a list of IPs),
/// as host -> addresses (brackets around IPv6 addresses removed).
pub(crate) fn extra_hosts(n: Node<'_, '_>) -> Result<BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |host: &str, ip: &str, at: Node<'_, '_>| -> Result<()> {
        let ip = ip.trim();
        let ip = ip
            .strip_prefix('[')
            .and_then(|i| i.strip_suffix(']'))
            .unwrap_or(ip);
        if host.is_empty() || ip.is_empty() {
            return Err(at.err(format!("invalid extra host {host}:{ip}")));
        }
        if ip != "host-gateway" && ip.parse::<std::net::IpAddr>().is_err() {
            return Err(at.err(format!("invalid IP address in extra host {host}: {ip}")));
        }
        out.entry(host.trim().to_string())
            .or_default()
            .push(ip.to_string());
        Ok(())
    };
    match n.v {
        serde_json::Value::Null => {}
        serde_json::Value::Array(_) => {
            for item in n.items()? {
                let item = item.node();
                let s = item.scalar()?;
                let (h, ip) = s
                    .split_once('=')
                    .or_else(|| s.split_once(':'))
                    .ok_or_else(|| {
                        item.err(format!("invalid extra host {s:?}: want host:ip or host=ip"))
                    })?;
                add(h, ip, item)?;
            }
        }
        _ => {
            for (h, c) in n.entries()? {
                let c = c.node();
                for ip in c.string_or_list()? {
                    add(h, &ip, c)?;
                }
            }
        }
    }
    Ok(out)
}
