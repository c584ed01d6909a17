//! berth next to Docker (issue 13): Docker sets the `filter` table's FORWARD policy to DROP,
//! and a forwarded packet must pass every forward hook, so berth's bridged containers need
//! accept rules there too. Each test makes Docker's setup in the test's own network
//! namespace (where the `Berth` harness runs every berth command; it goes, chains and all,
//! when the test ends, failed or not), then shows a container reaching the "outside"
//! namespace through NAT, and that once the last network is gone berth's rules are gone and
//! Docker's chains and policy are as they were: with iptables-nft and `DOCKER-USER`, with
//! a bare nftables FORWARD chain (the rules go there; made after berth's network came up,
//! as when Docker starts after berth), and with iptables-legacy when it is installed.

use berth_e2e::outside::{Outside, OUTSIDE_IP};
use berth_e2e::{Berth, Output};

/// Whether `program` runs in the test's namespace; prints why not.
fn have(b: &Berth, program: &str) -> bool {
    let ok = b.in_netns(&[program, "--version"]).success();
    if !ok {
        eprintln!("{}: skipping, {program} is not installed", b.name);
    }
    ok
}

/// `program args` in the test's namespace, which must succeed.
fn host(b: &Berth, program: &str, args: &[&str]) -> Output {
    let mut full = vec![program];
    full.extend_from_slice(args);
    b.in_netns(&full).ok()
}

/// Docker's filter table as `dockerd` makes it with `iptables` (before 28): FORWARD
/// dropping, DOCKER-USER jumped to first and ending in RETURN, then Docker's own rules.
fn docker_chains(b: &Berth, iptables: &str) {
    for args in [
        &["-N", "DOCKER-USER"][..],
        &["-A", "DOCKER-USER", "-j", "RETURN"],
        &["-N", "DOCKER"],
        &["-P", "FORWARD", "DROP"],
        &["-A", "FORWARD", "-j", "DOCKER-USER"],
        &[
            "-A",
            "FORWARD",
            "-o",
            "docker0",
            "-m",
            "conntrack",
            "--ctstate",
            "RELATED,ESTABLISHED",
            "-j",
            "ACCEPT",
        ],
        &["-A", "FORWARD", "-o", "docker0", "-j", "DOCKER"],
        &[
            "-A", "FORWARD", "-i", "docker0", "!", "-o", "docker0", "-j", "ACCEPT",
        ],
    ] {
        host(b, iptables, args);
    }
}

/// A container on `network` pings the outside namespace (through NAT).
fn ping_outside(b: &Berth, network: &str) -> Output {
    b.cmd(&[
        "run",
        "--rm",
        "--network",
        network,
        "bb:1",
        "ping",
        "-c1",
        "-W2",
        OUTSIDE_IP,
    ])
}

/// The whole story against `iptables` (`iptables-nft` or `iptables-legacy`).
fn docker_user_story(b: &Berth, iptables: &str) {
    let _out = Outside::new(b);
    b.busybox_image("bb:1");
    docker_chains(b, iptables);
    let before = host(b, iptables, &["-w", "-S"]).stdout;

    // The default bridge comes up with the container: its rules are in DOCKER-USER first.
    ping_outside(b, "bridge").ok();
    let user = host(b, iptables, &["-w", "-S", "DOCKER-USER"]).lines();
    assert_eq!(
        user,
        [
            "-N DOCKER-USER",
            "-A DOCKER-USER -i berth0 -m comment --comment berth -j ACCEPT",
            "-A DOCKER-USER -o berth0 -m comment --comment berth -j ACCEPT",
            "-A DOCKER-USER -j RETURN",
        ],
        "{iptables}"
    );
    // A user network gets its own, and loses them with the network.
    b.cmd(&["network", "create", "coexist"]).ok();
    ping_outside(b, "coexist").ok();
    let inspect: serde_json::Value =
        serde_json::from_str(&b.cmd(&["network", "inspect", "coexist"]).ok().stdout).unwrap();
    let br = inspect[0]["Options"]["com.docker.network.bridge.name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(br.starts_with("br-"), "{inspect}");
    let listed = host(b, iptables, &["-w", "-S", "DOCKER-USER"]).stdout;
    assert!(
        listed.contains(&format!(
            "-A DOCKER-USER -i {br} -m comment --comment berth -j ACCEPT"
        )),
        "{listed}"
    );
    b.cmd(&["network", "rm", "coexist"]).ok();
    let listed = host(b, iptables, &["-w", "-S", "DOCKER-USER"]).stdout;
    assert!(
        !listed.contains(&br) && listed.contains("-i berth0"),
        "{listed}"
    );
    // The last network down: nothing of berth's, Docker's chains and policy untouched.
    b.cmd(&["network", "prune", "-f"]).ok();
    assert_eq!(
        host(b, iptables, &["-w", "-S"]).stdout,
        before,
        "{iptables}"
    );
}

#[test]
fn docker_user_with_iptables_nft() {
    let Some(b) = Berth::new("net-docker-nft") else {
        return;
    };
    if have(&b, "iptables-nft") {
        docker_user_story(&b, "iptables-nft");
    }
}

#[test]
fn docker_user_with_iptables_legacy() {
    let Some(b) = Berth::new("net-docker-legacy") else {
        return;
    };
    if have(&b, "iptables-legacy") && have(&b, "iptables-legacy-restore") {
        docker_user_story(&b, "iptables-legacy");
    }
}

#[test]
fn forward_chain_made_after_the_network_is_up() {
    let Some(b) = Berth::new("net-docker-forward") else {
        return;
    };
    let _out = Outside::new(&b);
    b.busybox_image("bb:1");
    // A container running before the host's FORWARD chain drops.
    b.cmd(&["run", "-d", "--name", "early", "bb:1", "sleep", "60"])
        .ok();
    b.cmd(&["exec", "early", "ping", "-c1", "-W2", OUTSIDE_IP])
        .ok();
    // Now a FORWARD chain dropping by default, without DOCKER-USER, in nftables' ip filter
    // (how iptables-nft keeps it), with a rule of someone else's.
    let script = "table ip filter {\n\tchain FORWARD {\n\t\ttype filter hook forward priority filter; policy drop;\n\t\tip saddr 192.0.2.99 accept\n\t}\n}\n";
    let file = b.dir.join("docker.nft");
    std::fs::write(&file, script).unwrap();
    host(&b, "nft", &["-f", &file.display().to_string()]);
    let before = host(&b, "nft", &["list", "table", "ip", "filter"]).stdout;
    // The policy bites: the running container cannot get out (this is issue 13)...
    b.cmd(&["exec", "early", "ping", "-c1", "-W2", OUTSIDE_IP])
        .fails();
    // ... until berth's next container start puts its rules in FORWARD.
    ping_outside(&b, "bridge").ok();
    b.cmd(&["exec", "early", "ping", "-c1", "-W2", OUTSIDE_IP])
        .ok();
    let listed = host(&b, "nft", &["list", "chain", "ip", "filter", "FORWARD"]).stdout;
    for dir in ["iifname", "oifname"] {
        assert!(
            listed.contains(&format!("{dir} \"berth0\" counter packets")),
            "{listed}"
        );
    }
    assert!(listed.contains("policy drop;"), "{listed}");
    // The last network down: the table is as it was.
    b.cmd(&["rm", "-f", "early"]).ok();
    b.cmd(&["network", "prune", "-f"]).ok();
    assert_eq!(
        host(&b, "nft", &["list", "table", "ip", "filter"]).stdout,
        before
    );
}
