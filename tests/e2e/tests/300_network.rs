//! Bridge networking, each test inside network namespaces of its own (the `Berth` harness
//! runs every berth command in a fresh namespace; an "outside" namespace joined to it by a
//! veth pair stands for the rest of the world): outbound NAT, every `-p` form from the host
//! and from another container, UDP, names and aliases on a user network, isolation between
//! networks, `--internal`, `container:` sharing, port conflicts, and nothing left behind.

use berth_e2e::outside::{Outside, HOST_IP, OUTSIDE_IP};
use berth_e2e::Berth;
use berth_net::link;

/// An HTTP GET of `/` through busybox nc, in the test namespace (the host side).
fn http_get_host(b: &Berth, ip: &str, port: u16) -> String {
    let script = format!("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 {ip} {port}");
    b.in_netns(&["sh", "-c", &script]).stdout
}

/// A busybox httpd serving `text` on port 80.
const WEB: &str =
    "mkdir -p /www && echo \"$TEXT\" > /www/index.html && exec httpd -f -p 80 -h /www";

#[test]
fn outbound_nat_and_every_publish_form() {
    let Some(b) = Berth::new("net-publish") else {
        return;
    };
    let out = Outside::new(&b);
    b.busybox_image("bb:1");
    // Outbound through NAT: the outside has no route back to 10.90.0.0/16.
    b.cmd(&["run", "--rm", "bb:1", "ping", "-c1", "-W2", OUTSIDE_IP])
        .ok();
    let id = b
        .cmd(&[
            "run",
            "-d",
            "--name",
            "web",
            "-e",
            "TEXT=hello-web",
            "-p",
            "8080:80",
            "-p",
            "127.0.0.1:8081:80",
            "-p",
            "80",
            "-p",
            "9000-9001:80-81",
            "bb:1",
            "sh",
            "-c",
            WEB,
        ])
        .ok()
        .out()
        .to_string();
    assert_eq!(id.len(), 64);
    std::thread::sleep(std::time::Duration::from_millis(300));
    // From the host: its own addresses, 127.0.0.1 included.
    for (ip, port) in [
        ("127.0.0.1", 8080),
        (HOST_IP, 8080),
        ("127.0.0.1", 8081),
        (HOST_IP, 9000),
    ] {
        let got = http_get_host(&b, ip, port);
        assert!(
            got.contains("hello-web"),
            "{ip}:{port} from the host: {got:?}"
        );
    }
    // 127.0.0.1:8081 is bound to loopback only.
    assert!(!http_get_host(&b, HOST_IP, 8081).contains("hello-web"));
    // -p 80 picked a free port; `port` reports it.
    let picked = b.cmd(&["port", "web", "80/tcp"]).ok().lines();
    let any = picked
        .iter()
        .find(|l| l.starts_with("0.0.0.0:") && !l.ends_with(":8080"))
        .unwrap_or_else(|| panic!("port web 80/tcp: {picked:?}"))
        .rsplit(':')
        .next()
        .unwrap()
        .parse::<u16>()
        .unwrap();
    assert!(http_get_host(&b, "127.0.0.1", any).contains("hello-web"));
    let all = b.cmd(&["port", "web"]).ok().stdout;
    assert!(all.contains("80/tcp -> 0.0.0.0:8080"), "{all}");
    assert!(all.contains("81/tcp -> 0.0.0.0:9001"), "{all}");
    let ps = b.cmd(&["ps", "--format", "{{.Ports}}"]).ok().stdout;
    assert!(ps.contains("0.0.0.0:8080->80/tcp"), "{ps}");
    // From outside the host.
    let o = out.sh(
        &b,
        &format!("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 {HOST_IP} 8080"),
    );
    assert!(o.stdout.contains("hello-web"), "from outside: {o}");
    // From another container, through the host's address.
    let o = b
        .cmd(&[
            "run",
            "--rm",
            "bb:1",
            "sh",
            "-c",
            &format!("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 {HOST_IP} 8080"),
        ])
        .ok();
    assert!(o.stdout.contains("hello-web"), "from a container: {o}");
    // The container itself, through the host's address (hairpin on its bridge port).
    let o = b
        .cmd(&[
            "exec",
            "web",
            "sh",
            "-c",
            &format!("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 {HOST_IP} 8080"),
        ])
        .ok();
    assert!(o.stdout.contains("hello-web"), "from itself: {o}");
    // inspect shows the address and the ports.
    let ip = b
        .cmd(&["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web"])
        .ok()
        .out()
        .to_string();
    assert!(ip.starts_with("10.90."), "{ip}");
}

