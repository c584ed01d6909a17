//! `GET /info`: the engine and its host in dockerd's `SystemInfo` shape, from the engine's
//! `info` (counts, kernel, cgroups, memory) plus the fields berth answers the same way on
//! every host (storage driver, plugins, swarm, registry configuration).

use std::fs;
use std::time::SystemTime;

use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::error::ApiResult;
use crate::http::{Reply, Request};
use crate::routes::encode::{rfc3339, stable_hex};
use crate::version::ENGINE_VERSION;

/// The info route.
pub fn route(ctx: &Ctx, req: &mut Request, segs: &[&str]) -> Option<ApiResult<Reply>> {
    Some(match (req.method.as_str(), segs) {
        ("GET", ["info"]) => info(ctx),
        _ => return None,
    })
}

/// `GET /info`.
fn info(ctx: &Ctx) -> ApiResult<Reply> {
    let e = ctx.engine()?;
    let i = e.info()?;
    let cgroup_v1 = i.cgroup_version == "1";
    let v1_has = |f: &str| fs::metadata(format!("/sys/fs/cgroup/memory/{f}")).is_ok();
    let swap_limit = !cgroup_v1 || v1_has("memory.memsw.limit_in_bytes");
    let mut warnings = Vec::new();
    if !swap_limit {
        warnings.push("WARNING: No swap limit support".to_string());
    }
    let forwarding = sysctl("net/ipv4/ip_forward");
    if !forwarding {
        warnings.push("WARNING: IPv4 forwarding is disabled".to_string());
    }
    let exe = ctx.exe.display().to_string();
    let mut security = vec!["name=seccomp,profile=builtin".to_string()];
    if !cgroup_v1 {
        security.push("name=cgroupns".into());
    }
    let commit = json!({"ID": crate::routes::system::GIT_COMMIT, "Expected": crate::routes::system::GIT_COMMIT});
    let empty_commit = json!({"ID": "", "Expected": ""});
    let mut doc = json!({
        "ID": engine_id(&i.docker_root_dir),
        "Containers": i.containers,
        "ContainersRunning": i.containers_running,
        "ContainersPaused": i.containers_paused,
        "ContainersStopped": i.containers_stopped,
        "Images": i.images,
        "Driver": "overlay2",
        "DriverStatus": [
            ["Backing Filesystem", backing_fs(&i.docker_root_dir)],
            ["Supports d_type", "true"],
            ["Native Overlay Diff", "true"],
            ["userxattr", "false"],
        ],
        "Plugins": {
            "Volume": ["local"],
            "Network": ["bridge", "host", "null"],
            "Authorization": null,
            "Log": ["json-file", "k8s-file"],
        },
        "MemoryLimit": true,
        "SwapLimit": swap_limit,
        "KernelMemory": false,
        "KernelMemoryTCP": false,
        "CpuCfsPeriod": true,
        "CpuCfsQuota": true,
        "CPUShares": true,
        "CPUSet": true,
        "PidsLimit": true,
        "IPv4Forwarding": forwarding,
        "BridgeNfIptables": sysctl("net/bridge/bridge-nf-call-iptables"),
        "BridgeNfIp6tables": sysctl("net/bridge/bridge-nf-call-ip6tables"),
        "Debug": false,
        "NFd": fs::read_dir("/proc/self/fd").map_or(0, |d| d.count()),
        "OomKillDisable": cgroup_v1,
        "NGoroutines": threads(),
    });
    let host = json!({
        "SystemTime": rfc3339(SystemTime::now()),
        "LoggingDriver": i.logging_driver,
        "CgroupDriver": i.cgroup_driver,
        "CgroupVersion": i.cgroup_version,
        "NEventsListener": 0,
        "KernelVersion": i.kernel_version,
        "OperatingSystem": i.operating_system,
        "OSVersion": os_version(),
        "OSType": i.os_type,
        "Architecture": i.architecture,
        "IndexServerAddress": "https://index.docker.io/v1/",
        "RegistryConfig": {
            "AllowNondistributableArtifactsCIDRs": [],
            "AllowNondistributableArtifactsHostnames": [],
            "InsecureRegistryCIDRs": ["127.0.0.0/8"],
            "IndexConfigs": {
                "docker.io": {"Name": "docker.io", "Mirrors": [], "Secure": true, "Official": true},
            },
            "Mirrors": [],
        },
        "NCPU": i.ncpu,
        "MemTotal": i.mem_total,
        "GenericResources": null,
        "DockerRootDir": i.docker_root_dir,
        "HttpProxy": std::env::var("HTTP_PROXY").unwrap_or_default(),
        "HttpsProxy": std::env::var("HTTPS_PROXY").unwrap_or_default(),
        "NoProxy": std::env::var("NO_PROXY").unwrap_or_default(),
        "Name": i.name,
        "Labels": [],
        "ExperimentalBuild": false,
        "ServerVersion": ENGINE_VERSION,
        "Runtimes": {
            "berth": {"path": exe},
            "runc": {"path": exe},
        },
        "DefaultRuntime": "berth",
        "Swarm": {
            "NodeID": "",
            "NodeAddr": "",
            "LocalNodeState": "inactive",
            "ControlAvailable": false,
            "Error": "",
            "RemoteManagers": null,
        },
        "LiveRestoreEnabled": true,
        "Isolation": "",
        "InitBinary": "",
        "ContainerdCommit": empty_commit,
        "RuncCommit": commit,
        "InitCommit": empty_commit,
        "SecurityOptions": security,
        "ProductLicense": "",
        "DefaultAddressPools": [],
        "Warnings": warnings,
        "BerthVersion": env!("CARGO_PKG_VERSION"),
        "BerthRunDir": i.run_dir,
    });
    if let (Some(d), Value::Object(h)) = (doc.as_object_mut(), host) {
        d.extend(h);
    }
    Reply::ok(doc)
}

