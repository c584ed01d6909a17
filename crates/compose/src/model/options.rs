//! Smaller engine options of a service: ulimits, devices, logging, deploy.

use std::collections::BTreeMap;

use serde::Serialize;

use super::env::string_map;
use super::node::Node;
use super::units::{bytes_from_node, Duration};
use crate::Result;

/// One ulimit: a single value (soft = hard) or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Ulimit {
    /// Soft and hard are the same.
    Single(i64),
    /// Separate limits.
    Pair {
        /// Soft limit.
        soft: i64,
        /// Hard limit.
        hard: i64,
    },
}

impl Ulimit {
    /// `(soft, hard)`.
    pub fn limits(self) -> (i64, i64) {
        match self {
            Ulimit::Single(v) => (v, v),
            Ulimit::Pair { soft, hard } => (soft, hard),
        }
    }
}

/// Reads `ulimits`.
pub(crate) fn ulimits(n: Node<'_, '_>) -> Result<BTreeMap<String, Ulimit>> {
    let mut out = BTreeMap::new();
    for (name, c) in n.entries_or_null()? {
        let c = c.node();
        let u = if c.v.is_object() {
            let soft = c
                .get("soft")
                .ok_or_else(|| c.err("ulimit is missing soft"))?;
            let hard = c
                .get("hard")
                .ok_or_else(|| c.err("ulimit is missing hard"))?;
            let (soft, hard) = (soft.node().i64()?, hard.node().i64()?);
            if soft > hard && hard >= 0 {
                return Err(c.err(format!(
                    "ulimit soft limit {soft} is greater than the hard limit {hard}"
                )));
            }
            Ulimit::Pair { soft, hard }
        } else {
            Ulimit::Single(c.i64()?)
        };
        out.insert(name.to_string(), u);
    }
    Ok(out)
}

/// A host device made available in the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceMapping {
    /// Host path.
    pub source: String,
    /// Container path.
    pub target: String,
    /// cgroup permissions (`rwm`).
    pub permissions: String,
}

/// Reads `devices` (`src[:dst[:perms]]` or `{source, target, permissions}`).
pub(crate) fn devices(n: Node<'_, '_>) -> Result<Vec<DeviceMapping>> {
    let mut out = Vec::new();
    if n.is_null() {
        return Ok(out);
    }
    for item in n.items()? {
        let item = item.node();
        if item.v.is_object() {
            let get = |k: &str| -> Result<Option<String>> {
                item.get(k).map(|c| c.node().scalar()).transpose()
            };
            let source = get("source")?.ok_or_else(|| item.err("device is missing its source"))?;
            let target = get("target")?.unwrap_or_else(|| source.clone());
            let permissions = get("permissions")?.unwrap_or_else(|| "rwm".into());
            out.push(DeviceMapping {
                source,
                target,
                permissions,
            });
            continue;
        }
        let s = item.scalar()?;
        let parts: Vec<&str> = s.split(':').collect();
        let d = match parts.as_slice() {
            [src] => DeviceMapping {
                source: src.to_string(),
                target: src.to_string(),
                permissions: "rwm".into(),
            },
            [src, dst] if dst.starts_with('/') => DeviceMapping {
                source: src.to_string(),
                target: dst.to_string(),
                permissions: "rwm".into(),
            },
            [src, perm] => DeviceMapping {
                source: src.to_string(),
                target: src.to_string(),
                permissions: perm.to_string(),
            },
            [src, dst, perm] => DeviceMapping {
                source: src.to_string(),
                target: dst.to_string(),
                permissions: perm.to_string(),
            },
            _ => return Err(item.err(format!("invalid device specification: {s}"))),
        };
        if d.source.is_empty() || !d.permissions.chars().all(|c| "rwm".contains(c)) {
            return Err(item.err(format!("invalid device specification: {s}")));
        }
        out.push(d);
    }
    Ok(out)
}

/// `logging`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Logging {
    /// Log driver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// Driver options.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// Reads `logging`.
