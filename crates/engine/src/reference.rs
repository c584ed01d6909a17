//! Image references as Docker spells them: `busybox` means
//! `docker.io/library/busybox:latest`; `localhost:5000/app:1`, `x@sha256:...`.

use std::fmt;

use crate::error::{Error, Result};

/// The registry a bare name belongs to.
pub const DEFAULT_REGISTRY: &str = "docker.io";

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Registry host (with port), e.g. `docker.io`, `localhost:5000`.
    pub registry: String,
    /// Repository path, e.g. `library/busybox`.
    pub repository: String,
    /// The tag (`latest` when neither tag nor digest is given).
    pub tag: Option<String>,
    /// A pinned digest.
    pub digest: Option<String>,
}

impl Reference {
    /// Parses and normalises `s`; errors say what is wrong, as Docker's do.
    pub fn parse(s: &str) -> Result<Reference> {
        let bad = |why: &str| Error::Invalid(format!("invalid reference format: {s:?}: {why}"));
        if s.is_empty() {
            return Err(bad("empty"));
        }
        let (rest, digest) = split_digest(s).map_err(bad)?;
        let (name, tag) = split_tag(rest);
        if tag.as_deref().is_some_and(|t| !valid_tag(t)) {
            return Err(bad("bad tag"));
        }
        let (registry, repository) = split_registry(name);
        if name.bytes().any(|b| b.is_ascii_uppercase())
            && !registry.bytes().any(|b| b.is_ascii_uppercase())
        {
            return Err(Error::Invalid(format!(
                "invalid reference format: repository name ({name}) must be lowercase"
            )));
        }
        if !valid_registry(&registry) {
            return Err(bad("bad registry host"));
        }
        if !repository.split('/').all(valid_component) || name.len() > 255 {
            return Err(bad("bad repository name"));
        }
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_string())
        } else {
            tag
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// `registry/repository` without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The short form Docker shows: `busybox:latest`, `localhost:5000/app:1`.
    pub fn familiar(&self) -> String {
        let mut s = self.familiar_name();
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }

    /// The repository as Docker shows it (`busybox`, `me/app`, `localhost:5000/app`).
    pub fn familiar_name(&self) -> String {
        if self.registry == DEFAULT_REGISTRY {
            self.repository
                .strip_prefix("library/")
                .unwrap_or(&self.repository)
                .to_string()
        } else {
            self.name()
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// The familiar form of a stored (normalised) name; names that do not parse are shown as is.
pub fn familiar(stored: &str) -> String {
    Reference::parse(stored)
        .map(|r| r.familiar())
        .unwrap_or_else(|_| stored.to_string())
}

/// `name[:tag]@sha256:<64 hex>` into the rest and the digest.
fn split_digest(s: &str) -> std::result::Result<(&str, Option<String>), &'static str> {
    match s.split_once('@') {
        Some((r, d)) => {
            if !d.starts_with("sha256:")
                || d.len() != 71
                || !d[7..].bytes().all(|b| b.is_ascii_hexdigit())
            {
                return Err("bad digest");
            }
            Ok((r, Some(d.to_string())))
        }
        None => Ok((s, None)),
    }
}

/// The name and the tag: after the last ':' that comes after the last '/'.
fn split_tag(rest: &str) -> (&str, Option<String>) {
    let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
    match rest[last_slash..].rfind(':') {
        Some(i) => (
            &rest[..last_slash + i],
            Some(rest[last_slash + i + 1..].to_string()),
        ),
        None => (rest, None),
    }
}

/// Docker's tag rule: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn valid_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 128
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        && !t.starts_with(['.', '-'])
}

/// The registry (a first component with a '.' or ':', or `localhost`; else Docker Hub)
/// and the repository (`library/` added for Docker Hub's official images).
fn split_registry(name: &str) -> (String, String) {
    let (registry, repository) = match name.split_once('/') {
        Some((first, path)) if first.contains(['.', ':']) || first == "localhost" => {
            (first.to_string(), path.to_string())
        }
        _ => (DEFAULT_REGISTRY.to_string(), name.to_string()),
    };
    let repository = if registry == DEFAULT_REGISTRY && !repository.contains('/') {
        format!("library/{repository}")
    } else {
        repository
    };
    (registry, repository)
}

/// A registry `host[:port]`: DNS labels, a numeric port.
fn valid_registry(registry: &str) -> bool {
    let (host, port) = registry.split_once(':').unwrap_or((registry, ""));
    let host_ok = host.split('.').all(|l| {
        !l.is_empty()
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    });
    host_ok && port.bytes().all(|b| b.is_ascii_digit())
}

/// A repository path component: lower-case alphanumerics and `._-`, alphanumeric at both
/// ends.
fn valid_component(c: &str) -> bool {
    !c.is_empty()
        && c.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && c.as_bytes()[0].is_ascii_alphanumeric()
        && c.as_bytes()[c.len() - 1].is_ascii_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_docker() {
        let r = Reference::parse("busybox").unwrap();
        assert_eq!(r.to_string(), "docker.io/library/busybox:latest");
        assert_eq!(r.familiar(), "busybox:latest");
        let r = Reference::parse("localhost:5000/app/x:1.0").unwrap();
        assert_eq!(r.to_string(), "localhost:5000/app/x:1.0");
        assert_eq!(r.familiar(), "localhost:5000/app/x:1.0");
        assert_eq!(
            Reference::parse("me/app:v2").unwrap().to_string(),
            "docker.io/me/app:v2"
        );
        assert_eq!(
            Reference::parse("localhost/bb").unwrap().familiar(),
            "localhost/bb:latest"
        );
        assert!(Reference::parse("Busybox").is_err());
        assert!(Reference::parse("a:b:c").is_err());
        assert!(Reference::parse("x:").is_err());
        assert!(Reference::parse("../etc").is_err());
    }
}
