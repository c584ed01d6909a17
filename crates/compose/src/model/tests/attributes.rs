//! Each service attribute's forms.

use super::*;

#[test]
fn command_and_entrypoint() {
    let s =
        web(json!({"command": "bundle exec 'thin -p' \"3000\"", "entrypoint": ["/bin/sh", "-c"]}));
    assert_eq!(
        s.command,
        Some(strs(&["bundle", "exec", "thin -p", "3000"]))
    );
    assert_eq!(s.entrypoint, Some(strs(&["/bin/sh", "-c"])));
    let s = web(json!({"entrypoint": [], "command": ["echo", 1, true]}));
    assert_eq!(s.entrypoint, Some(vec![]));
    assert_eq!(s.command, Some(strs(&["echo", "1", "true"])));
    assert_eq!(web(json!({"command": null})).command, None);
}

#[test]
fn environment_forms() {
    let s = web(json!({"environment": ["A=1", "B=x=y", "FOO", "UNSET", "E="]}));
    let want = BTreeMap::from([
        ("A".to_string(), "1".to_string()),
        ("B".to_string(), "x=y".to_string()),
        ("FOO".to_string(), "from-env".to_string()),
        ("E".to_string(), String::new()),
    ]);
    assert_eq!(s.environment, want);
    let s = web(
        json!({"environment": {"N": 5, "T": true, "F": 1.5, "FOO": null, "UNSET": null, "S": "s"}}),
    );
    assert_eq!(s.environment.get("N").map(String::as_str), Some("5"));
    assert_eq!(s.environment.get("T").map(String::as_str), Some("true"));
    assert_eq!(s.environment.get("F").map(String::as_str), Some("1.5"));
    assert_eq!(
        s.environment.get("FOO").map(String::as_str),
        Some("from-env")
    );
    assert!(!s.environment.contains_key("UNSET"));
}

#[test]
fn env_files_are_read_and_environment_wins() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("a.env"),
        "A=1\nB=from-a\n# c\nQ=\"q $FOO\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("b.env"), "B=from-b\n").unwrap_or_else(|e| panic!("{e}"));
    let mut l = loaded(json!({"services": {"web": {
        "image": "x",
        "env_file": ["a.env", {"path": "./b.env"}, {"path": "missing.env", "required": false}],
        "environment": {"A": "env"}
    }}}));
    l.working_dir = dir.path().to_path_buf();
    let p = project(&l, &[]).unwrap_or_else(|e| panic!("{e}"));
    let s = &p.services["web"];
    assert_eq!(s.environment.get("A").map(String::as_str), Some("env"));
    assert_eq!(s.environment.get("B").map(String::as_str), Some("from-b"));
    assert_eq!(
        s.environment.get("Q").map(String::as_str),
        Some("q from-env")
    );
    assert_eq!(s.env_file.len(), 3);
    assert!(!s.env_file[2].required);

    let mut l = loaded(json!({"services": {"web": {"image": "x", "env_file": "nope.env"}}}));
    l.working_dir = dir.path().to_path_buf();
    let e = project(&l, &[]).err().unwrap_or_else(|| panic!("no error"));
    let (path, msg) = at(&e);
    assert_eq!(path, "services.web.env_file");
    assert!(msg.contains("nope.env not found"), "{msg}");
}

#[test]
fn ports_short_and_long() {
    let s = web(json!({"ports": [
        "80:80", 3000, "127.0.0.1:8080:80", "[::1]:81:81", "53:53/udp", "9000-9001:9000-9001",
        {"target": 443, "published": 8443, "host_ip": "0.0.0.0", "protocol": "tcp", "mode": "host"},
        {"target": 22, "published": "2200-2210"}
    ]}));
    let p: Vec<(Option<&str>, u16, Option<&str>, &str)> = s
        .ports
        .iter()
        .map(|p| {
            (
                p.host_ip.as_deref(),
                p.target,
                p.published.as_deref(),
                p.protocol.as_str(),
            )
        })
        .collect();
    assert_eq!(
        p,
        [
            (None, 80, Some("80"), "tcp"),
            (None, 3000, None, "tcp"),
            (Some("127.0.0.1"), 80, Some("8080"), "tcp"),
            (Some("::1"), 81, Some("81"), "tcp"),
            (None, 53, Some("53"), "udp"),
            (None, 9000, Some("9000"), "tcp"),
            (None, 9001, Some("9001"), "tcp"),
            (Some("0.0.0.0"), 443, Some("8443"), "tcp"),
            (None, 22, Some("2200-2210"), "tcp"),
        ]
    );
    assert_eq!(s.ports[7].mode, "host");
    assert_eq!(s.ports[8].published_range(), Some((2200, 2210)));
    let s = web(json!({"expose": [3000, "8080-8085/tcp"]}));
    assert_eq!(s.expose, strs(&["3000", "8080-8085/tcp"]));
}

