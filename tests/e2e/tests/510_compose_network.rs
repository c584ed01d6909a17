//! `berth compose`, end to end: volumes, networks and published ports. Each test has a fresh
//! state root, its own network namespace (the `Berth` harness) and a project of its own
//! (`Project` in `berth_e2e::compose`: a unique name, a directory with compose.yaml; dropping
//! it runs `compose down -v --remove-orphans` and fails the test if the project left
//! containers, networks or volumes). Covers named volumes across `down` and `down -v`,
//! aliases on several networks and internal networks, and published ports. Traffic goes only
//! to addresses in the test's namespaces (127.0.0.1 there, container addresses, an "outside"
//! namespace).

use std::time::Duration;

use berth_e2e::compose::{
    assert_progress, http_get, in_container_get, setup, sleeper_cmd, wait_http, web_cmd, Project,
};
use berth_e2e::outside::{Outside, HOST_IP, OUTSIDE_IP};
use berth_e2e::Value;

#[test]
fn named_volumes_survive_down_and_go_with_down_v() {
    let Some(b) = setup("compose-volumes") else {
        return;
    };
    let p = Project::new(&b, "vols", "");
    let ext = format!("{}-external", p.name);
    p.write(
        "compose.yaml",
        &format!(
            r#"services:
  box:
    image: bb:1
    command: {sleep}
    volumes:
      - data:/data
      - ext:/ext
      - ./hostdir:/hostdir
volumes:
  data:
    labels:
      purpose: e2e
  ext:
    external: true
    name: {ext}
"#,
            sleep = sleeper_cmd()
        ),
    );
    std::fs::create_dir_all(p.dir.join("hostdir")).unwrap();
    b.cmd(&["volume", "create", &ext]).ok();
    let up = p.compose(&["up", "-d"]).ok();
    let data = p.scoped("data");
    assert_progress(&up, "Volume", &data, "Created");
    assert_eq!(p.volumes(), vec![data.clone()]);
    let v = b.cmd(&["volume", "inspect", &data]).ok();
    let v: Value = serde_json::from_str(&v.stdout).unwrap();
    assert_eq!(
        v[0]["Labels"]["com.docker.compose.project"],
        p.name.as_str(),
        "{v}"
    );
    assert_eq!(v[0]["Labels"]["com.docker.compose.volume"], "data", "{v}");
    assert_eq!(v[0]["Labels"]["purpose"], "e2e", "{v}");
    p.exec(
        "box",
        &[
            "sh",
            "-c",
            "echo kept > /data/f && echo ext > /ext/f && echo host > /hostdir/f",
        ],
    )
    .ok();
    assert_eq!(
        std::fs::read_to_string(p.dir.join("hostdir/f")).unwrap(),
        "host\n"
    );

    // down: the container and network go, the volumes stay.
    p.compose_removing_all(&["down"]);
    assert_eq!(p.networks(), Vec::<String>::new());
    assert_eq!(p.volumes(), vec![data.clone()]);
    p.compose(&["up", "-d"]).ok();
    let o = p.exec("box", &["cat", "/data/f", "/ext/f"]).ok();
    assert_eq!(o.stdout, "kept\next\n");

    // down -v: the project's volumes go; an external one is never removed.
    let down = p.compose(&["down", "-v"]).ok();
    assert_progress(&down, "Volume", &data, "Removed");
    assert_eq!(p.volumes(), Vec::<String>::new());
    assert_eq!(p.ids(), Vec::<String>::new());
    b.cmd(&["volume", "inspect", &ext]).ok();
    b.cmd(&["volume", "rm", &ext]).ok();
}

