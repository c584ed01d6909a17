//! One registries.conf file: the TOML (version 2, or the deprecated version 1 converted to
//! it) checked and normalised as containers/image does (`postProcessRegistries`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{Mirror, PullFromMirror, Registry, ShortNameMode};
use crate::error::{Error, Result};

/// What one file sets; `None` where the file leaves a setting alone (for drop-in merging).
#[derive(Debug, Default)]
pub(super) struct FileConf {
    /// `unqualified-search-registries`, when the file has the key (even `[]`).
    pub search: Option<Vec<String>>,
    /// `short-name-mode`, when set.
    pub short_name_mode: Option<ShortNameMode>,
    /// The `[[registry]]` tables, one per prefix (the first wins), sorted by prefix.
    pub registries: Vec<Registry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawFile {
    unqualified_search_registries: Option<Vec<String>>,
    short_name_mode: Option<String>,
    registry: Option<Vec<RawRegistry>>,
    /// Read only to tell a version 2 file that has them from a version 1 one.
    credential_helpers: Option<toml::Value>,
    /// See `credential_helpers`.
    aliases: Option<toml::Value>,
    /// Version 1: `[registries.search]`, `[registries.insecure]`, `[registries.block]`.
    registries: Option<RawV1>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawRegistry {
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    blocked: bool,
    #[serde(default)]
    mirror_by_digest_only: bool,
    #[serde(default)]
    pull_from_mirror: String,
    #[serde(default)]
    mirror: Vec<RawMirror>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawMirror {
    #[serde(default)]
    location: String,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    pull_from_mirror: String,
}

#[derive(Deserialize)]
struct RawV1 {
    search: Option<RawV1List>,
    insecure: Option<RawV1List>,
    block: Option<RawV1List>,
}

#[derive(Deserialize)]
struct RawV1List {
    registries: Option<Vec<String>>,
}

impl RawV1 {
    fn list(l: &Option<RawV1List>) -> Option<&Vec<String>> {
        l.as_ref().and_then(|l| l.registries.as_ref())
    }

    fn is_set(&self) -> bool {
        Self::list(&self.search).is_some()
            || Self::list(&self.insecure).is_some()
            || Self::list(&self.block).is_some()
    }
}

/// Parses and checks the text of `path`. `force_v2` refuses the version 1 format, as
/// containers/image does for drop-in files.
pub(super) fn parse_file(text: &str, path: &Path, force_v2: bool) -> Result<FileConf> {
    let bad = |reason: String| Error::BadConfig {
        path: path.to_path_buf(),
        reason,
    };
    let raw: RawFile =
        toml::from_str(text).map_err(|e| bad(e.to_string().trim_end().to_string()))?;
    let v1 = raw.registries.as_ref().filter(|r| r.is_set());
    let raw_registries = match v1 {
        None => raw.registry.unwrap_or_default(),
        Some(v1) => {
            if force_v2 {
                return Err(bad("registry must be in v2 format but is in v1".into()));
            }
            let v2_set = raw.unqualified_search_registries.is_some()
                || raw.short_name_mode.is_some()
                || raw.registry.is_some()
                || raw.credential_helpers.is_some()
                || raw.aliases.is_some();
            if v2_set {
                return Err(bad("mixing sysregistry v1/v2 is not supported".into()));
            }
            return finish(convert_v1(v1), path);
        }
    };
    let mut conf = FileConf {
        search: raw.unqualified_search_registries,
        short_name_mode: None,
        registries: Vec::new(),
    };
    if let Some(mode) = raw.short_name_mode.filter(|m| !m.is_empty()) {
        conf.short_name_mode = Some(match mode.as_str() {
            "enforcing" => ShortNameMode::Enforcing,
            "permissive" => ShortNameMode::Permissive,
            "disabled" => ShortNameMode::Disabled,
            _ => return Err(bad(format!("invalid short-name mode: {mode:?}"))),
        });
    }
    for r in raw_registries {
        conf.registries.push(registry(r, path)?);
    }
    finish(conf, path)
}

/// A version 1 file as version 2: search registries, and a table per insecure or blocked
/// registry (in the order they first appear, blocked first, as containers/image does).
fn convert_v1(v1: &RawV1) -> FileConf {
    let mut order: Vec<String> = Vec::new();
    let mut flags: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    let lists = [(&v1.block, true), (&v1.insecure, false)];
    for (list, blocked) in lists {
        for loc in RawV1::list(list).into_iter().flatten() {
            let loc = loc.trim_end_matches('/').to_string();
            let entry = flags.entry(loc.clone()).or_insert_with(|| {
                order.push(loc.clone());
                (false, false)
            });
            if blocked {
                entry.0 = true;
            } else {
                entry.1 = true;
            }
        }
    }
    let registries = order
        .into_iter()
        .map(|loc| {
            let (blocked, insecure) = flags.get(&loc).copied().unwrap_or_default();
            Registry {
                prefix: loc.clone(),
                location: loc,
                insecure,
                blocked,
                mirror_by_digest_only: false,
                mirrors: Vec::new(),
                source: Default::default(),
            }
        })
        .collect();
    FileConf {
        search: RawV1::list(&v1.search).cloned(),
        short_name_mode: None,
        registries,
    }
}

/// `location`/`prefix` with trailing slashes removed; URL schemes refused.
fn location(input: &str, path: &Path) -> Result<String> {
    let trimmed = input.trim_end_matches('/');
    if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
        return Err(Error::BadConfig {
            path: path.to_path_buf(),
            reason: format!("invalid location '{input}': URI schemes are not supported"),
        });
    }
    Ok(trimmed.to_string())
}

fn pull_from_mirror(value: &str, mirror: &str, path: &Path) -> Result<PullFromMirror> {
    match value {
        "" | "all" => Ok(PullFromMirror::All),
        "digest-only" => Ok(PullFromMirror::DigestOnly),
        "tag-only" => Ok(PullFromMirror::TagOnly),
        _ => Err(Error::BadConfig {
            path: path.to_path_buf(),
            reason: format!("unsupported pull-from-mirror value {value:?} for mirror {mirror:?}"),
        }),
    }
}

fn registry(r: RawRegistry, path: &Path) -> Result<Registry> {
    let bad = |reason: String| Error::BadConfig {
        path: path.to_path_buf(),
        reason,
    };
    let loc = location(&r.location, path)?;
    let prefix = if r.prefix.is_empty() {
        if loc.is_empty() {
            return Err(bad(
                "invalid condition: both location and prefix are unset".into()
            ));
        }
        loc.clone()
    } else {
        let prefix = location(&r.prefix, path)?;
        if !prefix.starts_with("*.") && loc.is_empty() {
            return Err(bad("invalid condition: location is unset and prefix is not in the format: *.example.com".into()));
        }
        prefix
    };
    if prefix.starts_with("*.") && prefix.contains(['/', '@', ':']) {
        return Err(bad(format!("Wildcarded prefix should be in the format: *.example.com. Current prefix {prefix:?} is incorrectly formatted")));
    }
    if !r.pull_from_mirror.is_empty() {
        return Err(bad(format!(
            "pull-from-mirror must not be set for a non-mirror registry {prefix:?}"
        )));
    }
    let mut mirrors = Vec::new();
    for m in r.mirror {
        let mloc = location(&m.location, path)?;
        if mloc.is_empty() {
            return Err(bad("invalid condition: mirror location is unset".into()));
        }
        if r.mirror_by_digest_only && !m.pull_from_mirror.is_empty() {
            return Err(bad(format!("cannot set mirror usage mirror-by-digest-only for the registry ({prefix:?}) and pull-from-mirror for per-mirror ({mloc:?}) at the same time")));
        }
        mirrors.push(Mirror {
            pull_from_mirror: pull_from_mirror(&m.pull_from_mirror, &mloc, path)?,
            location: mloc,
            insecure: m.insecure,
        });
    }
    Ok(Registry {
        prefix,
        location: loc,
        insecure: r.insecure,
        blocked: r.blocked,
        mirror_by_digest_only: r.mirror_by_digest_only,
        mirrors,
        source: path.to_path_buf(),
    })
}

/// Whether `s` is `host[:port]` (a domain name or IP address, no path).
fn is_host(s: &str) -> bool {
    let (host, port) = crate::name::split_port(s);
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let host_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    port_ok && (host_ok || host.parse::<std::net::IpAddr>().is_ok())
}

/// The checks across tables: one `insecure`/`blocked` setting per location, valid search
/// registries; then one table per prefix (the first wins), sorted by prefix.
fn finish(mut conf: FileConf, path: &Path) -> Result<FileConf> {
    let bad = |reason: String| Error::BadConfig {
        path: path.to_path_buf(),
        reason,
    };
    for r in &mut conf.registries {
        r.source = path.to_path_buf();
    }
    let mut seen: BTreeMap<&str, (bool, bool)> = BTreeMap::new();
    for r in &conf.registries {
        let key = if r.location.is_empty() {
            r.prefix.as_str()
        } else {
            r.location.as_str()
        };
        let (insecure, blocked) = *seen.entry(key).or_insert((r.insecure, r.blocked));
        if insecure != r.insecure {
            return Err(bad(format!(
                "registry '{key}' is defined multiple times with conflicting 'insecure' setting"
            )));
        }
        if blocked != r.blocked {
            return Err(bad(format!(
                "registry '{key}' is defined multiple times with conflicting 'blocked' setting"
            )));
        }
    }
    if let Some(search) = &mut conf.search {
        for s in search.iter_mut() {
            let host = location(s, path)?;
            if !is_host(&host) {
                return Err(bad(format!(
                    "Invalid unqualified-search-registries entry {host:?}"
                )));
            }
            *s = host;
        }
    }
    let mut unique: BTreeMap<String, Registry> = BTreeMap::new();
    for r in conf.registries.drain(..) {
        unique.entry(r.prefix.clone()).or_insert(r);
    }
    conf.registries = unique.into_values().collect();
    Ok(conf)
}
