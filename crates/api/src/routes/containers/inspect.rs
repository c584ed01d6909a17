//! `GET /containers/{id}/json`: the engine's inspect document, completed with the fields
//! dockerd always sends (clients index into them without checking).

use serde_json::{json, Value};

use super::summary::{dir_size, networks};
use crate::ctx::Ctx;
use crate::error::ApiResult;
use crate::http::{Reply, Request};

/// `GET /containers/{id}/json?size=`.
pub fn inspect(ctx: &Ctx, req: &mut Request, id: &str) -> ApiResult<Reply> {
    let e = ctx.engine()?;
    let r = e.container(id)?;
    let mut v = e.inspect_container(&r);
    let running = e.state(&r).is_running();
    complete(&mut v, running);
    if v["NetworkSettings"]["Networks"]
        .as_object()
        .is_none_or(|m| m.is_empty())
    {
        v["NetworkSettings"]["Networks"] = networks(r.attachments(), &r.network_mode);
    }
    if req.query.bool("size") {
        let rw = dir_size(&e.paths.container(&r.id).join("upper"));
        v["SizeRw"] = json!(rw);
        v["SizeRootFs"] = json!(rw);
    }
    Reply::ok(v)
}

/// `HostConfig` fields dockerd always has, with its defaults.
fn host_config_defaults() -> Value {
    json!({
        "ContainerIDFile": "",
        "VolumeDriver": "",
        "VolumesFrom": null,
        "CgroupnsMode": "host",
        "ExtraHosts": null,
        "GroupAdd": null,
        "IpcMode": "private",
        "Cgroup": "",
        "Links": null,
        "OomScoreAdj": 0,
        "PidMode": "",
        "PublishAllPorts": false,
        "UTSMode": "",
        "UsernsMode": "",
        "Sysctls": null,
        "Runtime": "runc",
        "ConsoleSize": [0, 0],
        "Isolation": "",
        "CgroupParent": "",
        "BlkioWeight": 0,
        "BlkioWeightDevice": null,
        "BlkioDeviceReadBps": null,
        "BlkioDeviceWriteBps": null,
        "BlkioDeviceReadIOps": null,
        "BlkioDeviceWriteIOps": null,
        "CpuRealtimePeriod": 0,
        "CpuRealtimeRuntime": 0,
        "Devices": [],
        "DeviceCgroupRules": null,
        "DeviceRequests": null,
        "KernelMemory": 0,
        "KernelMemoryTCP": 0,
        "MemorySwappiness": null,
        "OomKillDisable": false,
        "CpuCount": 0,
        "CpuPercent": 0,
        "IOMaximumIOps": 0,
        "IOMaximumBandwidth": 0,
        "MaskedPaths": berth_engine::spec::MASKED_PATHS,
        "ReadonlyPaths": berth_engine::spec::READONLY_PATHS,
    })
}

/// `NetworkSettings` fields dockerd always has.
fn network_defaults() -> Value {
    json!({
        "Bridge": "",
        "SandboxID": "",
        "HairpinMode": false,
        "LinkLocalIPv6Address": "",
        "LinkLocalIPv6PrefixLen": 0,
        "Ports": {},
        "SandboxKey": "",
        "SecondaryIPAddresses": null,
        "SecondaryIPv6Addresses": null,
        "EndpointID": "",
        "Gateway": "",
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "IPAddress": "",
        "IPPrefixLen": 0,
        "IPv6Gateway": "",
        "MacAddress": "",
        "Networks": {},
    })
}

/// The fields of an endpoint in `NetworkSettings.Networks`.
fn endpoint_defaults() -> Value {
    json!({
        "IPAMConfig": null,
        "Links": null,
        "Aliases": null,
        "NetworkID": "",
        "EndpointID": "",
        "Gateway": "",
        "IPAddress": "",
        "IPPrefixLen": 0,
        "IPv6Gateway": "",
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "MacAddress": "",
        "DriverOpts": null,
    })
}

/// Adds what is missing from `base` (missing or null keys of `into`), one level deep.
fn fill(into: &mut Value, base: Value) {
    let (Some(into), Value::Object(base)) = (into.as_object_mut(), base) else {
        return;
    };
    for (k, v) in base {
        if into.get(&k).is_none_or(Value::is_null) {
            into.insert(k, v);
        }
    }
}

/// Completes the engine's document: defaults, no `Health` without a healthcheck, no
/// port bindings while stopped, exposed ports listed (unbound) as dockerd lists them.
pub fn complete(v: &mut Value, running: bool) {
    if v["State"]["Health"].is_null() {
        if let Some(st) = v["State"].as_object_mut() {
            st.remove("Health");
        }
    }
    if !v["HostConfig"].is_object() {
        v["HostConfig"] = json!({});
    }
    fill(&mut v["HostConfig"], host_config_defaults());
    // berth's file logs are read back as dockerd reads json-file ones (clients check).
    if v["HostConfig"]["LogConfig"]["Type"] == "k8s-file" {
        v["HostConfig"]["LogConfig"]["Type"] = json!("json-file");
    }
    if !v["NetworkSettings"].is_object() {
        v["NetworkSettings"] = json!({});
    }
    fill(&mut v["NetworkSettings"], network_defaults());
    if !running {
        v["NetworkSettings"]["Ports"] = json!({});
    }
    if let Some(nets) = v["NetworkSettings"]["Networks"].as_object_mut() {
        for ep in nets.values_mut() {
            fill(ep, endpoint_defaults());
        }
    }
    let exposed: Vec<String> = v["Config"]["ExposedPorts"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    if let Some(ports) = v["NetworkSettings"]["Ports"].as_object_mut() {
        for k in exposed {
            ports.entry(k).or_insert(Value::Null);
        }
    }
    fill(
        &mut v["Config"],
        json!({"AttachStdin": false, "AttachStdout": false, "AttachStderr": false,
               "Env": [], "Labels": {}, "OnBuild": null, "Domainname": ""}),
    );
    fill(
        v,
        json!({"ExecIDs": null, "Platform": "linux", "RestartCount": 0}),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_the_document() {
        let mut v = json!({
            "State": {"Status": "exited", "Health": null},
            "HostConfig": {"Memory": 5, "Links": ["x"]},
            "Config": {"ExposedPorts": {"80/tcp": {}}},
            "NetworkSettings": {"Ports": {"80/tcp": [{"HostPort": "1"}]}, "IPAddress": "10.0.0.2"},
        });
        complete(&mut v, false);
        assert!(v["State"].get("Health").is_none());
        assert_eq!(v["HostConfig"]["Memory"], 5);
        assert_eq!(v["HostConfig"]["Links"], json!(["x"]));
        assert_eq!(v["HostConfig"]["Runtime"], "runc");
        assert_eq!(v["NetworkSettings"]["Ports"], json!({"80/tcp": null}));
        assert_eq!(v["NetworkSettings"]["IPAddress"], "10.0.0.2");
        assert_eq!(v["Config"]["AttachStdin"], false);
    }
}