#[test]
fn udp_published_port() {
    let Some(b) = Berth::new("net-udp") else {
        return;
    };
    if !std::path::Path::new("/usr/bin/python3").exists() {
        eprintln!("SKIP net-udp: needs python3 on the host (mounted into the container)");
        return;
    }
    b.busybox_image("bb:1");
    // The host's python (its /usr and loader mounted read-only) as a UDP upper-casing echo.
    let server = "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('',9999))\nwhile True:\n d,a=s.recvfrom(100)\n s.sendto(d.upper(),a)\n";
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "udp",
        "-p",
        "5353:9999/udp",
        "-v",
        "/usr:/usr:ro",
        "-v",
        "/usr/lib64:/lib64:ro",
        "-v",
        "/usr/lib:/lib:ro",
        "bb:1",
        "/usr/bin/python3",
        "-c",
        server,
    ])
    .ok();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let client = "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(3)\ns.sendto(b'ping',('127.0.0.1',5353))\nprint(s.recvfrom(100)[0].decode())\n";
    let o = b.in_netns(&["/usr/bin/python3", "-c", client]).ok();
    assert_eq!(o.out(), "PING");
    assert!(b
        .cmd(&["port", "udp"])
        .ok()
        .stdout
        .contains("9999/udp -> 0.0.0.0:5353"));
}

#[test]
fn user_networks_names_aliases_isolation_and_internal() {
    let Some(b) = Berth::new("net-user") else {
        return;
    };
    let _out = Outside::new(&b);
    b.busybox_image("bb:1");
    b.cmd(&[
        "network",
        "create",
        "--subnet",
        "10.123.0.0/24",
        "--label",
        "team=a",
        "front",
    ])
    .ok();
    b.cmd(&["network", "create", "back"]).ok();
    b.cmd(&["network", "create", "--internal", "vault"]).ok();
    let ls = b
        .cmd(&["network", "ls", "--format", "{{.Name}} {{.Driver}}"])
        .ok()
        .stdout;
    for n in [
        "front bridge",
        "back bridge",
        "vault bridge",
        "bridge bridge",
        "host host",
        "none null",
    ] {
        assert!(ls.contains(n), "network ls lacks {n}:\n{ls}");
    }
    let subnet = b
        .cmd(&[
            "network",
            "inspect",
            "-f",
            "{{(index .IPAM.Config 0).Subnet}}",
            "front",
        ])
        .ok()
        .out()
        .to_string();
    assert_eq!(subnet, "10.123.0.0/24");
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "api",
        "--network",
        "front",
        "--network-alias",
        "service",
        "--ip",
        "10.123.0.50",
        "bb:1",
        "sleep",
        "1000",
    ])
    .ok();
    // Names and aliases resolve on the same network, through the network's DNS server.
    let o = b
        .cmd(&[
            "run",
            "--rm",
            "--network",
            "front",
            "bb:1",
            "sh",
            "-c",
            "ping -c1 -W2 api | head -1; ping -c1 -W2 service | head -1; cat /etc/resolv.conf",
        ])
        .ok();
    assert!(o.stdout.contains("PING api (10.123.0.50)"), "{o}");
    assert!(o.stdout.contains("PING service (10.123.0.50)"), "{o}");
    assert!(o.stdout.contains("nameserver 10.123.0.1"), "{o}");
    // Another network can neither resolve nor reach it.
    let o = b
        .cmd(&[
            "run", "--rm", "--network", "back", "bb:1", "sh", "-c",
            "ping -c1 -W1 api >/dev/null 2>&1 && echo RESOLVED; ping -c1 -W1 10.123.0.50 >/dev/null 2>&1 && echo REACHED; echo done",
        ])
        .ok();
    assert_eq!(o.out(), "done", "isolation between networks: {o}");
    // An internal network has no way out, but its members reach each other.
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "secret",
        "--network",
        "vault",
        "bb:1",
        "sleep",
        "1000",
    ])
    .ok();
    let o = b
        .cmd(&[
            "run", "--rm", "--network", "vault", "bb:1", "sh", "-c",
            &format!("ping -c1 -W1 {OUTSIDE_IP} >/dev/null 2>&1 && echo OUT; ping -c1 -W2 secret >/dev/null && echo peer"),
        ])
        .ok();
    assert_eq!(o.out(), "peer", "--internal: {o}");
    // A network with containers cannot be removed; an unknown one is an error.
    b.cmd(&["network", "rm", "front"])
        .code_is(1)
        .stderr_mentions(&["active endpoints"]);
    b.cmd(&["run", "--rm", "--network", "nope", "bb:1", "true"])
        .code_is(125)
        .stderr_mentions(&["network nope not found"]);
    b.cmd(&["rm", "-f", "api", "secret"]).ok();
    b.cmd(&["network", "rm", "front", "back", "vault"]).ok();
    let left = b.network_leftovers();
    assert!(!left.iter().any(|l| l.starts_with("link br-")), "{left:?}");
}

