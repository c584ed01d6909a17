//! The Docker Engine API's container routes through Debian's docker CLI (create, run -d,
//! ps, inspect, the lifecycle, update, wait, rm, prune) and raw requests for the status
//! codes (400, 404, 409, 304). Containers made through the API and with the berth CLI are
//! the same containers.

use std::time::Duration;

use berth_e2e::api::Api;

/// `docker inspect -f FORMAT NAME`, trimmed.
fn inspect(api: &Api, format: &str, name: &str) -> String {
    api.docker(&["inspect", "-f", format, name])
        .ok()
        .out()
        .to_string()
}

#[test]
fn create_inspect_ps_and_lifecycle() {
    let Some(api) = Api::new("api-ctr-life") else {
        return;
    };
    api.berth.busybox_image("bbx");
    let host = api.berth.host_dir("share");
    std::fs::write(host.join("f.txt"), "from host\n").unwrap();
    let bind = format!("{}:/h:ro", host.display());
    let id = api
        .docker(&[
            "create",
            "--name",
            "c1",
            "-e",
            "FOO=bar",
            "-u",
            "1000",
            "-w",
            "/tmp",
            "-l",
            "app=web",
            "--memory",
            "64m",
            "--restart",
            "on-failure:2",
            "-p",
            "18080:80",
            "-v",
            &bind,
            "bbx",
            "sleep",
            "300",
        ])
        .ok()
        .out()
        .to_string();
    assert_eq!(id.len(), 64, "{id}");
    assert_eq!(
        inspect(
            &api,
            "{{.Name}} {{.State.Status}} {{.Config.User}} {{.Config.WorkingDir}} {{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}",
            "c1"
        ),
        "/c1 created 1000 /tmp 67108864 on-failure 2"
    );
    assert!(inspect(&api, "{{json .Config.Env}}", "c1").contains("FOO=bar"));
    assert_eq!(
        inspect(&api, "{{index .Config.Labels \"app\"}}", "c1"),
        "web"
    );
    let ps = api
        .docker(&[
            "ps",
            "-a",
            "--filter",
            "name=c1",
            "--format",
            "{{.Names}} {{.Status}}",
        ])
        .ok();
    assert_eq!(ps.out(), "c1 Created", "{ps}");
    // Not running: `docker ps` (no -a) does not list it.
    assert_eq!(api.docker(&["ps", "-q"]).ok().out(), "");

    api.docker(&["start", "c1"]).ok();
    let ps = api
        .docker(&["ps", "--format", "{{.Names}}|{{.Status}}|{{.Ports}}"])
        .ok();
    assert!(ps.out().starts_with("c1|Up "), "{ps}");
    assert!(ps.out().contains("0.0.0.0:18080->80/tcp"), "{ps}");
    let state = inspect(&api, "{{.State.Running}} {{.State.Pid}}", "c1");
    let (running, pid) = state.split_once(' ').unwrap();
    assert_eq!(running, "true", "{state}");
    assert!(pid.parse::<i32>().unwrap() > 0, "{state}");
    assert_eq!(
        inspect(
            &api,
            "{{(index (index .NetworkSettings.Ports \"80/tcp\") 0).HostPort}}",
            "c1"
        ),
        "18080"
    );
    // The berth CLI sees the same container, and reads the bind mount in it.
    let bps = api.berth.cmd(&["ps", "--format", "{{.Names}}"]).ok();
    assert_eq!(bps.out(), "c1", "{bps}");
    let cat = api.berth.cmd(&["exec", "c1", "cat", "/h/f.txt"]).ok();
    assert_eq!(cat.out(), "from host");

    api.docker(&["pause", "c1"]).ok();
    let ps = api.docker(&["ps", "--format", "{{.Status}}"]).ok();
    assert!(ps.out().ends_with("(Paused)"), "{ps}");
    api.docker(&["unpause", "c1"]).ok();

    api.docker(&["rename", "c1", "c2"]).ok();
    assert_eq!(
        api.berth.cmd(&["ps", "--format", "{{.Names}}"]).ok().out(),
        "c2"
    );
    api.docker(&["update", "--restart", "always", "--cpu-shares", "512", "c2"])
        .ok();
    assert_eq!(
        inspect(
            &api,
            "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.CpuShares}}",
            "c2"
        ),
        "always 512"
    );

    api.docker(&["restart", "-t", "1", "c2"]).ok();
    assert_eq!(inspect(&api, "{{.State.Status}}", "c2"), "running");
    api.docker(&["stop", "-t", "1", "c2"]).ok();
    assert_eq!(inspect(&api, "{{.State.Status}}", "c2"), "exited");
    let ps = api
        .docker(&[
            "ps",
            "-a",
            "--filter",
            "status=exited",
            "--format",
            "{{.Names}} {{.Status}}",
        ])
        .ok();
    assert!(ps.out().starts_with("c2 Exited ("), "{ps}");
    api.docker(&["rm", "c2"]).ok();
    assert_eq!(api.docker(&["ps", "-a", "-q"]).ok().out(), "");
}

