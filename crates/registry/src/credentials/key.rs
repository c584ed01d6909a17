//! The keys credentials are filed under, and how Docker and podman match them to a registry.
//!
//! Docker files Docker Hub under `https://index.docker.io/v1/` and every other registry under
//! its `host[:port]`. When looking a registry up it also accepts older keys written as URLs
//! (`https://quay.io/v2/`), comparing only their host; and `docker.io`, `index.docker.io` and
//! `registry-1.docker.io` all name Docker Hub. Podman's `auth.json` additionally allows keys
//! scoped to a namespace or repository (`quay.io/team/app`).

use crate::name::is_docker_hub;

/// The key Docker files Docker Hub's credentials under.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// The key Docker uses in `config.json` (and passes to credential helpers) for `registry`:
/// [`DOCKER_HUB_KEY`] for Docker Hub under any of its names, else the registry's
/// `host[:port]` (a scheme and path, if given, are dropped).
pub fn credential_key(registry: &str) -> String {
    let host = hostname(registry);
    if is_hub(host) {
        DOCKER_HUB_KEY.to_string()
    } else {
        host.to_string()
    }
}

/// Docker's `ConvertToHostname`: `https://index.docker.io/v1/` -> `index.docker.io`,
/// `quay.io/team` -> `quay.io`.
pub(super) fn hostname(key: &str) -> &str {
    let rest = strip_scheme(key).unwrap_or(key);
    rest.split('/').next().unwrap_or(rest)
}

/// Whether two host names name the same registry (case-insensitively; Docker Hub's aliases
/// are one registry).
pub(super) fn same_host(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || (is_hub(a) && is_hub(b))
}

/// A podman `auth.json` key split into host and repository path. Keys written as URLs are the
/// legacy form: their path is not a repository and is dropped (`legacy` is then set).
pub(super) struct PodmanKey<'a> {
    /// The registry host (with port).
    pub host: &'a str,
    /// The namespace or repository the key is scoped to (empty for the whole registry).
    pub path: &'a str,
    /// Whether the key had an `http://`/`https://` scheme.
    pub legacy: bool,
}

impl<'a> PodmanKey<'a> {
    /// Splits `key`.
    pub fn parse(key: &'a str) -> PodmanKey<'a> {
        if strip_scheme(key).is_some() {
            return PodmanKey {
                host: hostname(key),
                path: "",
                legacy: true,
            };
        }
        let (host, path) = key.split_once('/').unwrap_or((key, ""));
        PodmanKey {
            host,
            path: path.trim_end_matches('/'),
            legacy: false,
        }
    }
}

fn strip_scheme(key: &str) -> Option<&str> {
    key.strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
}

fn is_hub(host: &str) -> bool {
    is_docker_hub(&host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        for r in [
            "docker.io",
            "index.docker.io",
            "registry-1.docker.io",
            "Docker.IO",
            "https://index.docker.io/v1/",
        ] {
            assert_eq!(credential_key(r), DOCKER_HUB_KEY, "{r}");
        }
        assert_eq!(credential_key("localhost:5000"), "localhost:5000");
        assert_eq!(credential_key("quay.io"), "quay.io");
        assert_eq!(credential_key("https://quay.io/v2/"), "quay.io");
    }

    #[test]
    fn hostnames_and_equivalence() {
        assert_eq!(hostname("https://index.docker.io/v1/"), "index.docker.io");
        assert_eq!(hostname("http://r:5000"), "r:5000");
        assert_eq!(hostname("quay.io/team/app"), "quay.io");
        assert_eq!(hostname(""), "");
        assert!(same_host("docker.io", "registry-1.docker.io"));
        assert!(same_host("Quay.io", "quay.io"));
        assert!(!same_host("quay.io", "docker.io"));
        assert!(!same_host("r:5000", "r"));
    }

    #[test]
    fn podman_keys() {
        let k = PodmanKey::parse("quay.io/team/app/");
        assert_eq!((k.host, k.path, k.legacy), ("quay.io", "team/app", false));
        let k = PodmanKey::parse("https://index.docker.io/v1/");
        assert_eq!((k.host, k.path, k.legacy), ("index.docker.io", "", true));
        let k = PodmanKey::parse("r:5000");
        assert_eq!((k.host, k.path, k.legacy), ("r:5000", "", false));
    }
}
