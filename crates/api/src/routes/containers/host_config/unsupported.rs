//! The `HostConfig` fields berth cannot honour: a 400 naming the field when it carries a
//! value other than its zero (the docker CLI sends every field, zeros included).

use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// `HostConfig` fields berth has no equivalent for, with the values that still pass (beyond
/// the zero values: null, false, 0, "", [] and {}).
const UNSUPPORTED: &[(&str, &[&str])] = &[
    ("VolumeDriver", &["local"]),
    ("VolumesFrom", &[]),
    ("Links", &[]),
    ("Cgroup", &[]),
    ("CgroupParent", &[]),
    ("StorageOpt", &[]),
    ("PidMode", &[]),
    ("UTSMode", &[]),
    ("UsernsMode", &["host"]),
    ("IpcMode", &["private", "shareable"]),
    ("CgroupnsMode", &["private", "host"]),
    ("Runtime", &["runc", "berth"]),
    ("Isolation", &["default"]),
    ("BlkioWeight", &[]),
    ("BlkioWeightDevice", &[]),
    ("BlkioDeviceReadBps", &[]),
    ("BlkioDeviceWriteBps", &[]),
    ("BlkioDeviceReadIOps", &[]),
    ("BlkioDeviceWriteIOps", &[]),
    ("CpuRealtimePeriod", &[]),
    ("CpuRealtimeRuntime", &[]),
    ("DeviceCgroupRules", &[]),
    ("DeviceRequests", &[]),
    ("KernelMemory", &[]),
    ("KernelMemoryTCP", &[]),
    ("CpuCount", &[]),
    ("CpuPercent", &[]),
    ("IOMaximumIOps", &[]),
    ("IOMaximumBandwidth", &[]),
    ("MaskedPaths", &[]),
    ("ReadonlyPaths", &[]),
    ("Annotations", &[]),
];

/// Whether `v` is a zero value as Go's JSON encoding of an unset field gives it.
pub fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// Refuses the unsupported fields of a raw `HostConfig` that carry a value.
pub fn check_unsupported(hc: &Value) -> ApiResult<()> {
    for (field, allowed) in UNSUPPORTED {
        let Some(v) = hc.get(*field) else { continue };
        let ok = is_zero(v) || v.as_str().is_some_and(|s| allowed.contains(&s));
        if !ok {
            return Err(ApiError::bad_request(format!(
                "HostConfig.{field} is not supported by berth (got {v})"
            )));
        }
    }
    if let Some(sw) = hc.get("MemorySwappiness").and_then(Value::as_i64) {
        if sw != -1 && !(0..=100).contains(&sw) {
            return Err(ApiError::bad_request(format!(
                "invalid HostConfig.MemorySwappiness {sw}: must be between 0 and 100"
            )));
        }
    }
    Ok(())
}
