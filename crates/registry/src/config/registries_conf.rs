//! `registries.conf`, containers-registries.conf(5): search registries, per-prefix
//! `[[registry]]` tables (insecure, blocked, a `location` to rewrite to, mirrors), in the
//! version 2 TOML format or the deprecated version 1 (`[registries.search]`,
//! `[registries.insecure]`, `[registries.block]`), plus drop-in files
//! (containers-registries.conf.d(5)).

mod file;
mod load;
mod resolve;

use std::path::{Path, PathBuf};

use crate::error::Result;

/// The system-wide configuration file.
pub const SYSTEM_CONF: &str = "/etc/containers/registries.conf";
/// The system-wide drop-in directory.
pub const SYSTEM_CONF_DIR: &str = "/etc/containers/registries.conf.d";

/// The merged registries configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistriesConf {
    /// `unqualified-search-registries`: `host[:port]`s to try for short names, in order.
    pub unqualified_search_registries: Vec<String>,
    /// `short-name-mode`, when set (read, not acted on).
    pub short_name_mode: Option<ShortNameMode>,
    /// The `[[registry]]` tables, one per prefix, sorted by prefix.
    pub registries: Vec<Registry>,
}

/// How short names are resolved (`short-name-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortNameMode {
    /// Prompt on a terminal when ambiguous, else fail.
    Enforcing,
    /// Prompt on a terminal when ambiguous, else try every search registry.
    Permissive,
    /// Try every search registry.
    Disabled,
}

/// One `[[registry]]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    /// The image-name prefix it applies to: `host[:port][/namespace..]`, or `*.domain` for
    /// every subdomain of `domain`.
    pub prefix: String,
    /// Where the prefix really lives (`host[:port][/namespace..]`); empty only for a
    /// wildcard prefix, whose names are used unchanged.
    pub location: String,
    /// Plain HTTP and unverified TLS allowed.
    pub insecure: bool,
    /// Pulling names under the prefix is forbidden.
    pub blocked: bool,
    /// Mirrors serve only pulls by digest.
    pub mirror_by_digest_only: bool,
    /// `[[registry.mirror]]` tables, tried in order before the registry.
    pub mirrors: Vec<Mirror>,
    /// The file the table came from (for error messages).
    pub source: PathBuf,
}

/// One `[[registry.mirror]]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// Where the mirror serves the prefix's namespace (`host[:port][/namespace..]`).
    pub location: String,
    /// Plain HTTP and unverified TLS allowed.
    pub insecure: bool,
    /// Which pulls the mirror serves.
    pub pull_from_mirror: PullFromMirror,
}

/// Which pulls a mirror serves (`pull-from-mirror`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PullFromMirror {
    /// Pulls by tag and by digest (`all`, the default).
    #[default]
    All,
    /// Pulls by digest only (`digest-only`).
    DigestOnly,
    /// Pulls by tag only (`tag-only`).
    TagOnly,
}

/// One place to pull an image from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `host[:port]` to talk to.
    pub host: String,
    /// The repository path on that host, rewritten for the table's location or the mirror's.
    pub repository: String,
    /// Plain HTTP and unverified TLS allowed.
    pub insecure: bool,
    /// This is a mirror, not the registry itself.
    pub mirror: bool,
}

impl RegistriesConf {
    /// The configuration podman would read: `$CONTAINERS_REGISTRIES_CONF` when set (it must
    /// exist); else `~/.config/containers/registries.conf` when it exists, with only
    /// `~/.config/containers/registries.conf.d`; else `/etc/containers/registries.conf`
    /// (missing: empty) with `/etc/containers/registries.conf.d` then the user's drop-ins.
    pub fn load_default() -> Result<RegistriesConf> {
        let sources = load::default_sources(
            std::env::var_os("CONTAINERS_REGISTRIES_CONF"),
            std::env::var_os("HOME").map(PathBuf::from),
        );
        load::load(&sources)
    }

    /// `path` (which must exist) merged with the `*.conf` files of `dropin_dir` (missing:
    /// none) in lexical order.
    pub fn load_from(path: &Path, dropin_dir: Option<&Path>) -> Result<RegistriesConf> {
        load::load(&load::Sources {
            main: path.to_path_buf(),
            main_required: true,
            dirs: dropin_dir.map(Path::to_path_buf).into_iter().collect(),
        })
    }

    /// The configuration of one file's `text`; `path` names it in errors (which for TOML
    /// syntax errors give the line and column).
    pub fn parse(text: &str, path: &Path) -> Result<RegistriesConf> {
        let mut conf = RegistriesConf::default();
        conf.merge(file::parse_file(text, path, false)?);
        Ok(conf)
    }

    /// Applies a later file: its settings replace earlier ones; its tables replace the
    /// tables of the same prefix and add the others.
    fn merge(&mut self, update: file::FileConf) {
        if let Some(search) = update.search {
            self.unqualified_search_registries = search;
        }
        if update.short_name_mode.is_some() {
            self.short_name_mode = update.short_name_mode;
        }
        let mut by_prefix: std::collections::BTreeMap<String, Registry> = self
            .registries
            .drain(..)
            .map(|r| (r.prefix.clone(), r))
            .collect();
        for r in update.registries {
            by_prefix.insert(r.prefix.clone(), r);
        }
        self.registries = by_prefix.into_values().collect();
    }
}

#[cfg(test)]
mod tests;