#[test]
fn aliases_on_two_networks_and_an_internal_network() {
    let Some(b) = setup("compose-networks") else {
        return;
    };
    let _outside = Outside::new(&b);
    let p = Project::new(
        &b,
        "nets",
        &format!(
            r#"services:
  api:
    image: bb:1
    command: {web}
    networks:
      front:
        aliases:
          - api-front
      back:
        aliases:
          - api-back
  fronty:
    image: bb:1
    command: {sleep}
    networks:
      - front
  backy:
    image: bb:1
    command: {sleep}
    networks:
      - back
  vaulted:
    image: bb:1
    command: {sleep}
    networks:
      - vault
  vaultpeer:
    image: bb:1
    command: {sleep}
    networks:
      - vault
networks:
  front:
  back:
  vault:
    internal: true
"#,
            web = web_cmd("api-says-hi"),
            sleep = sleeper_cmd()
        ),
    );
    p.compose(&["up", "-d"]).ok();
    // Only the declared networks (no service uses `default`).
    assert_eq!(
        p.networks(),
        vec![p.scoped("back"), p.scoped("front"), p.scoped("vault")]
    );
    let vault = b.cmd(&["network", "inspect", &p.scoped("vault")]).ok();
    let vault: Value = serde_json::from_str(&vault.stdout).unwrap();
    assert_eq!(vault[0]["Internal"], true, "{vault}");
    let ifaces = p
        .exec(
            "api",
            &["sh", "-c", "ip -o -4 addr show | awk '{print $2}'"],
        )
        .ok();
    assert!(
        ifaces.stdout.contains("eth0") && ifaces.stdout.contains("eth1"),
        "{ifaces}"
    );

    let get = |from: &str, host: &str| p.exec(from, &["sh", "-c", &in_container_get(host)]);
    // api is reachable by its alias on each network, and by its service name on both.
    for (from, host) in [
        ("fronty", "api-front"),
        ("fronty", "api"),
        ("backy", "api-back"),
        ("backy", "api"),
    ] {
        let mut o = get(from, host);
        // The server may still be starting on the first request.
        for _ in 0..50 {
            if o.stdout.contains("api-says-hi") {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
            o = get(from, host);
        }
        assert!(o.stdout.contains("api-says-hi"), "{from} -> {host}:\n{o}");
    }
    // An alias is scoped to its network; the networks are isolated from each other.
    let probe = |from: &str, names: &[&str]| {
        let script: String = names
            .iter()
            .map(|n| format!("ping -c1 -W1 {n} >/dev/null 2>&1 && echo REACHED-{n}; "))
            .collect::<String>()
            + "echo done";
        p.exec(from, &["sh", "-c", &script]).ok()
    };
    let o = probe("fronty", &["api-back", "backy", "vaulted"]);
    assert_eq!(o.out(), "done", "{o}");
    let o = probe("backy", &["api-front", "fronty"]);
    assert_eq!(o.out(), "done", "{o}");

    // The internal network: no way out, no default route, but its members reach each other.
    let o = p.exec("fronty", &["ping", "-c1", "-W2", OUTSIDE_IP]);
    assert!(o.success(), "a normal network reaches the outside:\n{o}");
    let o = p
        .exec(
            "vaulted",
            &[
                "sh",
                "-c",
                &format!(
                    "ping -c1 -W1 {OUTSIDE_IP} >/dev/null 2>&1 && echo REACHED-OUTSIDE; \
                 ping -c1 -W1 {HOST_IP} >/dev/null 2>&1 && echo REACHED-HOST; \
                 ip route | grep -q default && echo HAS-DEFAULT-ROUTE; \
                 ping -c1 -W2 vaultpeer >/dev/null && echo peer"
                ),
            ],
        )
        .ok();
    assert_eq!(o.out(), "peer", "internal network:\n{o}");

    p.compose(&["down"]).ok();
    assert_eq!(p.networks(), Vec::<String>::new());
    let left = b.network_leftovers();
    assert!(!left.iter().any(|l| l.starts_with("link br-")), "{left:?}");
}

#[test]
fn published_ports_reach_the_service() {
    let Some(b) = setup("compose-ports") else {
        return;
    };
    let p = Project::new(
        &b,
        "ports",
        &format!(
            r#"services:
  web:
    image: bb:1
    command: {web}
    ports:
      - "18081:80"
      - "127.0.0.1:18082:80"
      - target: 80
        published: "18083"
        host_ip: 127.0.0.1
        protocol: tcp
  anyport:
    image: bb:1
    command: {other}
    ports:
      - "80"
"#,
            web = web_cmd("published-web"),
            other = web_cmd("any-port"),
        ),
    );
    p.compose(&["up", "-d"]).ok();
    for port in [18081, 18082, 18083] {
        wait_http(&b, port, "published-web");
    }
    let ps = p.compose(&["ps"]).ok();
    for want in [
        "0.0.0.0:18081->80/tcp",
        "127.0.0.1:18082->80/tcp",
        "127.0.0.1:18083->80/tcp",
    ] {
        assert!(ps.stdout.contains(want), "ps lacks {want}:\n{ps}");
    }
    // A port without a host side gets a free one; `port` tells which.
    let o = b.cmd(&["port", &p.container("anyport", 1), "80/tcp"]).ok();
    let picked: u16 = o
        .lines()
        .iter()
        .find(|l| l.starts_with("0.0.0.0:"))
        .and_then(|l| l.rsplit(':').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("port of anyport 80/tcp:\n{o}"));
    wait_http(&b, picked, "any-port");
    let o = p.compose(&["port", "anyport", "80"]).ok();
    assert_eq!(o.out(), format!("0.0.0.0:{picked}"), "{o}");
    let o = p.compose(&["port", "web", "80"]).ok();
    assert!(
        ["0.0.0.0:18081", "127.0.0.1:18082", "127.0.0.1:18083"].contains(&o.out()),
        "{o}"
    );
    p.compose(&["port", "web", "81"]).fails();
    // Gone with the project.
    p.compose(&["down"]).ok();
    assert!(!http_get(&b, 18081).contains("published-web"));
    assert!(!http_get(&b, picked).contains("any-port"));
}
