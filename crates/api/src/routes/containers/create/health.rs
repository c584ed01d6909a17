//! `Config.Healthcheck` onto the engine's options.

use std::time::Duration;

use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use berth_engine::spec::RunOptions;

/// The body's `Healthcheck` (durations in nanoseconds).
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct Healthcheck {
    #[serde(skip_serializing_if = "Option::is_none")]
    test: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    interval: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_interval: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retries: Option<i64>,
}

/// `Healthcheck` onto the options (durations in nanoseconds; 0 inherits the image's).
pub(super) fn health_into(h: &Healthcheck, o: &mut RunOptions) -> ApiResult<()> {
    let dur = |field: &str, v: Option<i64>| -> ApiResult<Option<Duration>> {
        match v {
            None | Some(0) => Ok(None),
            Some(n) if n >= 1_000_000 => Ok(Some(Duration::from_nanos(n as u64))),
            Some(n) => Err(ApiError::bad_request(format!(
                "Healthcheck.{field} {n}: must be at least 1 millisecond"
            ))),
        }
    };
    match h.test.as_deref() {
        Some([first, ..]) if first == "NONE" => o.health.no_healthcheck = true,
        Some([]) | None => {}
        Some([first, ..]) if !matches!(first.as_str(), "CMD" | "CMD-SHELL") => {
            return Err(ApiError::bad_request(format!(
                "Healthcheck.Test must start with CMD, CMD-SHELL or NONE (got {first:?})"
            )))
        }
        Some(t) => o.health.test = Some(t.to_vec()),
    }
    o.health.interval = dur("Interval", h.interval)?;
    o.health.timeout = dur("Timeout", h.timeout)?;
    o.health.start_period = dur("StartPeriod", h.start_period)?;
    o.health.start_interval = dur("StartInterval", h.start_interval)?;
    o.health.retries = match h.retries {
        None | Some(0) => None,
        Some(n) => Some(u32::try_from(n).map_err(|_| {
            ApiError::bad_request(format!("Healthcheck.Retries {n}: must not be negative"))
        })?),
    };
    Ok(())
}
