//! A project's networks and volumes: made before its containers (labelled as docker compose
//! labels them, external ones checked), removed by `down`.

use std::collections::BTreeSet;

use anyhow::{anyhow, bail};
use berth_compose::model::Project;
use berth_engine::network::NetworkCreate;
use berth_engine::{Engine, Paths};

use super::{graph, labels, progress};

/// The network keys the `services` use.
pub fn used_networks(project: &Project, services: &[String]) -> BTreeSet<String> {
    services
        .iter()
        .filter_map(|s| project.services.get(s))
        .filter(|s| s.network_mode.is_none())
        .flat_map(|s| s.networks.keys().cloned())
        .collect()
}

/// The named volume keys the `services` mount.
pub fn used_volumes(project: &Project, services: &[String]) -> BTreeSet<String> {
    services
        .iter()
        .filter_map(|s| project.services.get(s))
        .flat_map(|s| s.volumes.iter().filter_map(|m| m.named_volume()))
        .map(String::from)
        .collect()
}

/// Creates the networks `keys` that do not exist (in parallel); an external one must exist.
pub fn ensure_networks(
    paths: &Paths,
    project: &Project,
    keys: &BTreeSet<String>,
) -> anyhow::Result<()> {
    let keys: Vec<&String> = keys.iter().collect();
    graph::each(&keys, |key| {
        let e = Engine::open(paths.clone())?;
        ensure_network(&e, project, key)
    })
}

fn ensure_network(e: &Engine, project: &Project, key: &str) -> anyhow::Result<()> {
    let n = project
        .networks
        .get(key)
        .ok_or_else(|| anyhow!("service network {key:?} is not declared"))?;
    if let Ok(existing) = e.network(&n.name) {
        if !n.external {
            let owner = existing.labels.get(labels::PROJECT);
            if owner.is_some_and(|p| *p != project.name) {
                progress::warn_line(&format!(
                    "a network with name {} exists but was not created for project {:?}",
                    n.name, project.name
                ));
            }
        }
        return Ok(());
    }
    if n.external {
        bail!(
            "network {} declared as external, but could not be found",
            n.name
        );
    }
    let mut lbls = n.labels.clone();
    lbls.insert(labels::PROJECT.into(), project.name.clone());
    lbls.insert(labels::NETWORK.into(), key.to_string());
    lbls.insert(labels::VERSION.into(), labels::COMPOSE_VERSION.into());
    let pool = n.ipam.config.first();
    let opts = NetworkCreate {
        subnet: pool.and_then(|p| p.subnet.clone()),
        gateway: pool.and_then(|p| p.gateway.clone()),
        internal: n.internal,
        labels: lbls,
        driver: n.driver.clone(),
    };
    progress::network(&n.name, "Creating");
    e.create_network(&n.name, &opts)?;
    progress::network(&n.name, "Created");
    Ok(())
}

/// Creates the volumes `keys` that do not exist; an external one must.
pub fn ensure_volumes(
    e: &Engine,
    project: &Project,
    keys: &BTreeSet<String>,
) -> anyhow::Result<()> {
    for key in keys {
        let v = project
            .volumes
            .get(key)
            .ok_or_else(|| anyhow!("service volume {key:?} is not declared"))?;
        if e.volume(&v.name).is_ok() {
            continue;
        }
        if v.external {
            bail!("external volume \"{}\" not found", v.name);
        }
        if let Some(d) = v.driver.as_deref().filter(|d| *d != "local") {
            bail!(
                "volume {}: driver {d:?} is not supported (local only)",
                v.name
            );
        }
        let mut lbls = v.labels.clone();
        lbls.insert(labels::PROJECT.into(), project.name.clone());
        lbls.insert(labels::VOLUME.into(), key.clone());
        lbls.insert(labels::VERSION.into(), labels::COMPOSE_VERSION.into());
        progress::volume(&v.name, "Creating");
        e.create_volume(&v.name, &lbls, false)?;
        progress::volume(&v.name, "Created");
    }
    Ok(())
}

/// Removes the project's networks (those labelled for it) in parallel; a network still in
/// use is reported and kept.
pub fn remove_networks(paths: &Paths, project_name: &str) -> anyhow::Result<()> {
    let e = Engine::open(paths.clone())?;
    let names: Vec<String> = e
        .networks()?
        .into_iter()
        .filter(|n| n.labels.get(labels::PROJECT).map(String::as_str) == Some(project_name))
        .map(|n| n.name)
        .collect();
    drop(e);
    graph::each(&names, |name| {
        let e = Engine::open(paths.clone())?;
        progress::network(name, "Removing");
        match e.remove_network(name) {
            Ok(_) => progress::network(name, "Removed"),
            Err(err) => {
                progress::network(name, "Error");
                progress::warn_line(&format!("network {name}: {err}"));
            }
        }
        Ok(())
    })
}

/// Removes the project's named volumes (labelled for it; external ones never).
pub fn remove_volumes(e: &Engine, project_name: &str) -> anyhow::Result<()> {
    for v in e.volumes()? {
        if v.labels.get(labels::PROJECT).map(String::as_str) != Some(project_name) {
            continue;
        }
        progress::volume(&v.name, "Removing");
        match e.remove_volume(&v.name, false) {
            Ok(()) => progress::volume(&v.name, "Removed"),
            Err(err) => {
                progress::volume(&v.name, "Error");
                progress::warn_line(&format!("volume {}: {err}", v.name));
            }
        }
    }
    Ok(())
}