#[test]
fn run_detached_wait_rm_and_prune() {
    let Some(api) = Api::new("api-ctr-run") else {
        return;
    };
    api.berth.busybox_image("bbx");
    // `docker wait` gives the exit code; the exited filter finds it.
    api.docker(&["run", "-d", "--name", "w1", "bbx", "sh", "-c", "exit 3"])
        .ok();
    assert_eq!(api.docker(&["wait", "w1"]).ok().out(), "3");
    let ps = api
        .docker(&["ps", "-a", "--filter", "exited=3", "--format", "{{.Names}}"])
        .ok();
    assert_eq!(ps.out(), "w1", "{ps}");
    // kill: 137 after SIGKILL.
    api.docker(&["run", "-d", "--name", "k1", "bbx", "sleep", "300"])
        .ok();
    api.docker(&["kill", "k1"]).ok();
    assert_eq!(api.docker(&["wait", "k1"]).ok().out(), "137");
    // next-exit with a restart policy: the next exit, though it is running again.
    api.docker(&[
        "run",
        "-d",
        "--name",
        "ra",
        "--restart",
        "always",
        "bbx",
        "sh",
        "-c",
        "sleep 1; exit 5",
    ])
    .ok();
    let (st, body) = api.request_json("POST", "/containers/ra/wait?condition=next-exit", None);
    assert_eq!((st, body["StatusCode"].as_i64()), (200, Some(5)), "{body}");
    api.docker(&["rm", "-f", "ra"]).ok();
    // --rm: gone once it exits.
    api.docker(&["run", "-d", "--rm", "--name", "r1", "bbx", "true"])
        .ok();
    let gone = berth_e2e::wait_until(Duration::from_secs(20), || {
        api.docker(&["ps", "-a", "-q", "--filter", "name=r1"])
            .out()
            .is_empty()
    });
    assert!(gone, "the --rm container is still there");
    // A user network, an alias and a named volume.
    api.berth.cmd(&["network", "create", "n1"]).ok();
    api.docker(&[
        "run",
        "-d",
        "--name",
        "net1",
        "--network",
        "n1",
        "--network-alias",
        "web",
        "-v",
        "vol1:/data",
        "bbx",
        "sleep",
        "300",
    ])
    .ok();
    let ip = inspect(&api, "{{.NetworkSettings.Networks.n1.IPAddress}}", "net1");
    assert!(ip.parse::<std::net::Ipv4Addr>().is_ok(), "{ip}");
    let ps = api
        .docker(&[
            "ps",
            "--filter",
            "network=n1",
            "--filter",
            "volume=vol1",
            "--format",
            "{{.Names}} {{.Networks}} {{.Mounts}}",
        ])
        .ok();
    assert_eq!(ps.out(), "net1 n1 vol1", "{ps}");
    api.docker(&["rm", "-f", "net1"]).ok();
    // A container the berth CLI made is in docker's list; prune removes the stopped ones.
    api.berth
        .cmd(&["create", "--name", "b1", "bbx", "true"])
        .ok();
    let names = api.docker(&["ps", "-a", "--format", "{{.Names}}"]).ok();
    assert!(names.lines().contains(&"b1".to_string()), "{names}");
    api.docker(&["run", "-d", "--name", "live", "bbx", "sleep", "300"])
        .ok();
    let pruned = api.docker(&["container", "prune", "-f"]).ok();
    assert!(pruned.out().contains("Deleted Containers:"), "{pruned}");
    let left = api.docker(&["ps", "-a", "--format", "{{.Names}}"]).ok();
    assert_eq!(left.out(), "live", "{left}");
    api.docker(&["rm", "-f", "live"]).ok();
}

