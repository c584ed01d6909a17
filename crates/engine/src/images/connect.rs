//! Reaching a registry as configured: `registries.conf` (mirrors, insecure registries,
//! blocked ones), `certs.d` CA files and client certificates, and stored credentials.

use std::path::PathBuf;

use berth_registry::client::{ConnectOptions, Registry};
use berth_registry::config::registries_conf::{Endpoint, RegistriesConf};
use berth_registry::credentials::{AuthFiles, Credential};
use berth_registry::name;

use crate::error::Result;

/// How the user asked to reach registries (flags beyond the configuration files).
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// A directory of CA files and client certificates for this registry (podman's
    /// `--cert-dir`), searched before `certs.d`.
    pub cert_dir: Option<PathBuf>,
    /// Credentials given on the command line, instead of stored ones.
    pub credential: Option<Credential>,
    /// Allow plain HTTP (podman's `--tls-verify=false`).
    pub insecure: bool,
    /// Never fall back to plain HTTP, not even for loopback or configured-insecure
    /// registries (`--tls-verify=true`).
    pub secure_only: bool,
}

/// The endpoints to try for `registry/repository`, mirrors first.
pub fn endpoints(registry: &str, repository: &str) -> Result<(RegistriesConf, Vec<Endpoint>)> {
    let conf = RegistriesConf::load_default()?;
    let eps = conf.endpoints(registry, repository)?;
    Ok((conf, eps))
}

/// Connects to one endpoint of `registry`, with stored credentials for it.
pub fn connect(
    registry: &str,
    endpoint: &Endpoint,
    conf: &RegistriesConf,
    opts: &RegistryOptions,
) -> Result<Registry> {
    let host = if endpoint.mirror {
        endpoint.host.clone()
    } else {
        name::api_host(&endpoint.host).to_string()
    };
    let credential = match &opts.credential {
        Some(c) => Some(c.clone()),
        None => AuthFiles::from_env().lookup_for(
            name::canonical(if endpoint.mirror {
                &endpoint.host
            } else {
                registry
            }),
            &endpoint.repository,
        )?,
    };
    let certs_dirs = berth_registry::config::certs::certs_dirs();
    let insecure = !opts.secure_only
        && (opts.insecure
            || endpoint.insecure
            || conf.is_insecure(&endpoint.host)
            || name::is_loopback(&endpoint.host));
    let copts = ConnectOptions {
        credential,
        insecure,
        certs_dirs,
        cert_dir: opts.cert_dir.clone(),
    };
    Ok(Registry::connect(registry, &host, &copts)?)
}
