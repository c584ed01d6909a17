//! Credentials in podman's `auth.json` (containers-auth.json(5)): `auths` keys are a registry
//! (`quay.io`), or a namespace or repository in it (`quay.io/team`, `quay.io/team/app`); the
//! most specific key covering the image wins. Keys written as URLs are the legacy Docker form
//! and name a whole registry.

use super::auth_file::AuthFile;
use super::entry;
use super::key::{hostname, same_host, PodmanKey};
use super::Credential;
use crate::error::Result;

/// The credentials for `repository` (`team/app`, or empty for the registry itself) in
/// `registry`: tries `registry/team/app`, `registry/team`, then `registry`.
pub(super) fn find(
    file: &AuthFile,
    registry: &str,
    repository: &str,
) -> Result<Option<Credential>> {
    let Some(auths) = file.auths()? else {
        return Ok(None);
    };
    let host = hostname(registry);
    let repository = repository.trim_matches('/');
    let parts: Vec<&str> = repository.split('/').filter(|p| !p.is_empty()).collect();
    for depth in (0..=parts.len()).rev() {
        let path = parts[..depth].join("/");
        let exact = if path.is_empty() {
            host.to_string()
        } else {
            format!("{host}/{path}")
        };
        // The key as written, then the same scope under an equivalent host spelling, then
        // (for the registry itself) legacy URL keys.
        let matching = auths.get_key_value(exact.as_str()).into_iter().chain(
            [false, true].into_iter().flat_map(|legacy| {
                let path = path.clone();
                auths.iter().filter(move |(k, _)| {
                    let pk = PodmanKey::parse(k);
                    pk.legacy == legacy && pk.path == path && same_host(pk.host, host)
                })
            }),
        );
        for (k, v) in matching {
            if let Some(cred) = entry::decode(k, v).map_err(|reason| file.bad(reason))? {
                return Ok(Some(cred));
            }
        }
    }
    Ok(None)
}

/// Removes the entries for `registry` itself (not those scoped to a repository in it), under
/// any equivalent key; whether any was.
pub(super) fn remove(file: &mut AuthFile, registry: &str) -> Result<bool> {
    let host = hostname(registry);
    file.remove_auths(|k| {
        let pk = PodmanKey::parse(k);
        pk.path.is_empty() && same_host(pk.host, host)
    })
}