#[test]
fn container_network_sharing_and_port_conflicts() {
    let Some(b) = Berth::new("net-share") else {
        return;
    };
    b.busybox_image("bb:1");
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "srv",
        "-e",
        "TEXT=shared",
        "-p",
        "8090:80",
        "bb:1",
        "sh",
        "-c",
        WEB,
    ])
    .ok();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // container:srv shares srv's network namespace: localhost reaches its server.
    let o = b
        .cmd(&[
            "run",
            "--rm",
            "--network",
            "container:srv",
            "bb:1",
            "sh",
            "-c",
            "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 127.0.0.1 80",
        ])
        .ok();
    assert!(o.stdout.contains("shared"), "{o}");
    // A taken host port is a clear error and leaves no container.
    let before = b.container_ids().len();
    b.cmd(&["run", "-d", "-p", "8090:80", "bb:1", "true"])
        .code_is(125)
        .stderr_mentions(&["port is already allocated"]);
    assert_eq!(b.container_ids().len(), before);
    // -P publishes every exposed port (the image's EXPOSE and --expose) on a free port.
    b.cmd(&[
        "import",
        "--change",
        "EXPOSE 7001/udp",
        b.busybox_tar("exposed", |_| {}).to_str().unwrap(),
        "exposed:1",
    ])
    .ok();
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "pall",
        "--expose",
        "7000",
        "-P",
        "exposed:1",
        "sleep",
        "100",
    ])
    .ok();
    let ports = b.cmd(&["port", "pall"]).ok().stdout;
    assert!(ports.contains("7000/tcp -> 0.0.0.0:"), "{ports}");
    assert!(ports.contains("7001/udp -> 0.0.0.0:"), "{ports}");
    b.cmd(&["rm", "-f", "srv", "pall"]).ok();
    // Its port rule left the firewall with it.
    let table = b
        .in_netns(&["nft", "list", "table", "inet", "berth"])
        .stdout;
    assert!(!table.contains("dport 8090"), "stale port rule:\n{table}");
    b.cmd(&["network", "prune", "-f"]).ok();
    assert_eq!(b.network_leftovers(), Vec::<String>::new());
}

