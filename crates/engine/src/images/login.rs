//! `berth login` and `berth logout`: credentials checked against the registry, then stored
//! where Docker stores them (a credential helper, else `config.json`, mode 0600).

use berth_registry::config::registries_conf::Endpoint;
use berth_registry::credentials::{AuthFiles, Credential, StoredIn};
use berth_registry::name;

use crate::error::{Error, Result};
use crate::images::connect::{self, RegistryOptions};

/// The registry a `login`/`logout` argument names: `docker.io` when none; a URL's scheme and
/// path are dropped (`https://index.docker.io/v1/` -> `docker.io`).
pub fn login_server(server: Option<&str>) -> Result<String> {
    let Some(s) = server.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(name::DOCKER_HUB.to_string());
    };
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let host = s.split('/').next().unwrap_or(s);
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(Error::Invalid(format!(
            "invalid registry address {server:?}"
        )));
    }
    Ok(name::canonical(host).to_string())
}

/// Checks `username`/`password` against `registry` and stores them; says where.
pub fn login(
    registry: &str,
    username: &str,
    password: &str,
    opts: &RegistryOptions,
) -> Result<StoredIn> {
    let (conf, _) = connect::endpoints(registry, "")?;
    let endpoint = Endpoint {
        host: registry.to_string(),
        repository: String::new(),
        insecure: false,
        mirror: false,
    };
    let credential = Credential::Basic {
        username: username.to_string(),
        password: password.to_string(),
    };
    let with_creds = RegistryOptions {
        credential: Some(credential.clone()),
        ..opts.clone()
    };
    let reg = connect::connect(registry, &endpoint, &conf, &with_creds)?;
    reg.verify_login()?;
    Ok(AuthFiles::from_env().store(registry, &credential)?)
}

/// Removes the stored credentials of `registry`; whether there were any.
pub fn logout(registry: &str) -> Result<bool> {
    Ok(AuthFiles::from_env().erase(registry)?)
}