/// A stable engine ID in dockerd's shape (`XXXX:XXXX:...`, 12 groups), derived from the
/// machine and the state root.
fn engine_id(root: &str) -> String {
    let machine = fs::read_to_string("/etc/machine-id").unwrap_or_default();
    let hex = stable_hex(&format!("{}:{root}", machine.trim()), 48).to_ascii_uppercase();
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

/// Whether a boolean sysctl under /proc/sys is 1.
fn sysctl(name: &str) -> bool {
    fs::read_to_string(format!("/proc/sys/{name}")).is_ok_and(|v| v.trim() == "1")
}

/// Threads of the service process (dockerd reports its goroutines).
fn threads() -> usize {
    fs::read_dir("/proc/self/task").map_or(1, |d| d.count())
}

/// VERSION_ID from os-release.
fn os_version() -> String {
    let text = fs::read_to_string("/etc/os-release").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("VERSION_ID="))
        .map(|v| v.trim().trim_matches('"').to_string())
        .unwrap_or_default()
}

/// The filesystem under the state root, as dockerd names it (`extfs`, `xfs`, ...), from
/// the mount table: the longest mount point that contains `root`.
fn backing_fs(root: &str) -> String {
    let mounts = fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let best = mounts
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (at, kind) = (*f.get(1)?, *f.get(2)?);
            let inside = root == at
                || at == "/"
                || root.starts_with(&format!("{}/", at.trim_end_matches('/')));
            inside.then_some((at.len(), kind))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, k)| k)
        .unwrap_or("unknown");
    match best {
        "ext2" | "ext3" | "ext4" => "extfs".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_docker_shaped() {
        let id = engine_id("/var/lib/berth");
        assert_eq!(id.split(':').count(), 12);
        assert_eq!(id, engine_id("/var/lib/berth"));
        assert!(!backing_fs("/").is_empty());
        let _: Value = json!(threads());
    }
}