#[test]
fn volumes_short_and_long() {
    let s = web(json!({"volumes": [
        "data:/var/lib/data",
        "/anon",
        "./src:/app:ro,z",
        "../up:/up",
        "~/cfg:/cfg",
        "/abs/dir/:/abs",
        {"type": "bind", "source": "./conf", "target": "/conf", "read_only": true, "bind": {"create_host_path": false}},
        {"type": "volume", "source": "cache", "target": "/cache", "volume": {"nocopy": true}},
        {"type": "tmpfs", "target": "/tmp", "tmpfs": {"size": "64m", "mode": "1777"}}
    ], "tmpfs": "/run"}));
    let v = &s.volumes;
    assert_eq!(
        (
            v[0].kind.as_str(),
            v[0].source.as_deref(),
            v[0].target.as_str()
        ),
        ("volume", Some("data"), "/var/lib/data")
    );
    assert_eq!(
        (v[1].kind.as_str(), v[1].source.as_deref()),
        ("volume", None)
    );
    assert_eq!(
        (v[2].kind.as_str(), v[2].source.as_deref(), v[2].read_only),
        ("bind", Some("/work/proj/src"), true)
    );
    assert_eq!(v[3].source.as_deref(), Some("/work/up"));
    assert_eq!(v[4].source.as_deref(), Some("/home/u/cfg"));
    assert_eq!(v[5].source.as_deref(), Some("/abs/dir"));
    assert_eq!(v[6].source.as_deref(), Some("/work/proj/conf"));
    assert!(v[6].read_only);
    assert_eq!(v[6].bind.as_ref().map(|b| b.create_host_path), Some(false));
    assert_eq!(v[7].volume.as_ref().map(|o| o.nocopy), Some(true));
    assert_eq!(v[8].tmpfs.as_ref().and_then(|t| t.size), Some(64 << 20));
    assert_eq!(v[8].tmpfs.as_ref().and_then(|t| t.mode), Some(0o1777));
    assert_eq!(s.tmpfs, strs(&["/run"]));
}

#[test]
fn networks_forms() {
    let p = proj(json!({
        "services": {
            "a": {"image": "x"},
            "b": {"image": "x", "networks": ["front", "back"]},
            "c": {"image": "x", "networks": {"front": {"aliases": ["api"], "ipv4_address": "10.5.0.5"}, "back": null}},
            "d": {"image": "x", "network_mode": "host"}
        },
        "networks": {"front": null, "back": {"driver": "bridge", "internal": true,
            "ipam": {"config": [{"subnet": "10.5.0.0/16", "gateway": "10.5.0.1"}]}}}
    }));
    assert_eq!(
        p.services["a"].networks.keys().collect::<Vec<_>>(),
        ["default"]
    );
    assert_eq!(
        p.services["b"].networks.keys().collect::<Vec<_>>(),
        ["back", "front"]
    );
    let front = p.services["c"].networks["front"]
        .clone()
        .unwrap_or_default();
    assert_eq!(front.aliases, strs(&["api"]));
    assert_eq!(front.ipv4_address.as_deref(), Some("10.5.0.5"));
    assert!(p.services["d"].networks.is_empty());
    assert_eq!(p.networks["default"].name, "proj_default");
    assert_eq!(p.networks["front"].name, "proj_front");
    let back = &p.networks["back"];
    assert!(back.internal);
    assert_eq!(back.ipam.config[0].subnet.as_deref(), Some("10.5.0.0/16"));
    assert_eq!(back.ipam.config[0].gateway.as_deref(), Some("10.5.0.1"));
}

#[test]
fn depends_on_forms() {
    let p = proj(json!({"services": {
        "web": {"image": "x", "depends_on": {"db": {"condition": "service_healthy", "restart": true},
            "init": {"condition": "service_completed_successfully"},
            "opt": {"condition": "service_started", "required": false}}},
        "api": {"image": "x", "depends_on": ["db"]},
        "db": {"image": "x"},
        "init": {"image": "x"}
    }}));
    let d = &p.services["web"].depends_on;
    assert_eq!(d["db"].condition, SERVICE_HEALTHY);
    assert!(d["db"].restart);
    assert_eq!(d["init"].condition, SERVICE_COMPLETED_SUCCESSFULLY);
    assert!(
        !d.contains_key("opt"),
        "optional missing dependency dropped"
    );
    assert!(p.warnings.iter().any(|w| w.contains("opt")));
    assert_eq!(
        p.services["api"].depends_on["db"].condition,
        SERVICE_STARTED
    );
    assert!(p.services["api"].depends_on["db"].required);
    let order = p.start_order(&[]);
    let pos = |s: &str| order.iter().position(|x| x == s).unwrap_or(usize::MAX);
    assert!(pos("db") < pos("web") && pos("init") < pos("web") && pos("db") < pos("api"));
    assert_eq!(p.start_order(&strs(&["api"])), strs(&["db", "api"]));
}

