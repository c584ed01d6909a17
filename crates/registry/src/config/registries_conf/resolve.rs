//! Choosing the `[[registry]]` table for an image name (longest prefix) and the endpoints to
//! pull from: its mirrors, then the registry itself, with the name rewritten from the
//! prefix to each location (containers/image's `FindRegistry` and
//! `PullSourcesFromReference`).

use super::{Endpoint, PullFromMirror, RegistriesConf, Registry};
use crate::error::{Error, Result};

/// How much of `name` (`host[:port][/path]`) `prefix` matches, or `None`.
///
/// A plain prefix matches the whole name or a leading part of it ending at a `/` (unlike
/// containers/image, not at a `:`, so `example.com` does not match `example.com:5000`). A
/// wildcard `*.example.com` matches any subdomain of `example.com` as the name's host.
pub(super) fn match_len(name: &str, prefix: &str) -> Option<usize> {
    if let Some(domain) = prefix.strip_prefix('*') {
        // domain is ".example.com"
        let host_end = name.find('/').unwrap_or(name.len());
        let host = &name[..host_end];
        return (host.len() > domain.len() && host.ends_with(domain)).then_some(host_end);
    }
    if name == prefix {
        return Some(name.len());
    }
    (name.starts_with(prefix) && name.as_bytes().get(prefix.len()) == Some(&b'/'))
        .then_some(prefix.len())
}

impl RegistriesConf {
    /// The `[[registry]]` table for `name` (`host[:port][/repository]`): the one with the
    /// longest matching prefix (the first, in prefix order, of equally long ones).
    pub fn find(&self, name: &str) -> Option<&Registry> {
        let mut best: Option<&Registry> = None;
        for r in &self.registries {
            if match_len(name, &r.prefix).is_some()
                && best.is_none_or(|b| r.prefix.len() > b.prefix.len())
            {
                best = Some(r);
            }
        }
        best
    }

    /// Where to pull `registry`/`repository` from, in order: every mirror of the matching
    /// table, then the registry itself (at its `location`). Mirror restrictions
    /// (`mirror-by-digest-only`, `pull-from-mirror`) are not applied: see
    /// [`RegistriesConf::pull_endpoints`]. With no matching table the result is the
    /// registry itself, unchanged and secure. A blocked registry is an error. Hosts are
    /// registry names as configured: Docker Hub's `docker.io` still goes through
    /// [`crate::name::api_host`].
    pub fn endpoints(&self, registry: &str, repository: &str) -> Result<Vec<Endpoint>> {
        self.resolve(registry, repository, None)
    }

    /// [`RegistriesConf::endpoints`] for one pull, with the mirror restrictions applied:
    /// `mirror-by-digest-only` and `pull-from-mirror = "digest-only"` mirrors serve only
    /// pulls by digest, `"tag-only"` ones only pulls by tag.
    pub fn pull_endpoints(
        &self,
        registry: &str,
        repository: &str,
        by_digest: bool,
    ) -> Result<Vec<Endpoint>> {
        self.resolve(registry, repository, Some(by_digest))
    }

    /// Whether `host` (`host[:port]`) is configured `insecure`: plain HTTP and unverified
    /// TLS allowed. Decided by the table whose prefix best matches the host alone.
    pub fn is_insecure(&self, host: &str) -> bool {
        self.find(host).is_some_and(|r| r.insecure)
    }

    fn resolve(
        &self,
        registry: &str,
        repository: &str,
        by_digest: Option<bool>,
    ) -> Result<Vec<Endpoint>> {
        let name = format!("{registry}/{repository}");
        let Some(reg) = self.find(&name) else {
            return Ok(vec![Endpoint {
                host: registry.to_string(),
                repository: repository.to_string(),
                insecure: false,
                mirror: false,
            }]);
        };
        if reg.blocked {
            return Err(Error::Invalid(format!(
                "registry {} is blocked in {}",
                reg.prefix,
                reg.source.display()
            )));
        }
        let mirrors = reg.mirrors.iter().filter(|m| match by_digest {
            None => true,
            Some(digest) if reg.mirror_by_digest_only => digest,
            Some(digest) => match m.pull_from_mirror {
                PullFromMirror::All => true,
                PullFromMirror::DigestOnly => digest,
                PullFromMirror::TagOnly => !digest,
            },
        });
        let mut out = Vec::new();
        for m in mirrors {
            out.push(rewrite(reg, &name, &m.location, m.insecure, true)?);
        }
        out.push(rewrite(reg, &name, &reg.location, reg.insecure, false)?);
        Ok(out)
    }
}

/// `name` with `reg`'s prefix replaced by `location` (kept as it is when `location` is empty,
/// for a wildcard prefix), split into host and repository.
fn rewrite(
    reg: &Registry,
    name: &str,
    location: &str,
    insecure: bool,
    mirror: bool,
) -> Result<Endpoint> {
    let rewritten = match (location.is_empty(), match_len(name, &reg.prefix)) {
        (true, _) => name.to_string(),
        (false, Some(len)) => format!("{location}{}", &name[len..]),
        (false, None) => {
            return Err(Error::Invalid(format!(
                "invalid prefix '{}' for reference '{name}'",
                reg.prefix
            )))
        }
    };
    match rewritten.split_once('/') {
        Some((host, repository)) if !host.is_empty() && !repository.is_empty() => Ok(Endpoint {
            host: host.to_string(),
            repository: repository.to_string(),
            insecure,
            mirror,
        }),
        _ => Err(Error::BadConfig {
            path: reg.source.clone(),
            reason: format!(
                "[[registry]] prefix {:?} rewrites {name:?} to {rewritten:?}, which names no repository",
                reg.prefix
            ),
        }),
    }
}
