//! `HostConfig.Mounts` and `HostConfig.Devices` entries as the engine's mount specs and
//! device mappings.

use std::collections::BTreeMap;

use berth_engine::spec::parse;
use berth_engine::spec::{DeviceMapping, MountKind, MountSpec, Propagation};
use serde::Deserialize;

use super::bad;
use crate::error::{ApiError, ApiResult};

/// One `HostConfig.Mounts` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct ApiMount {
    target: String,
    source: Option<String>,
    #[serde(rename = "Type")]
    kind: String,
    read_only: Option<bool>,
    bind_options: Option<BindOptions>,
    volume_options: Option<VolumeOptions>,
    tmpfs_options: Option<TmpfsOptions>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct BindOptions {
    propagation: Option<String>,
    non_recursive: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct VolumeOptions {
    no_copy: Option<bool>,
    labels: Option<BTreeMap<String, String>>,
    driver_config: Option<DriverConfig>,
    subpath: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct DriverConfig {
    name: Option<String>,
    options: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct TmpfsOptions {
    size_bytes: Option<i64>,
    mode: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct ApiDevice {
    path_on_host: String,
    path_in_container: String,
    cgroup_permissions: String,
}

/// One `Devices` entry.
pub(super) fn device(d: &ApiDevice) -> ApiResult<DeviceMapping> {
    let ctr = if d.path_in_container.is_empty() {
        &d.path_on_host
    } else {
        &d.path_in_container
    };
    let perms = if d.cgroup_permissions.is_empty() {
        "rwm"
    } else {
        &d.cgroup_permissions
    };
    parse::parse_device(&format!("{}:{ctr}:{perms}", d.path_on_host)).map_err(bad)
}

/// One `Mounts` entry as a mount spec.
pub(super) fn mount_spec(m: &ApiMount) -> ApiResult<MountSpec> {
    let field = |what: &str| ApiError::bad_request(format!("HostConfig.Mounts: {what}"));
    if !m.target.starts_with('/') || m.target.trim_end_matches('/').is_empty() {
        return Err(field(&format!(
            "invalid mount target {:?}: must be an absolute path other than /",
            m.target
        )));
    }
    let source = m.source.clone().unwrap_or_default();
    let kind = match m.kind.as_str() {
        "bind" => MountKind::Bind,
        "volume" | "" => MountKind::Volume,
        "tmpfs" => MountKind::Tmpfs,
        other => {
            return Err(field(&format!(
                "mount type {other:?} is not supported by berth"
            )))
        }
    };
    let mut spec = MountSpec {
        kind,
        source,
        target: m.target.clone(),
        read_only: m.read_only.unwrap_or(false),
        ..MountSpec::default()
    };
    match kind {
        MountKind::Bind if spec.source.is_empty() => {
            return Err(field("a bind mount needs a Source"))
        }
        MountKind::Tmpfs if !spec.source.is_empty() => {
            return Err(field("a tmpfs mount takes no Source"))
        }
        _ => {}
    }
    if let Some(b) = &m.bind_options {
        if kind != MountKind::Bind {
            return Err(field("BindOptions given for a mount that is not a bind"));
        }
        if let Some(p) = b.propagation.as_deref().filter(|p| !p.is_empty()) {
            spec.bind_propagation = Some(
                Propagation::from_name(p)
                    .ok_or_else(|| field(&format!("invalid propagation {p:?}")))?,
            );
        }
        spec.bind_nonrecursive = b.non_recursive.unwrap_or(false);
    }
    if let Some(v) = &m.volume_options {
        if kind != MountKind::Volume {
            return Err(field(
                "VolumeOptions given for a mount that is not a volume",
            ));
        }
        spec.volume_nocopy = v.no_copy.unwrap_or(false);
        spec.volume_labels = v.labels.clone().unwrap_or_default();
        spec.volume_subpath = v.subpath.clone().filter(|s| !s.is_empty());
        if let Some(d) = &v.driver_config {
            spec.volume_driver = d.name.clone().filter(|s| !s.is_empty());
            spec.volume_options = d.options.clone().unwrap_or_default();
        }
    }
    if let Some(t) = &m.tmpfs_options {
        if kind != MountKind::Tmpfs {
            return Err(field("TmpfsOptions given for a mount that is not a tmpfs"));
        }
        spec.tmpfs_size = t.size_bytes.filter(|s| *s > 0);
        spec.tmpfs_mode = t.mode.filter(|m| *m != 0);
    }
    Ok(spec)
}