#[test]
fn healthcheck_forms() {
    let s = web(
        json!({"healthcheck": {"test": "curl -f http://localhost", "interval": "1m30s",
        "timeout": "10s", "retries": 3, "start_period": "40s", "start_interval": "5s"}}),
    );
    let h = s.healthcheck.unwrap_or_default();
    assert_eq!(h.test, strs(&["CMD-SHELL", "curl -f http://localhost"]));
    assert_eq!(h.interval, Some(Duration(90_000_000_000)));
    assert_eq!(h.timeout.map(|d| d.to_string()).as_deref(), Some("10s"));
    assert_eq!(h.retries, Some(3));
    assert_eq!(h.start_interval, Some(Duration(5_000_000_000)));
    let h = web(json!({"healthcheck": {"test": ["CMD", "pg_isready"]}}))
        .healthcheck
        .unwrap_or_default();
    assert_eq!(h.test, strs(&["CMD", "pg_isready"]));
    assert!(web(json!({"healthcheck": {"disable": true}}))
        .healthcheck
        .is_some_and(|h| h.disable));
    assert!(web(json!({"healthcheck": {"test": ["NONE"]}}))
        .healthcheck
        .is_some_and(|h| h.disable));
}

#[test]
fn engine_options() {
    let s = web(json!({
        "restart": "on-failure:3", "container_name": "my-web", "hostname": "h", "user": "1000:1000",
        "working_dir": "/app", "labels": ["a=1", "b"], "stop_signal": "SIGINT", "stop_grace_period": "1m",
        "init": true, "tty": true, "stdin_open": true, "privileged": true, "read_only": true,
        "cap_add": ["NET_ADMIN"], "cap_drop": ["ALL"], "security_opt": ["no-new-privileges:true"],
        "ulimits": {"nproc": 65535, "nofile": {"soft": 20000, "hard": 40000}},
        "sysctls": ["net.core.somaxconn=1024"], "devices": ["/dev/fuse", "/dev/sda:/dev/xvda:r"],
        "dns": "8.8.8.8", "extra_hosts": ["somehost:162.242.195.82", "other=::1", "v6:::2"],
        "shm_size": "1g", "mem_limit": "512m", "cpus": "0.5", "pids_limit": 100,
        "deploy": {"replicas": 1, "resources": {"limits": {"cpus": 1.5, "memory": "1.5G", "pids": 50}}},
        "pull_policy": "always", "platform": "linux/amd64",
        "logging": {"driver": "json-file", "options": {"max-size": "10m", "max-file": 3}},
        "profiles": [], "x-custom": {"k": 1}
    }));
    assert_eq!(s.restart.as_deref(), Some("on-failure:3"));
    assert_eq!(s.container_name.as_deref(), Some("my-web"));
    assert_eq!(
        s.labels,
        BTreeMap::from([
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), String::new())
        ])
    );
    assert_eq!(s.stop_grace_period, Some(Duration(60_000_000_000)));
    assert_eq!(s.init, Some(true));
    assert!(s.tty && s.stdin_open && s.privileged && s.read_only);
    assert_eq!(s.ulimits["nproc"].limits(), (65535, 65535));
    assert_eq!(s.ulimits["nofile"].limits(), (20000, 40000));
    assert_eq!(s.sysctls["net.core.somaxconn"], "1024");
    assert_eq!(s.devices[0].target, "/dev/fuse");
    assert_eq!(
        (
            s.devices[1].target.as_str(),
            s.devices[1].permissions.as_str()
        ),
        ("/dev/xvda", "r")
    );
    assert_eq!(s.dns, strs(&["8.8.8.8"]));
    assert_eq!(s.extra_hosts["somehost"], strs(&["162.242.195.82"]));
    assert_eq!(s.extra_hosts["other"], strs(&["::1"]));
    assert_eq!(s.extra_hosts["v6"], strs(&["::2"]));
    assert_eq!(s.shm_size, Some(1 << 30));
    assert_eq!(s.mem_limit, Some(512 << 20));
    assert_eq!(s.cpus, Some(0.5));
    assert_eq!(s.pids_limit, Some(100));
    let d = s.deploy.clone().unwrap_or_default();
    let limits = d.resources.limits.unwrap_or_default();
    assert_eq!(
        (limits.cpus, limits.memory, limits.pids),
        (Some(1.5), Some(1_610_612_736), Some(50))
    );
    assert_eq!(
        s.logging.as_ref().map(|l| l.options["max-file"].as_str()),
        Some("3")
    );
    assert_eq!(s.extensions["x-custom"], json!({"k": 1}));
    let s = web(json!({"deploy": {"replicas": 3}}));
    assert_eq!(s.replicas(), 3);
    assert_eq!(web(json!({"scale": 2})).replicas(), 2);
    assert_eq!(
        web(json!({"extra_hosts": {"h": "1.2.3.4", "m": ["::1", "10.0.0.1"]}})).extra_hosts["m"]
            .len(),
        2
    );
}

