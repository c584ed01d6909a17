//! One container in dockerd's `ContainerSummary` shape (the list's and `system df`'s):
//! its ports, networks and mounts, and the size of its changes.

use std::path::Path;
use std::time::SystemTime;

use berth_engine::containers::{ContainerBrief, State};
use berth_engine::network::Attachment;
use serde_json::{json, Value};

use crate::routes::encode::unix_secs;
use crate::routes::status::status_text;

/// One container in the list's shape (dockerd's `ContainerSummary`, also `system df`'s),
/// without the sizes.
pub(crate) fn summary(r: &ContainerBrief, s: &State) -> Value {
    let command = std::iter::once(r.path.as_str())
        .chain(r.args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    json!({
        "Id": r.id,
        "Names": [format!("/{}", r.name)],
        "Image": r.image,
        "ImageID": format!("sha256:{}", r.image_id),
        "Command": command,
        "Created": unix_secs(&r.created),
        "Ports": ports(r, s),
        "Labels": if r.config["Labels"].is_object() { r.config["Labels"].clone() } else { json!({}) },
        "State": s.status,
        "Status": status_text(s, SystemTime::now()),
        "HostConfig": {"NetworkMode": r.network_mode},
        "NetworkSettings": {"Networks": networks(r.attachments(), &r.network_mode)},
        "Mounts": r.mounts.iter().map(mount_json).collect::<Vec<_>>(),
    })
}

/// `Ports`: published ports (while running), then exposed ones not published.
fn ports(r: &ContainerBrief, s: &State) -> Vec<Value> {
    let mut out = Vec::new();
    let mut published = Vec::new();
    if s.is_running() {
        for p in r.attachments().flat_map(|a| a.ports.iter()) {
            let ip = if p.host_ip.is_empty() {
                "0.0.0.0"
            } else {
                &p.host_ip
            };
            out.push(json!({"IP": ip, "PrivatePort": p.container_port, "PublicPort": p.host_port, "Type": p.proto}));
            published.push((p.container_port, p.proto.clone()));
        }
    }
    for (port, proto) in exposed(r) {
        if !published.contains(&(port, proto.clone())) {
            out.push(json!({"PrivatePort": port, "Type": proto}));
        }
    }
    out
}

/// `NetworkSettings.Networks`: each attachment (or the network mode's pseudo-network).
pub fn networks<'a>(attachments: impl Iterator<Item = &'a Attachment>, mode: &str) -> Value {
    let mut nets = serde_json::Map::new();
    for a in attachments {
        nets.insert(
            a.network.clone(),
            json!({
                "IPAMConfig": null,
                "Links": null,
                "Aliases": null,
                "NetworkID": a.network_id,
                "EndpointID": "",
                "Gateway": a.gateway,
                "IPAddress": a.ip,
                "IPPrefixLen": a.prefix,
                "IPv6Gateway": "",
                "GlobalIPv6Address": "",
                "GlobalIPv6PrefixLen": 0,
                "MacAddress": a.mac,
                "DriverOpts": null,
            }),
        );
    }
    if nets.is_empty() && matches!(mode, "host" | "none") {
        nets.insert(
            mode.to_string(),
            json!({"IPAMConfig": null, "Links": null, "Aliases": null, "NetworkID": "",
                   "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0,
                   "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
                   "MacAddress": "", "DriverOpts": null}),
        );
    }
    Value::Object(nets)
}

/// A mount in dockerd's `MountPoint` shape.
pub fn mount_json(m: &berth_engine::containers::record::MountRecord) -> Value {
    let mut v = json!({
        "Type": m.kind,
        "Source": m.source,
        "Destination": m.destination,
        "Mode": m.mode,
        "RW": m.rw,
        "Propagation": m.propagation,
    });
    if m.kind == "volume" {
        v["Name"] = json!(m.name.clone().unwrap_or_default());
        v["Driver"] = json!("local");
    }
    v
}

/// Bytes in the files under `dir` (not following symlinks).
pub fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in rd.flatten() {
            let Ok(md) = entry.metadata() else { continue };
            if md.is_dir() {
                stack.push(entry.path());
            } else if md.is_file() {
                total += md.len();
            }
        }
    }
    total
}

/// The container's exposed ports (`Config.ExposedPorts` and published ones).
pub(super) fn exposed(r: &ContainerBrief) -> Vec<(u16, String)> {
    let mut out: Vec<(u16, String)> = r.config["ExposedPorts"]
        .as_object()
        .map(|m| {
            m.keys()
                .filter_map(|k| {
                    let (p, proto) = k.split_once('/').unwrap_or((k, "tcp"));
                    Some((p.parse().ok()?, proto.to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    for p in r.attachments().flat_map(|a| a.ports.iter()) {
        if !out
            .iter()
            .any(|(n, proto)| *n == p.container_port && *proto == p.proto)
        {
            out.push((p.container_port, p.proto.clone()));
        }
    }
    out.sort();
    out
}
