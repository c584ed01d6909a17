//! Project-wide checks, with docker compose's wording: dependencies on unknown services,
//! dependency cycles, dependencies left out by profiles, references to undeclared networks,
//! volumes, secrets and configs.

use std::collections::BTreeMap;

use super::depends::{find_cycle, Dependency, SERVICE_STARTED};
use super::node::Node;
use super::service::Service;
use super::Project;
use crate::Result;

/// The key path of `service`'s dependency on `dep` (list index or map key).
fn dep_path(root: &Node<'_, '_>, service: &str, dep: &str) -> String {
    let base = format!("services.{service}.depends_on");
    let list = root
        .v
        .pointer(&format!("/services/{}/depends_on", pointer_escape(service)));
    match list.and_then(|v| v.as_array()) {
        Some(items) => match items.iter().position(|v| v.as_str() == Some(dep)) {
            Some(i) => format!("{base}[{i}]"),
            None => base,
        },
        None if list.is_some() => format!("{base}.{dep}"),
        None => format!("services.{service}"),
    }
}

fn pointer_escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Adds the implicit dependency of `network_mode: service:x`, rejects dependencies on
/// unknown services (dropping optional ones with a warning), and rejects cycles.
pub(crate) fn dependencies(
    root: &Node<'_, '_>,
    all: &mut BTreeMap<String, Service>,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let names: Vec<String> = all.keys().cloned().collect();
    for s in all.values_mut() {
        if let Some(other) = s
            .network_mode
            .as_deref()
            .and_then(|m| m.strip_prefix("service:"))
        {
            if !names.iter().any(|n| n == other) {
                return Err(super::node::error_at(
                    root.spans(),
                    &format!("services.{}.network_mode", s.name),
                    format!(
                        "service {:?} refers to undefined service {other:?} in network_mode",
                        s.name
                    ),
                ));
            }
            s.depends_on.entry(other.to_string()).or_insert(Dependency {
                condition: SERVICE_STARTED.into(),
                restart: false,
                required: true,
            });
        }
        let mut missing = Vec::new();
        for (dep, d) in &s.depends_on {
            if names.contains(dep) {
                continue;
            }
            if d.required {
                return Err(super::node::error_at(
                    root.spans(),
                    &dep_path(root, &s.name, dep),
                    format!("service {:?} depends on undefined service {dep:?}: invalid compose project", s.name),
                ));
            }
            warnings.push(format!(
                "services.{}: optional dependency {dep:?} is not defined, ignored",
                s.name
            ));
            missing.push(dep.clone());
        }
        for m in missing {
            s.depends_on.remove(&m);
        }
    }
    let graph: BTreeMap<&str, Vec<&str>> = all
        .iter()
        .map(|(k, s)| {
            (
                k.as_str(),
                s.depends_on.keys().map(String::as_str).collect(),
            )
        })
        .collect();
    if let Some(cycle) = find_cycle(&graph) {
        let first = cycle.first().cloned().unwrap_or_default();
        return Err(super::node::error_at(
            root.spans(),
            &format!("services.{first}.depends_on"),
            format!("dependency cycle detected: {}", cycle.join(" -> ")),
        ));
    }
    Ok(())
}

/// Rejects an enabled service that requires a service its profiles leave out; drops
/// optional dependencies on such services.
pub(crate) fn profiles(
    root: &Node<'_, '_>,
    all: &mut BTreeMap<String, Service>,
    enabled: &[String],
) -> Result<()> {
    for s in all.values_mut().filter(|s| enabled.contains(&s.name)) {
        let mut off = Vec::new();
        for (dep, d) in &s.depends_on {
            if enabled.contains(dep) {
                continue;
            }
            if d.required {
                return Err(super::node::error_at(
                    root.spans(),
                    &dep_path(root, &s.name, dep),
                    format!(
                        "service {dep:?} was pulled in as a dependency of service {:?} but is not enabled by the active profiles. You may fix this by adding a common profile to {dep:?} and {:?}",
                        s.name, s.name
                    ),
                ));
            }
            off.push(dep.clone());
        }
        for d in off {
            s.depends_on.remove(&d);
        }
    }
    Ok(())
}

/// Rejects references from enabled services to undeclared networks, volumes, secrets and
/// configs.
pub(crate) fn references(root: &Node<'_, '_>, p: &Project) -> Result<()> {
    let err = |path: String, msg: String| Err(super::node::error_at(root.spans(), &path, msg));
    for s in p.services.values() {
        let n = &s.name;
        for net in s.networks.keys() {
            if !p.networks.contains_key(net) {
                let at = network_path(root, n, net);
                return err(
                    at,
                    format!(
                        "service {n:?} refers to undefined network {net}: invalid compose project"
                    ),
                );
            }
        }
        for (i, m) in s.volumes.iter().enumerate() {
            if let Some(v) = m.named_volume() {
                if !p.volumes.contains_key(v) {
                    return err(
                        format!("services.{n}.volumes[{i}]"),
                        format!(
                            "service {n:?} refers to undefined volume {v}: invalid compose project"
                        ),
                    );
                }
            }
        }
        for (what, refs, declared) in [
            ("secret", &s.secrets, &p.secrets),
            ("config", &s.configs, &p.configs),
        ] {
            for (i, r) in refs.iter().enumerate() {
                if !declared.contains_key(&r.source) {
                    return err(
                        format!("services.{n}.{what}s[{i}]"),
                        format!(
                            "service {n:?} refers to undefined {what} {}: invalid compose project",
                            r.source
                        ),
                    );
                }
            }
        }
    }
    Ok(())
}

fn network_path(root: &Node<'_, '_>, service: &str, net: &str) -> String {
    let base = format!("services.{service}.networks");
    match root
        .v
        .pointer(&format!("/services/{}/networks", pointer_escape(service)))
    {
        Some(serde_json::Value::Array(items)) => {
            match items.iter().position(|v| v.as_str() == Some(net)) {
                Some(i) => format!("{base}[{i}]"),
                None => base,
            }
        }
        Some(_) => format!("{base}.{net}"),
        None => format!("services.{service}"),
    }
}
