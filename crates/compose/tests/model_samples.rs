//! The model on real files: the awesome-compose samples (tests/data/samples, CC0, see its
//! LICENSE) loaded by the loader, then turned into a `Project`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use berth_compose::load::{load, LoadOptions};
use berth_compose::model::{project, Project, SERVICE_HEALTHY};

fn sample_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/samples")
        .join(name)
}

fn sample(name: &str) -> Project {
    let opts = LoadOptions {
        working_dir: sample_dir(name),
        environment: BTreeMap::from([("HOME".to_string(), "/home/tester".to_string())]),
        ..LoadOptions::default()
    };
    let loaded = load(&opts).unwrap_or_else(|e| panic!("loading {name}: {e}"));
    project(&loaded, &[]).unwrap_or_else(|e| panic!("modelling {name}: {e}"))
}

fn dir(name: &str, rel: &str) -> String {
    sample_dir(name).join(rel).to_string_lossy().into_owned()
}

#[test]
fn every_sample_models_and_prints() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/samples");
    let mut n = 0;
    for entry in std::fs::read_dir(&samples).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if !path.is_dir() {
            continue;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let p = sample(&name);
        assert!(!p.services.is_empty(), "{name}");
        let yaml = p.to_yaml().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(yaml.contains("services:"), "{name}");
        for s in p.services.keys() {
            assert_eq!(p.config_hash(s).len(), 64, "{name}/{s}");
        }
        assert_eq!(p.start_order(&[]).len(), p.services.len(), "{name}");
        n += 1;
    }
    assert_eq!(n, 10);
}

#[test]
fn nginx_golang_mysql() {
    let name = "nginx-golang-mysql";
    let p = sample(name);
    assert_eq!(p.name, name);
    let backend = &p.services["backend"];
    let b = backend.build.clone().unwrap_or_default();
    assert_eq!(b.context, dir(name, "backend"));
    assert_eq!(b.target.as_deref(), Some("builder"));
    assert_eq!(backend.image_name(&p.name), "nginx-golang-mysql-backend");
    assert_eq!(backend.depends_on["db"].condition, SERVICE_HEALTHY);
    let db = &p.services["db"];
    let h = db.healthcheck.clone().unwrap_or_default();
    assert_eq!(h.test[0], "CMD-SHELL");
    assert!(
        h.test[1].contains("--password=\"$(cat /run/secrets/db-password)\""),
        "{:?}",
        h.test
    );
    assert_eq!(h.interval.map(|d| d.to_string()).as_deref(), Some("3s"));
    assert_eq!(
        h.start_period.map(|d| d.to_string()).as_deref(),
        Some("30s")
    );
    assert_eq!(
        db.command.clone().unwrap_or_default(),
        ["--default-authentication-plugin=mysql_native_password"]
    );
    assert_eq!(db.expose, ["3306"]);
    assert_eq!(db.volumes[0].named_volume(), Some("db-data"));
    assert_eq!(p.volumes["db-data"].name, "nginx-golang-mysql_db-data");
    assert_eq!(
        p.secrets["db-password"].file.as_deref(),
        Some(dir(name, "db/password.txt").as_str())
    );
    let proxy = &p.services["proxy"];
    assert_eq!(proxy.volumes[0].kind, "bind");
    assert!(proxy.volumes[0].read_only);
    assert_eq!(
        proxy.volumes[0].source.as_deref(),
        Some(dir(name, "proxy/nginx.conf").as_str())
    );
    assert_eq!(
        (proxy.ports[0].target, proxy.ports[0].published.as_deref()),
        (80, Some("80"))
    );
    assert_eq!(p.networks["default"].name, "nginx-golang-mysql_default");
    assert_eq!(
        p.start_order(&["proxy".to_string()]),
        ["db", "backend", "proxy"]
    );
}

#[test]
fn minecraft_and_plex() {
    let p = sample("minecraft");
    let s = &p.services["minecraft"];
    let mem = s
        .deploy
        .as_ref()
        .and_then(|d| d.resources.limits.as_ref())
        .and_then(|l| l.memory);
    assert_eq!(mem, Some(1_610_612_736));
    assert_eq!(
        s.volumes[0].source.as_deref(),
        Some("/home/tester/minecraft_data")
    );
    assert_eq!(s.environment["EULA"], "TRUE");

    let p = sample("plex");
    let s = &p.services["plex"];
    assert_eq!(s.network_mode.as_deref(), Some("host"));
    assert!(s.networks.is_empty());
    assert!(p.networks.is_empty());
    assert_eq!(
        s.volumes[0].source.as_deref(),
        Some("/media/your/plex/path")
    );
    assert_eq!(s.container_name.as_deref(), Some("plex"));
}

#[test]
fn pihole() {
    let p = sample("pihole-cloudflared-DoH");
    let cf = &p.services["cloudflared"];
    assert_eq!(cf.environment["TZ"], "Etc/UTC");
    assert_eq!(cf.ports.len(), 2);
    assert_eq!(cf.ports[1].protocol, "udp");
    let net = cf.networks["dns-net"].clone().unwrap_or_default();
    assert_eq!(net.ipv4_address.as_deref(), Some("172.20.0.2"));
    let ph = &p.services["pihole"];
    assert_eq!(ph.environment["ServerIPv6"], "");
    assert_eq!(ph.ports.len(), 5);
    assert_eq!(ph.cap_add, ["NET_ADMIN"]);
    assert_eq!(ph.volumes[0].source.as_deref(), Some("/etc/pihole"));
    assert_eq!(
        p.networks["dns-net"].ipam.config[0].subnet.as_deref(),
        Some("172.20.0.0/24")
    );
}

#[test]
fn elk_wasmedge_traefik_rust() {
    let p = sample("elasticsearch-logstash-kibana");
    let es = &p.services["elasticsearch"];
    assert_eq!(es.environment["discovery.type"], "single-node");
    assert_eq!(es.container_name.as_deref(), Some("es"));
    let ls = &p.services["logstash"];
    assert_eq!(
        ls.command.clone().unwrap_or_default()[..2],
        ["logstash", "-f"]
    );
    assert_eq!(p.networks["elastic"].driver.as_deref(), Some("bridge"));

    let p = sample("wasmedge-kafka-mysql");
    let rp = &p.services["redpanda"];
    assert_eq!(rp.command.clone().unwrap_or_default()[1], "--smp 1");
    let etl = &p.services["etl"];
    assert_eq!(etl.platform.as_deref(), Some("wasi/wasm"));
    assert_eq!(etl.runtime.as_deref(), Some("io.containerd.wasmedge.v1"));
    assert_eq!(etl.image_name(&p.name), "etl-kafka");
    assert!(etl.build.is_some());

    let p = sample("traefik-golang");
    let be = &p.services["backend"];
    assert_eq!(be.labels["traefik.http.routers.go.rule"], "Path(`/`)");
    let fe = &p.services["frontend"];
    assert_eq!(fe.command.clone().unwrap_or_default().len(), 3);

    let p = sample("react-rust-postgres");
    assert_eq!(p.name, "react-rust-postgres");
    assert_eq!(
        p.volumes["backend-cache"].name,
        "react-rust-postgres_backend-cache"
    );
    assert!(p.services["frontend"].volumes[0].read_only);
    assert!(!p.networks.contains_key("default"));
}
