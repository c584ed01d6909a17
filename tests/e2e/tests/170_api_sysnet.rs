//! The Docker Engine API service's system, network, volume and container-view routes,
//! through Debian's docker CLI and raw requests: `docker info`, `system df`, `events`,
//! `network ...`, `volume ...`, `cp`, `export`, `diff`, `top`, `stats --no-stream`.

use std::fs;
use std::time::{SystemTime, UNIX_EPOCH};

use berth_e2e::api::Api;

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A raw request's path with `filters` URL-encoded.
fn with_filters(path: &str, filters: &str) -> String {
    let enc: String = filters
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("{path}?filters={enc}")
}

#[test]
fn info_df_and_events() {
    let Some(api) = Api::new("api-sysnet-system") else {
        return;
    };
    api.berth.busybox_image("bb");
    let out = api
        .docker(&[
            "info",
            "--format",
            "{{.Driver}} {{.OSType}} {{.Swarm.LocalNodeState}} {{.Images}}",
        ])
        .ok();
    assert_eq!(out.out().trim(), "overlay2 linux inactive 1", "{out}");
    let out = api.docker(&["info"]).ok();
    assert!(out.out().contains("Server Version"), "{out}");
    let (status, info) = api.request_json("GET", "/info", None);
    assert_eq!(status, 200, "{info}");
    assert!(info["NCPU"].as_u64().unwrap_or(0) >= 1, "{info}");
    assert!(info["MemTotal"].as_u64().unwrap_or(0) > 0, "{info}");
    assert!(
        info["Runtimes"][info["DefaultRuntime"].as_str().unwrap_or("")].is_object(),
        "{info}"
    );

    let since = now_secs().saturating_sub(1).to_string();
    api.berth
        .cmd(&["run", "-d", "--name", "ev1", "bb", "sleep", "300"])
        .ok();
    api.berth.cmd(&["volume", "create", "evvol"]).ok();
    let until = (now_secs() + 1).to_string();
    let out = api
        .docker(&[
            "events",
            "--since",
            &since,
            "--until",
            &until,
            "--filter",
            "type=container",
            "--format",
            "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}",
        ])
        .ok();
    assert!(out.out().contains("container start ev1"), "{out}");
    assert!(!out.out().contains("volume"), "{out}");
    let out = api
        .docker(&[
            "events",
            "--since",
            &since,
            "--until",
            &until,
            "--filter",
            "type=volume",
            "--filter",
            "event=create",
        ])
        .ok();
    assert!(out.out().contains("volume create evvol"), "{out}");

    // Following: events that come while the stream is open, until `--until`.
    let since = now_secs().to_string();
    let until = (now_secs() + 4).to_string();
    std::thread::scope(|s| {
        let follow = s.spawn(|| {
            api.docker(&[
                "events",
                "--since",
                &since,
                "--until",
                &until,
                "--filter",
                "type=volume",
                "--format",
                "{{.Action}} {{.Actor.ID}}",
            ])
        });
        std::thread::sleep(std::time::Duration::from_millis(1500));
        api.berth.cmd(&["volume", "create", "livevol"]).ok();
        let out = follow.join().expect("docker events").ok();
        assert!(out.out().contains("create livevol"), "{out}");
    });

    let out = api.docker(&["system", "df"]).ok();
    assert!(
        out.out().contains("Images") && out.out().contains("Local Volumes"),
        "{out}"
    );
    let out = api
        .docker(&[
            "system",
            "df",
            "--format",
            "{{.Type}} {{.TotalCount}} {{.Active}}",
        ])
        .ok();
    assert!(out.out().contains("Containers 1 1"), "{out}");
    assert!(out.out().contains("Local Volumes 2 0"), "{out}");
    let (status, df) = api.request_json("GET", "/system/df", None);
    assert_eq!(status, 200, "{df}");
    assert!(df["LayersSize"].as_u64().unwrap_or(0) > 0, "{df}");

    let (status, body) =
        api.request_json("GET", &with_filters("/events", r#"{"bogus":["x"]}"#), None);
    assert_eq!(status, 400, "{body}");
    let (status, body) = api.request_json("GET", &with_filters("/events", "[1"), None);
    assert_eq!(status, 400, "{body}");
    let (status, body) = api.request_json("GET", "/events?since=yesterday", None);
    assert_eq!(status, 400, "{body}");
    api.berth.cmd(&["rm", "-f", "ev1"]).ok();
}

#[test]
fn networks() {
    let Some(api) = Api::new("api-sysnet-net") else {
        return;
    };
    api.berth.busybox_image("bb");
    let out = api
        .docker(&[
            "network",
            "create",
            "--subnet",
            "10.231.7.0/24",
            "--gateway",
            "10.231.7.1",
            "--label",
            "tier=web",
            "snet1",
        ])
        .ok();
    let id = out.out().trim().to_string();
    assert_eq!(id.len(), 64, "{out}");
    let out = api
        .docker(&[
            "network",
            "ls",
            "--filter",
            "label=tier=web",
            "--format",
            "{{.Name}}",
        ])
        .ok();
    assert_eq!(out.out().trim(), "snet1", "{out}");
    let out = api.docker(&["network", "ls", "--format", "{{.Name}}"]).ok();
    for n in ["bridge", "host", "none", "snet1"] {
        assert!(out.lines().iter().any(|l| l == n), "{n}: {out}");
    }
    let out = api
        .docker(&[
            "network",
            "inspect",
            "snet1",
            "--format",
            "{{.Driver}} {{(index .IPAM.Config 0).Subnet}} {{.Scope}}",
        ])
        .ok();
    assert_eq!(out.out().trim(), "bridge 10.231.7.0/24 local", "{out}");

    api.berth
        .cmd(&["run", "-d", "--name", "nc1", "bb", "sleep", "300"])
        .ok();
    api.docker(&[
        "network",
        "connect",
        "--alias",
        "web",
        "--ip",
        "10.231.7.9",
        "snet1",
        "nc1",
    ])
    .ok();
    let (status, net) = api.request_json("GET", "/networks/snet1", None);
    assert_eq!(status, 200, "{net}");
    let ctrs = net["Containers"].as_object().cloned().unwrap_or_default();
    assert_eq!(ctrs.len(), 1, "{net}");
    let ep = ctrs.values().next().unwrap();
    assert_eq!(ep["Name"], "nc1", "{net}");
    assert_eq!(ep["IPv4Address"], "10.231.7.9/24", "{net}");
    let out = api.berth.cmd(&["exec", "nc1", "ip", "addr"]).ok();
    assert!(out.out().contains("10.231.7.9"), "{out}");

    // In use: 403 as dockerd; predefined: 403; unknown: 404; duplicate: 409; IPv6: 400.
    let (status, body) = api.request_json("DELETE", "/networks/snet1", None);
    assert_eq!(status, 403, "{body}");
    let (status, body) = api.request_json("DELETE", "/networks/bridge", None);
    assert_eq!(status, 403, "{body}");
    let (status, body) = api.request_json("GET", "/networks/nosuchnet", None);
    assert_eq!(status, 404, "{body}");
    let (status, body) = api.request_json("POST", "/networks/create", Some(r#"{"Name":"snet1"}"#));
    assert_eq!(status, 409, "{body}");
    let (status, body) = api.request_json(
        "POST",
        "/networks/create",
        Some(r#"{"Name":"snet6","EnableIPv6":true}"#),
    );
    assert_eq!(status, 400, "{body}");
    let (status, body) = api.request_json("POST", "/networks/create", Some("{not json"));
    assert_eq!(status, 400, "{body}");
    let (status, body) = api.request_json(
        "GET",
        &with_filters("/networks", r#"{"color":["red"]}"#),
        None,
    );
    assert_eq!(status, 400, "{body}");

    api.docker(&["network", "disconnect", "snet1", "nc1"]).ok();
    let out = api.berth.cmd(&["exec", "nc1", "ip", "addr"]).ok();
    assert!(!out.out().contains("10.231.7.9"), "{out}");
    api.docker(&["network", "rm", "snet1"]).ok();
    api.docker(&["network", "inspect", "snet1"]).fails();

    api.docker(&["network", "create", "snet2"]).ok();
    let out = api.docker(&["network", "prune", "-f"]).ok();
    assert!(out.out().contains("snet2"), "{out}");
    let out = api.docker(&["network", "ls", "--format", "{{.Name}}"]).ok();
    assert!(!out.out().contains("snet2"), "{out}");
    api.berth.cmd(&["rm", "-f", "nc1"]).ok();
}

#[test]
fn volumes() {
    let Some(api) = Api::new("api-sysnet-vol") else {
        return;
    };
    api.berth.busybox_image("bb");
    let out = api
        .docker(&["volume", "create", "--label", "k=v", "svol1"])
        .ok();
    assert_eq!(out.out().trim(), "svol1", "{out}");
    api.docker(&["volume", "create", "svol2"]).ok();
    let out = api
        .docker(&[
            "volume",
            "ls",
            "--filter",
            "label=k=v",
            "--format",
            "{{.Name}}",
        ])
        .ok();
    assert_eq!(out.out().trim(), "svol1", "{out}");
    let out = api
        .docker(&[
            "volume",
            "inspect",
            "svol1",
            "--format",
            "{{.Driver}} {{.Labels.k}}",
        ])
        .ok();
    assert_eq!(out.out().trim(), "local v", "{out}");
    let (status, body) = api.request_json("POST", "/volumes/create", Some("{}"));
    assert_eq!(status, 201, "{body}");
    let anon = body["Name"].as_str().unwrap_or_default().to_string();
    assert_eq!(anon.len(), 64, "{body}");

    api.berth
        .cmd(&[
            "run",
            "-d",
            "--name",
            "vc1",
            "-v",
            "svol1:/data",
            "bb",
            "sleep",
            "300",
        ])
        .ok();
    let out = api
        .docker(&[
            "volume",
            "ls",
            "--filter",
            "dangling=true",
            "--format",
            "{{.Name}}",
        ])
        .ok();
    assert!(
        !out.out().contains("svol1") && out.out().contains("svol2"),
        "{out}"
    );
    let (status, body) = api.request_json("DELETE", "/volumes/svol1", None);
    assert_eq!(status, 409, "{body}");
    let (status, body) = api.request_json("GET", "/volumes/nosuchvol", None);
    assert_eq!(status, 404, "{body}");
    let (status, body) = api.request_json("DELETE", "/volumes/nosuchvol", None);
    assert_eq!(status, 404, "{body}");
    let (status, _) = api.request_json("DELETE", "/volumes/nosuchvol?force=1", None);
    assert_eq!(status, 204);
    let (status, body) = api.request_json(
        "GET",
        &with_filters("/volumes", r#"{"dangling":["maybe"]}"#),
        None,
    );
    assert_eq!(status, 400, "{body}");
    let (status, body) =
        api.request_json("GET", &with_filters("/volumes", r#"{"size":["1"]}"#), None);
    assert_eq!(status, 400, "{body}");

    api.docker(&["volume", "rm", "svol2"]).ok();
    let out = api.docker(&["volume", "prune", "-f"]).ok();
    assert!(out.out().contains(&anon), "{out}");
    let out = api.docker(&["volume", "ls", "--format", "{{.Name}}"]).ok();
    assert_eq!(out.out().trim(), "svol1", "{out}");
    api.berth.cmd(&["rm", "-f", "vc1"]).ok();
}

#[test]
fn container_files_and_processes() {
    let Some(api) = Api::new("api-sysnet-files") else {
        return;
    };
    api.berth.busybox_image("bb");
    api.berth
        .cmd(&[
            "run",
            "-d",
            "--name",
            "fc1",
            "-v",
            "fvol:/vol",
            "bb",
            "sh",
            "-c",
            "echo v > /vol/inside; echo hi > /made; sleep 300",
        ])
        .ok();
    let host = api.berth.host_dir("cp");
    let h = |p: &str| host.join(p).display().to_string();

    // Out of the container: a file, then a directory.
    for _ in 0..50 {
        if api.docker(&["cp", "fc1:/made", &h("made")]).success() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        fs::read_to_string(host.join("made")).unwrap_or_default(),
        "hi\n"
    );
    api.docker(&["cp", "fc1:/vol/inside", &h("inside")]).ok();
    assert_eq!(
        fs::read_to_string(host.join("inside")).unwrap_or_default(),
        "v\n"
    );
    api.docker(&["cp", "fc1:/etc", &h("etc-copy")]).ok();
    assert!(host.join("etc-copy").is_dir());
    // Into the container: a file under a new name, and a directory.
    fs::write(host.join("in.txt"), "from host\n").unwrap();
    api.docker(&["cp", &h("in.txt"), "fc1:/tmp/renamed.txt"])
        .ok();
    let out = api
        .berth
        .cmd(&["exec", "fc1", "cat", "/tmp/renamed.txt"])
        .ok();
    assert_eq!(out.out().trim(), "from host", "{out}");
    fs::create_dir_all(host.join("dir/sub")).unwrap();
    fs::write(host.join("dir/sub/f"), "x").unwrap();
    api.docker(&["cp", &h("dir"), "fc1:/tmp/"]).ok();
    api.berth
        .cmd(&["exec", "fc1", "test", "-f", "/tmp/dir/sub/f"])
        .ok();
    api.docker(&["cp", "fc1:/no/such/file", &h("nothing")])
        .fails();

    // Raw: HEAD gives the stat header; a missing path is a 404; no path a 400.
    let (status, _) = api.request("HEAD", "/containers/fc1/archive?path=/etc", None);
    assert_eq!(status, 200);
    let (status, body) = api.request_json("GET", "/containers/fc1/archive?path=/nope", None);
    assert_eq!(status, 404, "{body}");
    let (status, body) = api.request_json("GET", "/containers/fc1/archive", None);
    assert_eq!(status, 400, "{body}");
    let (status, body) = api.request_json("GET", "/containers/nosuchctr/changes", None);
    assert_eq!(status, 404, "{body}");

    // diff, export, top, stats.
    let out = api.docker(&["diff", "fc1"]).ok();
    assert!(out.lines().iter().any(|l| l == "A /made"), "{out}");
    assert!(out.lines().iter().any(|l| l == "C /tmp"), "{out}");
    assert!(
        out.lines().iter().any(|l| l == "A /tmp/renamed.txt"),
        "{out}"
    );
    let tar = host.join("export.tar");
    api.docker(&["export", "-o", &tar.display().to_string(), "fc1"])
        .ok();
    let listing = std::process::Command::new("tar")
        .arg("-tf")
        .arg(&tar)
        .output()
        .expect("tar -tf");
    let names = String::from_utf8_lossy(&listing.stdout);
    assert!(
        names.lines().any(|l| l.trim_start_matches("./") == "made"),
        "{names}"
    );
    assert!(
        !names.lines().any(|l| l.contains("inside")),
        "export leaves volumes out: {names}"
    );
    assert!(
        names
            .lines()
            .any(|l| l.trim_start_matches("./").starts_with("bin/")),
        "{names}"
    );
    let out = api.docker(&["top", "fc1"]).ok();
    assert!(
        out.out().contains("PID") && out.out().contains("sleep 300"),
        "{out}"
    );
    let out = api.docker(&["top", "fc1", "-o", "pid,comm"]).ok();
    assert!(
        out.out().contains("COMMAND") && out.out().contains("sleep"),
        "{out}"
    );
    let out = api
        .docker(&[
            "stats",
            "--no-stream",
            "--format",
            "{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}",
            "fc1",
        ])
        .ok();
    let line = out.out().trim().to_string();
    assert!(line.starts_with("fc1 "), "{out}");
    assert!(line.contains('%') && line.contains(" / "), "{out}");
    assert!(!line.contains(" 0B / 0B"), "{out}");
    let (status, st) = api.request_json(
        "GET",
        "/containers/fc1/stats?stream=false&one-shot=true",
        None,
    );
    assert_eq!(status, 200, "{st}");
    assert!(
        st["memory_stats"]["usage"].as_u64().unwrap_or(0) > 0,
        "{st}"
    );
    assert!(
        st["pids_stats"]["current"].as_u64().unwrap_or(0) >= 1,
        "{st}"
    );
    api.berth.cmd(&["stop", "-t", "1", "fc1"]).ok();
    let (status, body) = api.request_json("GET", "/containers/fc1/top", None);
    assert_eq!(status, 409, "{body}");
    api.berth.cmd(&["rm", "-f", "fc1"]).ok();
}
