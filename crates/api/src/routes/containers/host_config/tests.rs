//! The `HostConfig` mapping's unit tests.

use super::*;
use berth_engine::spec::{MountKind, Propagation};
use serde_json::{json, Value};

fn apply(v: Value) -> ApiResult<RunOptions> {
    check_unsupported(&v)?;
    let hc: HostConfig = serde_json::from_value(v).map_err(bad)?;
    let mut o = RunOptions::default();
    hc.apply(&mut o)?;
    Ok(o)
}

#[test]
fn zero_values_pass() {
    // What `docker create busybox` sends (docker 20.10).
    let body = r#"{
        "Binds": null, "ContainerIDFile": "", "LogConfig": {"Type": "", "Config": {}},
        "NetworkMode": "default", "PortBindings": {},
        "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0}, "AutoRemove": false,
        "VolumeDriver": "", "VolumesFrom": null, "CapAdd": null, "CapDrop": null,
        "CgroupnsMode": "", "Dns": [], "DnsOptions": [], "DnsSearch": [], "ExtraHosts": null,
        "GroupAdd": null, "IpcMode": "", "Cgroup": "", "Links": null, "OomScoreAdj": 0,
        "PidMode": "", "Privileged": false, "PublishAllPorts": false, "ReadonlyRootfs": false,
        "SecurityOpt": null, "UTSMode": "", "UsernsMode": "", "ShmSize": 0,
        "ConsoleSize": [0, 0], "Isolation": "", "CpuShares": 0, "Memory": 0, "NanoCpus": 0,
        "CgroupParent": "", "BlkioWeight": 0, "BlkioWeightDevice": [],
        "BlkioDeviceReadBps": null, "CpuPeriod": 0, "CpuQuota": 0, "CpuRealtimePeriod": 0,
        "CpusetCpus": "", "CpusetMems": "", "Devices": [], "DeviceCgroupRules": null,
        "DeviceRequests": null, "KernelMemory": 0, "KernelMemoryTCP": 0,
        "MemoryReservation": 0, "MemorySwap": 0, "MemorySwappiness": -1,
        "OomKillDisable": false, "PidsLimit": null, "Ulimits": null, "CpuCount": 0,
        "CpuPercent": 0, "IOMaximumIOps": 0, "IOMaximumBandwidth": 0,
        "MaskedPaths": null, "ReadonlyPaths": null
    }"#;
    let o = apply(serde_json::from_str(body).unwrap()).unwrap();
    assert_eq!(o, RunOptions::default());
}