#[test]
fn build_forms() {
    let s = web(json!({"build": "backend"}));
    let b = s.build.clone().unwrap_or_default();
    assert_eq!(b.context, "/work/proj/backend");
    assert_eq!(b.dockerfile.as_deref(), Some("Dockerfile"));
    assert_eq!(s.image_name("proj"), "proj-web");
    let s = web(
        json!({"image": "tag:1", "build": {"context": ".", "dockerfile": "Dockerfile.dev", "target": "builder",
        "args": ["A=1", "FOO", "UNSET"], "labels": {"l": "v"}, "network": "host",
        "extra_hosts": ["h:1.2.3.4"], "ssh": ["default"], "cache_from": ["x"], "dockerfile_inline": null}}),
    );
    let b = s.build.clone().unwrap_or_default();
    assert_eq!(b.context, "/work/proj");
    assert_eq!(b.target.as_deref(), Some("builder"));
    assert_eq!(b.args.get("FOO").map(String::as_str), Some("from-env"));
    assert!(!b.args.contains_key("UNSET"));
    assert_eq!(b.ssh, strs(&["default"]));
    assert_eq!(s.image_name("proj"), "tag:1");
    let b = web(json!({"build": {"context": "https://github.com/x/y.git#main"}}))
        .build
        .unwrap_or_default();
    assert_eq!(b.context, "https://github.com/x/y.git#main");
}

#[test]
fn secrets_and_configs() {
    let p = proj(json!({
        "services": {"web": {"image": "x", "secrets": ["db_pw", {"source": "api", "target": "api_key", "mode": 0o440}],
            "configs": [{"source": "conf", "target": "/etc/conf"}]}},
        "secrets": {"db_pw": {"file": "db/password.txt"}, "api": {"environment": "FOO"}},
        "configs": {"conf": {"content": "hello"}, "ext": {"external": true}, "named": {"file": "/c", "name": "fixed"}}
    }));
    let s = &p.services["web"];
    assert_eq!(s.secrets[0].source, "db_pw");
    assert_eq!(s.secrets[1].target.as_deref(), Some("api_key"));
    assert_eq!(s.secrets[1].mode, Some(0o440));
    assert_eq!(
        p.secrets["db_pw"].file.as_deref(),
        Some("/work/proj/db/password.txt")
    );
    assert_eq!(p.secrets["db_pw"].name, "proj_db_pw");
    assert_eq!(p.configs["ext"].name, "ext");
    assert_eq!(p.configs["named"].name, "fixed");
    assert_eq!(p.configs["conf"].content.as_deref(), Some("hello"));
}

#[test]
fn top_level_volumes_and_names() {
    let p = proj(json!({
        "services": {"web": {"image": "x", "volumes": ["db:/db"]}},
        "volumes": {"db": {}, "ext": {"external": true}, "named": {"name": "my-vol", "labels": ["a=b"]},
            "legacy": {"external": {"name": "old"}}, "nfs": {"driver": "local", "driver_opts": {"type": "nfs", "o": "addr=1.2.3.4"}}}
    }));
    assert_eq!(p.volumes["db"].name, "proj_db");
    assert_eq!(p.volumes["ext"].name, "ext");
    assert!(p.volumes["ext"].external);
    assert_eq!(p.volumes["named"].name, "my-vol");
    assert_eq!(p.volumes["named"].labels["a"], "b");
    assert_eq!(p.volumes["legacy"].name, "old");
    assert_eq!(p.volumes["nfs"].driver_opts["type"], "nfs");
}

#[test]
fn null_values_are_unset() {
    let s = web(
        json!({"image": "x", "build": null, "healthcheck": null, "ports": null, "environment": null,
        "labels": null, "networks": null, "restart": null, "deploy": null}),
    );
    assert!(
        s.build.is_none() && s.healthcheck.is_none() && s.restart.is_none() && s.deploy.is_none()
    );
    assert!(s.ports.is_empty() && s.environment.is_empty() && s.labels.is_empty());
    assert_eq!(s.networks.keys().collect::<Vec<_>>(), ["default"]);
}
