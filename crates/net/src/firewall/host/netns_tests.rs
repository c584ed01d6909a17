//! Docker's FORWARD setup made for real (with `iptables-nft`/`nft` and `iptables-legacy`)
//! inside a private network namespace of each test's own, then berth's rules synced into
//! it and out again. Need root and `nft`; the iptables flavours are skipped when missing.

use std::process::Command;

use super::*;
use crate::firewall::netns_tests::in_private_netns;

/// Runs `program args` in the calling thread's namespace; its stdout, `None` on failure.
fn try_run(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Like [`try_run`], panicking on failure.
fn run(program: &str, args: &[&str]) -> String {
    try_run(program, args).unwrap_or_else(|| panic!("{program} {args:?} failed"))
}

/// Whether `program` runs (`--version`).
fn have(program: &str) -> bool {
    let ok = try_run(program, &["--version"]).is_some();
    if !ok {
        eprintln!("skipping: {program} not found");
    }
    ok
}

/// `iptables -S` of the filter table, without berth's rules.
fn others(iptables: &str) -> String {
    run(iptables, &["-w", "-S"])
        .lines()
        .filter(|l| !l.contains("--comment berth"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Docker's chains: FORWARD dropping, DOCKER-USER jumped to first (ending in RETURN, as
/// Docker before 28 makes it), and a rule of Docker's own.
fn docker_setup(iptables: &str) {
    for args in [
        &["-N", "DOCKER-USER"][..],
        &["-A", "DOCKER-USER", "-j", "RETURN"],
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
    ] {
        run(iptables, args);
    }
}

/// The full cycle against `iptables` (`iptables-nft` or `iptables-legacy`), checking that
/// `pick` of the probe sees the policy.
fn cycle(iptables: &'static str, pick: fn(HostForward) -> Policy) {
    in_private_netns(move || {
        assert_eq!(pick(probe_host_forward()), Policy::Absent);
        docker_setup(iptables);
        let before = others(iptables);
        let host = probe_host_forward();
        assert_eq!(pick(host), Policy::Drop, "{host:?}");

        let done = sync_host_forward(host, &["berth0", "br-1"]).unwrap();
        assert_eq!(done.inserted, 4);
        let listed = run(iptables, &["-w", "-S", "DOCKER-USER"]);
        let lines: Vec<&str> = listed.lines().collect();
        assert_eq!(
            lines,
            [
                "-N DOCKER-USER",
                "-A DOCKER-USER -i berth0 -m comment --comment berth -j ACCEPT",
                "-A DOCKER-USER -o berth0 -m comment --comment berth -j ACCEPT",
                "-A DOCKER-USER -i br-1 -m comment --comment berth -j ACCEPT",
                "-A DOCKER-USER -o br-1 -m comment --comment berth -j ACCEPT",
                "-A DOCKER-USER -j RETURN",
            ],
            "{listed}"
        );
        // In step: nothing to do.
        assert_eq!(
            sync_host_forward(host, &["berth0", "br-1"]).unwrap(),
            Synced::default()
        );
        // A network gone, another made.
        let done = sync_host_forward(host, &["br-1", "br-2"]).unwrap();
        assert_eq!((done.deleted, done.inserted), (2, 2));
        let listed = run(iptables, &["-w", "-S", "DOCKER-USER"]);
        assert!(
            !listed.contains("berth0") && listed.contains("-o br-2 "),
            "{listed}"
        );
        // The last network gone: only Docker's rules are left, as they were.
        let done = sync_host_forward(probe_host_forward(), &[]).unwrap();
        assert_eq!(done.deleted, 4);
        assert_eq!(run(iptables, &["-w", "-S"]), before);

        // Without DOCKER-USER the rules go to FORWARD...
        run(iptables, &["-D", "FORWARD", "-j", "DOCKER-USER"]);
        run(iptables, &["-F", "DOCKER-USER"]);
        run(iptables, &["-X", "DOCKER-USER"]);
        let done = sync_host_forward(probe_host_forward(), &["berth0"]).unwrap();
        assert_eq!(done.inserted, 2);
        let listed = run(iptables, &["-w", "-S", "FORWARD"]);
        assert!(
            listed.contains("-A FORWARD -i berth0 -m comment --comment berth -j ACCEPT"),
            "{listed}"
        );
        // ... and move to DOCKER-USER once Docker makes it.
        run(iptables, &["-N", "DOCKER-USER"]);
        run(iptables, &["-I", "FORWARD", "-j", "DOCKER-USER"]);
        let done = sync_host_forward(probe_host_forward(), &["berth0"]).unwrap();
        assert_eq!((done.deleted, done.inserted), (2, 2));
        assert!(!run(iptables, &["-w", "-S", "FORWARD"]).contains("berth"));
        assert!(run(iptables, &["-w", "-S", "DOCKER-USER"]).contains("-o berth0 "));
        // The policy back to ACCEPT: left alone while networks exist, cleaned with the
        // last one.
        run(iptables, &["-P", "FORWARD", "ACCEPT"]);
        let host = probe_host_forward();
        assert_eq!(pick(host), Policy::Accept);
        assert!(!host.drops());
        assert_eq!(
            sync_host_forward(host, &["berth0"]).unwrap(),
            Synced::default()
        );
        assert_eq!(sync_host_forward(host, &[]).unwrap().deleted, 2);
        assert!(!run(iptables, &["-w", "-S"]).contains("berth"));
    });
}

#[test]
fn iptables_nft_docker_user_in_private_netns() {
    if have("iptables-nft") {
        cycle("iptables-nft", |h| h.nft);
    }
}

#[test]
fn iptables_legacy_docker_user_in_private_netns() {
    if have("iptables-legacy") && have("iptables-legacy-restore") {
        cycle("iptables-legacy", |h| h.legacy);
    }
}

#[test]
fn nft_forward_without_docker_user_in_private_netns() {
    in_private_netns(|| {
        let nft = |script: &str| {
            let out = Command::new(crate::firewall::nft_path().unwrap())
                .args(["-f", "-"])
                .stdin(std::process::Stdio::piped())
                .spawn()
                .and_then(|mut c| {
                    use std::io::Write;
                    c.stdin.take().unwrap().write_all(script.as_bytes())?;
                    c.wait()
                })
                .unwrap();
            assert!(out.success(), "nft -f {script}");
        };
        // A FORWARD chain that is not a base chain, then one accepting: nothing to do.
        nft("table ip filter {\n chain FORWARD {\n }\n}\n");
        assert_eq!(probe_host_forward().nft, Policy::Accept);
        nft("delete table ip filter");
        nft("table ip filter {\n chain FORWARD {\n type filter hook forward priority 0; policy drop;\n ip saddr 192.0.2.9 accept\n }\n}\n");
        let host = probe_host_forward();
        assert_eq!(host.nft, Policy::Drop);
        let before = run("nft", &["list", "table", "ip", "filter"]);
        assert_eq!(sync_host_forward(host, &["berth0"]).unwrap().inserted, 2);
        let listed = run("nft", &["list", "chain", "ip", "filter", "FORWARD"]);
        assert!(
            listed
                .contains("iifname \"berth0\" counter packets 0 bytes 0 accept comment \"berth\""),
            "{listed}"
        );
        assert!(listed.contains("policy drop;"), "{listed}");
        // The last network gone: the table is as it was (the untagged rule kept).
        assert_eq!(sync_host_forward(host, &[]).unwrap().deleted, 2);
        assert_eq!(run("nft", &["list", "table", "ip", "filter"]), before);
        // Invalid bridge names never reach nft.
        assert!(sync_host_forward(host, &["x\" accept; flush ruleset #"]).is_err());
    });
}