#[test]
fn maps_fields() {
    let o = apply(json!({
        "Binds": ["/h:/c:ro", "vol:/v"],
        "Mounts": [{"Type": "bind", "Source": "/a", "Target": "/b", "ReadOnly": true,
                    "BindOptions": {"Propagation": "rslave"}},
                   {"Type": "tmpfs", "Target": "/t",
                    "TmpfsOptions": {"SizeBytes": 1048576, "Mode": 1023}}],
        "Tmpfs": {"/run": "size=64m"},
        "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}],
                         "53/udp": [{"HostIp": "127.0.0.1", "HostPort": ""}],
                         "81/tcp": [{"HostIp": "::1", "HostPort": "9"}],
                         "90/tcp": []},
        "NetworkMode": "mynet",
        "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
        "Memory": 67108864, "MemorySwap": -1, "NanoCpus": 1500000000, "CpuShares": 512,
        "CpusetCpus": "0", "PidsLimit": 50,
        "Ulimits": [{"Name": "nofile", "Soft": 100, "Hard": 200}],
        "CapAdd": ["NET_ADMIN"], "CapDrop": ["MKNOD"], "Init": true,
        "SecurityOpt": ["no-new-privileges", "seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}"],
        "Dns": ["1.1.1.1"], "DnsSearch": ["example.com"], "ExtraHosts": ["db:10.0.0.2"],
        "Devices": [{"PathOnHost": "/dev/null", "PathInContainer": "", "CgroupPermissions": ""}],
        "GroupAdd": ["audio"], "ShmSize": 1048576, "Sysctls": {"net.ipv4.ip_forward": "1"},
        "ReadonlyRootfs": true, "OomScoreAdj": 100,
        "LogConfig": {"Type": "json-file", "Config": {"max-size": "1m"}},
    }))
    .unwrap();
    assert_eq!(o.mounts.len(), 5);
    assert_eq!(
        (o.mounts[0].kind, o.mounts[0].read_only),
        (MountKind::Bind, true)
    );
    assert_eq!(o.mounts[1].kind, MountKind::Volume);
    assert_eq!(o.mounts[2].bind_propagation, Some(Propagation::RSlave));
    assert_eq!(o.mounts[3].tmpfs_mode, Some(0o1777));
    assert_eq!(o.mounts[4].tmpfs_size, Some(64 << 20));
    let mut publish = o.publish.clone();
    publish.sort();
    assert_eq!(
        publish,
        ["127.0.0.1::53/udp", "8080:80/tcp", "[::1]:9:81/tcp"]
    );
    assert_eq!(o.expose, ["90/tcp"]);
    assert_eq!(o.network, NetworkMode::Named("mynet".into()));
    assert_eq!(o.restart, RestartPolicy::OnFailure { max_retries: 3 });
    assert_eq!((o.memory, o.memory_swap), (Some(64 << 20), Some(-1)));
    assert_eq!(o.cpus, Some(1.5));
    assert_eq!((o.cpu_shares, o.pids_limit), (Some(512), Some(50)));
    assert_eq!((o.ulimits[0].soft, o.ulimits[0].hard), (100, 200));
    assert!(o.init && o.read_only && o.security.no_new_privileges);
    assert!(matches!(o.security.seccomp, Seccomp::Profile(_)));
    assert_eq!(o.devices[0].path_in_container, "/dev/null");
    assert_eq!(o.add_host[0].name, "db");
    assert_eq!(o.shm_size, Some(1 << 20));
    assert_eq!(o.oom_score_adj, 100);
    assert_eq!(o.log.driver.as_deref(), Some("json-file"));
}

#[test]
fn refusals() {
    let err = |v: Value| apply(v).unwrap_err();
    assert!(err(json!({"PidMode": "host"})).message.contains("PidMode"));
    assert!(err(json!({"Links": ["a:b"]})).message.contains("Links"));
    assert!(err(json!({"BlkioWeight": 10}))
        .message
        .contains("BlkioWeight"));
    assert!(apply(json!({"IpcMode": "private", "Runtime": "runc"})).is_ok());
    assert_eq!(err(json!({"Memory": -5})).status, 400);
    assert_eq!(err(json!({"Memory": "lots"})).status, 400);
    assert_eq!(err(json!({"MemorySwappiness": 101})).status, 400);
    assert_eq!(err(json!({"Binds": ["rel:/x:zz"]})).status, 400);
    assert_eq!(
        err(json!({"Mounts": [{"Type": "npipe", "Target": "/x"}]})).status,
        400
    );
    assert_eq!(
        err(json!({"Mounts": [{"Type": "bind", "Target": "/x"}]})).status,
        400
    );
    assert_eq!(
        err(json!({"RestartPolicy": {"Name": "sometimes"}})).status,
        400
    );
    assert!(
        err(json!({"AutoRemove": true, "RestartPolicy": {"Name": "always"}}))
            .message
            .contains("AutoRemove")
    );
    assert!(err(json!({"SecurityOpt": ["seccomp=/etc/profile.json"]}))
        .message
        .contains("inline"));
    assert_eq!(err(json!({"NanoCpus": 1, "CpuQuota": 5})).status, 400);
    let o = apply(json!({"NetworkMode": "host", "PortBindings": {"80/tcp": [{"HostPort": "1"}]}}))
        .unwrap();
    assert!(o.publish.is_empty());
}
