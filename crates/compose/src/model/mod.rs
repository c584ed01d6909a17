//! The typed, normalised project model, built from a [`Loaded`] document: every service
//! attribute in its long form (ports one per container port, mounts with absolute bind
//! sources, environment as a map with env files read), top-level networks, volumes, secrets
//! and configs with their real names, profiles applied, references and the dependency graph
//! checked. Every bad value is an [`Error::At`](crate::Error::At) naming the key path and,
//! when known, the file and line.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::loaded::Loaded;
use crate::Result;

mod build;
mod ctx;
mod depends;
mod dotenv;
mod env;
mod health;
mod networks;
mod node;
mod options;
mod output;
mod ports;
mod profiles;
mod resources;
mod service;
mod shell;
mod units;
mod validate;
mod volumes;

pub use build::Build;
pub use depends::{Dependency, SERVICE_COMPLETED_SUCCESSFULLY, SERVICE_HEALTHY, SERVICE_STARTED};
pub use env::EnvFile;
pub use health::Healthcheck;
pub use networks::{Ipam, IpamPool, Network, ServiceNetwork};
pub use options::{Deploy, DeviceMapping, Limits, Logging, Resources, RestartPolicy, Ulimit};
pub use ports::{parse_port_spec, PortConfig};
pub use resources::{FileObject, FileRef, Volume};
pub use service::Service;
pub use shell::split as shell_split;
pub use units::{parse_bytes, Duration};
pub use volumes::{parse_volume, BindOptions, ImageOptions, Mount, TmpfsOptions, VolumeOptions};

use ctx::Ctx;
use node::Node;

/// A compose project, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// The project name.
    pub name: String,
    /// The project directory.
    pub working_dir: PathBuf,
    /// The compose files, in order.
    pub config_files: Vec<PathBuf>,
    /// The enabled services.
    pub services: BTreeMap<String, Service>,
    /// Top-level networks, with the implicit `default` when a service uses it.
    pub networks: BTreeMap<String, Network>,
    /// Top-level volumes.
    pub volumes: BTreeMap<String, Volume>,
    /// Top-level secrets.
    pub secrets: BTreeMap<String, FileObject>,
    /// Top-level configs.
    pub configs: BTreeMap<String, FileObject>,
    /// Services left out by profiles, sorted.
    pub disabled: Vec<String>,
    /// Things accepted but ignored (unsupported attributes, dropped optional dependencies).
    pub warnings: Vec<String>,
}

/// Builds the project with the active `profiles` (`*` enables every service).
pub fn project(loaded: &Loaded, profiles: &[String]) -> Result<Project> {
    project_for(loaded, profiles, &[])
}

/// Builds the project with the active `profiles`, also enabling the `services` named on the
/// command line whatever their profiles (as docker compose's `WithServicesEnabled`; their
/// dependencies are not enabled with them). A named service that does not exist is an error.
pub fn project_for(loaded: &Loaded, profiles: &[String], services: &[String]) -> Result<Project> {
    let ctx = Ctx {
        working_dir: &loaded.working_dir,
        env: &loaded.environment,
    };
    let root = Node::root(&loaded.document, "", &loaded.spans);
    let mut warnings = Vec::new();
    let name = loaded.name.as_str();
    let mut top = read_top_level(&root, &ctx, name, &mut warnings)?;
    let mut all = std::mem::take(&mut top.services);
    if let Some(unknown) = services.iter().find(|s| !all.contains_key(*s)) {
        return Err(crate::Error::Invalid(format!("no such service: {unknown}")));
    }

    validate::dependencies(&root, &mut all, &mut warnings)?;
    let enabled: Vec<String> = profiles::enabled(&all, profiles, services)
        .into_iter()
        .map(str::to_string)
        .collect();
    validate::profiles(&root, &mut all, &enabled)?;
    let (services_on, disabled): (BTreeMap<_, _>, BTreeMap<_, _>) =
        all.into_iter().partition(|(k, _)| enabled.contains(k));

    if services_on
        .values()
        .any(|s| s.networks.contains_key("default"))
        && !top.networks.contains_key("default")
    {
        top.networks.insert(
            "default".into(),
            Network {
                name: format!("{name}_default"),
                ..Default::default()
            },
        );
    }
    let project = Project {
        name: loaded.name.clone(),
        working_dir: loaded.working_dir.clone(),
        config_files: loaded.config_files.clone(),
        services: services_on,
        networks: top.networks,
        volumes: top.volumes,
        secrets: top.secrets,
        configs: top.configs,
        disabled: disabled.into_keys().collect(),
        warnings,
    };
    validate::references(&root, &project)?;
    Ok(project)
}

/// The top-level sections, each read entry by entry.
#[derive(Default)]
struct TopLevel {
    services: BTreeMap<String, Service>,
    networks: BTreeMap<String, Network>,
    volumes: BTreeMap<String, Volume>,
    secrets: BTreeMap<String, FileObject>,
    configs: BTreeMap<String, FileObject>,
}

/// Reads the document's top-level sections for project `name`; unknown keys (other
/// than `x-*`) are reported in `warnings`.
fn read_top_level(
    root: &Node<'_, '_>,
    ctx: &Ctx<'_>,
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<TopLevel> {
    let mut top = TopLevel::default();
    for (key, c) in root.entries()? {
        let c = c.node();
        match key {
            "services" => {
                top.services = read_each(&c, |s, n| service::service(s, n, ctx, warnings))?
            }
            "networks" => top.networks = read_each(&c, |k, n| networks::network(k, n, name))?,
            "volumes" => top.volumes = read_each(&c, |k, n| resources::volume(k, n, name))?,
            "secrets" => {
                top.secrets =
                    read_each(&c, |k, n| resources::file_object("secret", k, n, name, ctx))?
            }
            "configs" => {
                top.configs =
                    read_each(&c, |k, n| resources::file_object("config", k, n, name, ctx))?
            }
            "name" | "version" | "include" | "models" => {}
            k if k.starts_with("x-") => {}
            k => warnings.push(format!("{k}: unknown top-level key, ignored")),
        }
    }
    Ok(top)
}

/// Reads every entry of mapping `c` (none when it is null) with `read`.
fn read_each<T>(
    c: &Node<'_, '_>,
    mut read: impl FnMut(&str, Node<'_, '_>) -> Result<T>,
) -> Result<BTreeMap<String, T>> {
    let mut out = BTreeMap::new();
    for (k, n) in c.entries_or_null()? {
        out.insert(k.to_string(), read(k, n.node())?);
    }
    Ok(out)
}

impl Project {
    /// The service called `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.get(name)
    }

    /// `services` (all enabled services when empty) and their dependencies, each after the
    /// services it depends on: the order to create and start them (reverse it to stop).
    pub fn start_order(&self, services: &[String]) -> Vec<String> {
        let graph: BTreeMap<&str, Vec<&str>> = self
            .services
            .iter()
            .map(|(k, s)| {
                let deps = s
                    .depends_on
                    .keys()
                    .map(String::as_str)
                    .filter(|d| self.services.contains_key(*d));
                (k.as_str(), deps.collect())
            })
            .collect();
        let roots: Vec<&str> = if services.is_empty() {
            graph.keys().copied().collect()
        } else {
            services
                .iter()
                .map(String::as_str)
                .filter(|s| graph.contains_key(s))
                .collect()
        };
        depends::order(&graph, &roots)
    }
}

#[cfg(test)]
mod tests;