#[test]
fn raw_requests_status_codes() {
    let Some(api) = Api::new("api-ctr-raw") else {
        return;
    };
    api.berth.busybox_image("bbx");
    let (st, body) = api.request_json("POST", "/containers/create", Some("{"));
    assert_eq!(st, 400, "{body}");
    let (st, body) = api.request_json("POST", "/containers/create", Some(r#"{"Image": "nope"}"#));
    assert_eq!(st, 404, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("No such image"),
        "{body}"
    );
    let (st, body) = api.request_json(
        "POST",
        "/containers/create",
        Some(r#"{"Image": "bbx", "HostConfig": {"PidMode": "host"}}"#),
    );
    assert_eq!(st, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap_or("").contains("PidMode"),
        "{body}"
    );
    let (st, body) = api.request_json(
        "POST",
        "/containers/create?name=x1",
        Some(r#"{"Image": "bbx", "Cmd": ["sleep", "300"], "Labels": {"k": "v"}}"#),
    );
    assert_eq!(st, 201, "{body}");
    assert_eq!(body["Warnings"], serde_json::json!([]));
    let id = body["Id"].as_str().unwrap().to_string();
    let (st, body) = api.request_json(
        "POST",
        "/containers/create?name=x1",
        Some(r#"{"Image": "bbx"}"#),
    );
    assert_eq!(st, 409, "{body}");
    let (st, _) = api.request("POST", "/containers/x1/start", None);
    assert_eq!(st, 204);
    let (st, _) = api.request("POST", "/containers/x1/start", None);
    assert_eq!(st, 304);
    let (st, body) = api.request_json("DELETE", "/containers/x1", None);
    assert_eq!(st, 409, "{body}");
    // The list's shape.
    let (st, list) = api.request_json("GET", "/containers/json", None);
    assert_eq!(st, 200, "{list}");
    let c = &list[0];
    assert_eq!(c["Id"], id.as_str());
    assert_eq!(c["Names"], serde_json::json!(["/x1"]));
    assert_eq!(
        (c["State"].as_str(), c["Labels"]["k"].as_str()),
        (Some("running"), Some("v"))
    );
    assert!(c["Created"].as_i64().unwrap_or(0) > 0, "{c}");
    assert!(c["Status"].as_str().unwrap_or("").starts_with("Up "), "{c}");
    assert_eq!(c["HostConfig"]["NetworkMode"], "bridge");
    // Filters: unknown -> 400, bad value -> 400, label matches.
    let (st, body) = api.request_json(
        "GET",
        "/containers/json?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D",
        None,
    );
    assert_eq!(st, 400, "{body}");
    let (st, body) = api.request_json(
        "GET",
        "/containers/json?filters=%7B%22status%22%3A%5B%22asleep%22%5D%7D",
        None,
    );
    assert_eq!(st, 400, "{body}");
    let (st, body) = api.request_json(
        "GET",
        "/containers/json?filters=%7B%22label%22%3A%5B%22k%3Dv%22%5D%7D",
        None,
    );
    assert_eq!(
        (st, body.as_array().map(Vec::len)),
        (200, Some(1)),
        "{body}"
    );
    let (st, body) = api.request_json("POST", "/containers/x1/wait?condition=bogus", None);
    assert_eq!(st, 400, "{body}");
    let (st, body) = api.request_json("GET", "/containers/nope/json", None);
    assert_eq!(st, 404, "{body}");
    let (st, _) = api.request("POST", "/containers/x1/stop?t=0", None);
    assert_eq!(st, 204);
    let (st, _) = api.request("POST", "/containers/x1/stop", None);
    assert_eq!(st, 304);
    let (st, body) = api.request_json("POST", "/containers/x1/kill", None);
    assert_eq!(st, 409, "{body}");
    let (st, body) = api.request_json("POST", "/containers/x1/wait", None);
    assert_eq!(
        (st, body["StatusCode"].as_i64()),
        (200, Some(137)),
        "{body}"
    );
    let (st, _) = api.request("DELETE", "/containers/x1", None);
    assert_eq!(st, 204);
    let (st, _) = api.request("DELETE", "/containers/x1", None);
    assert_eq!(st, 404);
}

/// Whether the service has the attach route (another part of the API; `docker run` in the
/// foreground needs it).
fn has_attach(api: &Api) -> bool {
    let (_, body) = api.request_json("POST", "/containers/no-such-ctr-xyz/attach?stream=1", None);
    body["message"].as_str().unwrap_or("") != "page not found"
}

#[test]
fn foreground_run() {
    let Some(api) = Api::new("api-ctr-fg") else {
        return;
    };
    if !has_attach(&api) {
        eprintln!("api-ctr-fg: skipped: the service has no attach route");
        return;
    }
    api.berth.busybox_image("bbx");
    // attach, wait (next-exit), start: the output and the exit code come back.
    let out = api
        .docker(&[
            "run",
            "--name",
            "f1",
            "bbx",
            "sh",
            "-c",
            "echo hello; exit 4",
        ])
        .code_is(4);
    assert_eq!(out.out(), "hello", "{out}");
    assert_eq!(
        inspect(&api, "{{.State.Status}} {{.State.ExitCode}}", "f1"),
        "exited 4"
    );
    // --rm: wait (removed) returns once it is gone.
    let out = api
        .docker(&["run", "--rm", "--name", "f2", "bbx", "echo", "bye"])
        .ok();
    assert_eq!(out.out(), "bye", "{out}");
    assert_eq!(
        api.docker(&["ps", "-a", "-q", "--filter", "name=f2"])
            .ok()
            .out(),
        ""
    );
}

#[test]
fn list_filters_sizes_and_update() {
    let Some(api) = Api::new("api-ctr-list") else {
        return;
    };
    api.berth.busybox_image("bbx");
    api.docker(&[
        "run", "-d", "--name", "a1", "--memory", "64m", "bbx", "sleep", "300",
    ])
    .ok();
    api.docker(&["create", "--name", "a2", "bbx", "true"]).ok();
    api.docker(&["create", "--name", "a3", "-l", "tier=db", "bbx", "true"])
        .ok();
    let names = |args: &[&str]| {
        let mut all = vec!["ps"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--format", "{{.Names}}"]);
        api.docker(&all).ok().lines().join(",")
    };
    assert_eq!(names(&["-a"]), "a3,a2,a1");
    assert_eq!(names(&[]), "a1");
    assert_eq!(names(&["-a", "--filter", "before=a3"]), "a2,a1");
    assert_eq!(names(&["-a", "--filter", "since=a1"]), "a3,a2");
    assert_eq!(names(&["-n", "1"]), "a3");
    assert_eq!(names(&["-a", "--filter", "ancestor=bbx"]), "a3,a2,a1");
    assert_eq!(names(&["-a", "--filter", "label=tier=db"]), "a3");
    assert_eq!(names(&["-a", "--filter", "status=created"]), "a3,a2");
    assert_eq!(names(&["--filter", "name=^/a2$", "-a"]), "a2");
    let sizes = api.docker(&["ps", "-s", "--format", "{{.Size}}"]).ok();
    assert!(sizes.out().contains('B'), "{sizes}");
    let rw = api
        .docker(&["inspect", "-s", "-f", "{{.SizeRw}}", "a1"])
        .ok();
    assert!(rw.out().parse::<u64>().is_ok(), "{rw}");
    // A healthcheck given through the API runs; the health filter finds it.
    api.docker(&[
        "run",
        "-d",
        "--name",
        "h1",
        "--health-cmd",
        "true",
        "--health-interval",
        "1s",
        "bbx",
        "sleep",
        "300",
    ])
    .ok();
    let healthy = berth_e2e::wait_until(Duration::from_secs(20), || {
        api.docker(&["ps", "--filter", "health=healthy", "--format", "{{.Names}}"])
            .out()
            == "h1"
    });
    assert!(healthy, "{}", inspect(&api, "{{json .State}}", "h1"));
    assert_eq!(inspect(&api, "{{.State.Health.Status}}", "h1"), "healthy");
    assert_eq!(
        inspect(&api, "{{json .Config.Healthcheck.Test}}", "h1"),
        r#"["CMD-SHELL","true"]"#
    );
    api.docker(&["rm", "-f", "h1"]).ok();
    // A live memory change, kept in the record.
    api.docker(&["update", "--memory", "96m", "--memory-swap", "192m", "a1"])
        .ok();
    assert_eq!(
        inspect(
            &api,
            "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}",
            "a1"
        ),
        "100663296 201326592"
    );
    // The cgroup has it now, and the bundle keeps it for the next start.
    let limit = || {
        api.berth
            .cmd(&[
                "exec",
                "a1",
                "sh",
                "-c",
                "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max",
            ])
            .ok()
            .out()
            .to_string()
    };
    assert_eq!(limit(), "100663296");
    api.docker(&["restart", "-t", "0", "a1"]).ok();
    assert_eq!(limit(), "100663296");
    // What berth cannot change is refused by name.
    let (st, body) = api.request_json(
        "POST",
        "/containers/a1/update",
        Some(r#"{"BlkioWeight": 300}"#),
    );
    assert_eq!(st, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("BlkioWeight"),
        "{body}"
    );
    api.docker(&["rm", "-f", "a1", "a2", "a3"]).ok();
}