#[test]
fn system_check_removes_network_leftovers() {
    let Some(b) = Berth::new("net-check") else {
        return;
    };
    b.busybox_image("bb:1");
    b.cmd(&["run", "--rm", "bb:1", "true"]).ok();
    // What a killed `rm` or `network rm` could leave: a namespace no container owns, and
    // the run-time directory of a network that is gone.
    let netns_dir = b.root.join("run/netns");
    std::fs::create_dir_all(&netns_dir).unwrap();
    let ghost_ns =
        netns_dir.join("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    link::create_netns(&ghost_ns).unwrap();
    let ghost_net = b.root.join("run/net/ghost");
    std::fs::create_dir_all(&ghost_net).unwrap();
    std::fs::write(ghost_net.join("records.json"), "{\"entries\": []}").unwrap();
    let o = b.cmd(&["system", "check"]).code_is(1);
    assert!(
        o.stdout.contains("network namespace without container"),
        "{o}"
    );
    assert!(
        o.stdout.contains("run-time files of a removed network"),
        "{o}"
    );
    b.cmd(&["system", "check", "--repair"]).ok();
    b.cmd(&["system", "check"]).ok();
    assert!(!ghost_ns.exists() && !ghost_net.exists());
}

#[test]
fn network_connect_and_disconnect() {
    let Some(b) = Berth::new("net-connect") else {
        return;
    };
    b.busybox_image("bb:1");
    b.cmd(&["network", "create", "left"]).ok();
    b.cmd(&["network", "create", "right"]).ok();
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "bridge-box",
        "--network",
        "left",
        "bb:1",
        "sleep",
        "1000",
    ])
    .ok();
    // A stopped container joins too (plugged when it starts).
    b.cmd(&[
        "create",
        "--name",
        "late",
        "--network",
        "left",
        "bb:1",
        "sleep",
        "1000",
    ])
    .ok();
    let reach = |name: &str| {
        b.cmd(&[
            "run",
            "--rm",
            "--network",
            "right",
            "bb:1",
            "sh",
            "-c",
            &format!("ping -c1 -W2 {name} >/dev/null 2>&1 && echo yes || echo no"),
        ])
        .ok()
        .out()
        .to_string()
    };
    assert_eq!(reach("bridge-box"), "no");
    b.cmd(&[
        "network",
        "connect",
        "--alias",
        "boxy",
        "right",
        "bridge-box",
    ])
    .ok();
    b.cmd(&["network", "connect", "right", "late"]).ok();
    b.cmd(&["start", "late"]).ok();
    assert_eq!(reach("bridge-box"), "yes");
    assert_eq!(reach("boxy"), "yes");
    assert_eq!(reach("late"), "yes");
    let o = b
        .cmd(&[
            "exec",
            "bridge-box",
            "sh",
            "-c",
            "ip -o -4 addr show | awk '{print $2}'",
        ])
        .ok();
    assert!(
        o.stdout.contains("eth0") && o.stdout.contains("eth1"),
        "{o}"
    );
    let nets = b
        .cmd(&[
            "inspect",
            "-f",
            "{{len .NetworkSettings.Networks}}",
            "bridge-box",
        ])
        .ok();
    assert_eq!(nets.out(), "2");
    // Twice is an error; leaving the first network is refused.
    b.cmd(&["network", "connect", "right", "bridge-box"])
        .code_is(1);
    b.cmd(&["network", "disconnect", "left", "bridge-box"])
        .code_is(1);
    b.cmd(&["network", "disconnect", "right", "bridge-box"])
        .ok();
    assert_eq!(reach("bridge-box"), "no");
    b.cmd(&["rm", "-f", "bridge-box", "late"]).ok();
    b.cmd(&["network", "rm", "left", "right"]).ok();
}

#[test]
fn default_bridge_subnet_is_configurable() {
    let Some(b) = Berth::new("net-default-subnet") else {
        return;
    };
    b.busybox_image("bb:1");
    let script = format!(
        "BERTH_BRIDGE_SUBNET=10.77.0.0/24 {} --root {} run --rm bb:1 ip -o -4 addr show eth0",
        b.real_bin.display(),
        b.root.display()
    );
    let o = b.in_netns(&["sh", "-c", &script]).ok();
    assert!(o.stdout.contains("10.77.0.2/24"), "{o}");
    let gw = b
        .cmd(&[
            "network",
            "inspect",
            "-f",
            "{{(index .IPAM.Config 0).Gateway}}",
            "bridge",
        ])
        .ok();
    assert_eq!(gw.out(), "10.77.0.1");
}
