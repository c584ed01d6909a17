//! `healthcheck`: test as a string (`CMD-SHELL`) or list, Go durations, `disable`.

use serde::Serialize;

use super::node::Node;
use super::units::Duration;
use crate::Result;

/// A service's health check, as compose prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Healthcheck {
    /// `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`; empty: inherit the image's test.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub test: Vec<String>,
    /// Time between probes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    /// Time a probe may take.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Consecutive failures that make the container unhealthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<u64>,
    /// Grace period after start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_period: Option<Duration>,
    /// Time between probes during the start period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<Duration>,
    /// Health checking is off (also `test: [NONE]`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disable: bool,
}

/// Reads `healthcheck`.
pub(crate) fn healthcheck(n: Node<'_, '_>) -> Result<Healthcheck> {
    let mut h = Healthcheck::default();
    for (k, c) in n.entries_or_null()? {
        let c = c.node();
        match k {
            "test" => {
                h.test = match c.v {
                    serde_json::Value::Array(_) => c.string_or_list()?,
                    serde_json::Value::Null => Vec::new(),
                    _ => vec!["CMD-SHELL".to_string(), c.scalar()?],
                };
                match h.test.first().map(String::as_str) {
                    None | Some("CMD" | "CMD-SHELL") => {}
                    Some("NONE") => h.disable = true,
                    Some(other) => {
                        return Err(c.err(format!(
                            "healthcheck test must start with CMD, CMD-SHELL or NONE, not {other:?}"
                        )))
                    }
                }
                if h.test.len() == 1 && h.test[0] != "NONE" {
                    return Err(c.err(format!("healthcheck test {:?} has no command", h.test[0])));
                }
            }
            "interval" => h.interval = Some(Duration::from_node(c)?),
            "timeout" => h.timeout = Some(Duration::from_node(c)?),
            "start_period" => h.start_period = Some(Duration::from_node(c)?),
            "start_interval" => h.start_interval = Some(Duration::from_node(c)?),
            "retries" => h.retries = Some(c.u64()?),
            "disable" => h.disable |= c.bool()?,
            k if k.starts_with("x-") => {}
            k => return Err(c.err(format!("unknown healthcheck attribute {k:?}"))),
        }
    }
    if h.disable && !h.test.is_empty() && h.test[0] != "NONE" {
        return Err(n.err("test and disable can't be set at the same time"));
    }
    Ok(h)
}