pub(crate) fn logging(n: Node<'_, '_>) -> Result<Logging> {
    let mut l = Logging::default();
    for (k, c) in n.entries_or_null()? {
        let c = c.node();
        match k {
            "driver" => l.driver = Some(c.scalar()?),
            "options" => l.options = string_map(c)?,
            k if k.starts_with("x-") => {}
            k => return Err(c.err(format!("unknown logging attribute {k:?}"))),
        }
    }
    Ok(l)
}

/// The parts of `deploy` that compose honours.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Deploy {
    /// Number of containers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u64>,
    /// Resource limits and reservations.
    #[serde(skip_serializing_if = "Resources::is_empty")]
    pub resources: Resources,
    /// Restart policy (overrides `restart`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
}

/// `deploy.resources`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Resources {
    /// Hard limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
    /// Reservations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservations: Option<Limits>,
}

impl Resources {
    fn is_empty(&self) -> bool {
        self.limits.is_none() && self.reservations.is_none()
    }
}

/// CPU, memory and pids numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Limits {
    /// CPUs (fractional).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    /// Memory in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<i64>,
    /// Process count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids: Option<i64>,
}

/// `deploy.restart_policy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RestartPolicy {
    /// `none`, `on-failure` or `any`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Wait between restarts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay: Option<Duration>,
    /// Give up after this many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u64>,
    /// How long to wait before deciding a restart worked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
}

/// Reads `deploy`; Swarm-only keys are reported in `warnings`.
pub(crate) fn deploy(n: Node<'_, '_>, warnings: &mut Vec<String>) -> Result<Deploy> {
    let mut d = Deploy::default();
    for (k, c) in n.entries_or_null()? {
        let c = c.node();
        match k {
            "replicas" => d.replicas = Some(c.u64()?),
            "resources" => {
                for (k, r) in c.entries_or_null()? {
                    let r = r.node();
                    match k {
                        "limits" => d.resources.limits = Some(limits(r, warnings)?),
                        "reservations" => d.resources.reservations = Some(limits(r, warnings)?),
                        k if k.starts_with("x-") => {}
                        k => return Err(r.err(format!("unknown resources attribute {k:?}"))),
                    }
                }
            }
            "restart_policy" => {
                let mut p = RestartPolicy::default();
                for (k, o) in c.entries_or_null()? {
                    let o = o.node();
                    match k {
                        "condition" => {
                            let cond = o.str()?;
                            if !matches!(cond, "none" | "on-failure" | "any") {
                                return Err(o.err(format!("invalid restart condition {cond:?}: must be none, on-failure or any")));
                            }
                            p.condition = Some(cond.to_string());
                        }
                        "delay" => p.delay = Some(Duration::from_node(o)?),
                        "max_attempts" => p.max_attempts = Some(o.u64()?),
                        "window" => p.window = Some(Duration::from_node(o)?),
                        k if k.starts_with("x-") => {}
                        k => return Err(o.err(format!("unknown restart_policy attribute {k:?}"))),
                    }
                }
                d.restart_policy = Some(p);
            }
            k if k.starts_with("x-") => {}
            k => warnings.push(format!("{}: {k:?} is not supported, ignored", n.path)),
        }
    }
    Ok(d)
}

fn limits(n: Node<'_, '_>, warnings: &mut Vec<String>) -> Result<Limits> {
    let mut l = Limits::default();
    for (k, c) in n.entries_or_null()? {
        let c = c.node();
        match k {
            "cpus" => l.cpus = Some(cpus(c)?),
            "memory" => l.memory = Some(bytes_from_node(c)?),
            "pids" => l.pids = Some(c.i64()?),
            k if k.starts_with("x-") => {}
            k => warnings.push(format!("{}: {k:?} is not supported, ignored", n.path)),
        }
    }
    Ok(l)
}

/// A CPU count: a number or a numeric string, not negative.
pub(crate) fn cpus(n: Node<'_, '_>) -> Result<f64> {
    let f = n.f64()?;
    if f < 0.0 {
        return Err(n.err(format!("invalid cpus {f}: must not be negative")));
    }
    Ok(f)
}
