//! Tests that run `nft` for real, each inside a private network namespace of its own (a
//! thread that unshared `CLONE_NEWNET`; `nft` children inherit it), so the host's firewall
//! is never touched. They skip, saying why, without root or `nft`.

use std::process::Command;

use nix::sched::{unshare, CloneFlags};

use super::*;
use crate::ipam::Proto;

/// Runs `f` on a thread in a new network namespace; `None` (with the reason printed) when
/// not root, `nft` is missing or the namespace cannot be made.
pub(super) fn in_private_netns<R: Send + 'static>(
    f: impl FnOnce() -> R + Send + 'static,
) -> Option<R> {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipping: needs root for a private network namespace");
        return None;
    }
    if let Err(e) = nft_path() {
        eprintln!("skipping: {e}");
        return None;
    }
    let host_ns = std::fs::read_link("/proc/thread-self/ns/net").ok()?;
    std::thread::spawn(move || {
        if let Err(e) = unshare(CloneFlags::CLONE_NEWNET) {
            eprintln!("skipping: unshare(CLONE_NEWNET): {e}");
            return None;
        }
        let ns = std::fs::read_link("/proc/thread-self/ns/net").expect("own netns");
        // Never go on in the host's namespace.
        assert_ne!(ns, host_ns, "unshare did not give a new network namespace");
        Some(f())
    })
    .join()
    .expect("netns test thread panicked")
}

/// `nft <args>` in the calling thread's namespace, stdout.
fn nft(args: &[&str]) -> String {
    let out = Command::new(nft_path().unwrap())
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nft {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ruleset(table: &str, host_port: u16) -> Ruleset {
    Ruleset {
        table: table.into(),
        networks: vec![
            NetworkRules {
                bridge: "berth0".into(),
                subnet: "10.88.0.0/16".parse().unwrap(),
                internal: false,
            },
            NetworkRules {
                bridge: "berth-i1".into(),
                subnet: "10.89.1.0/24".parse().unwrap(),
                internal: true,
            },
        ],
        ports: vec![
            PortRule {
                network_bridge: "berth0".into(),
                host_ip: None,
                host_port,
                proto: Proto::Tcp,
                container_ip: "10.88.0.2".parse().unwrap(),
                container_port: 80,
                id: "c0ffee".into(),
            },
            PortRule {
                network_bridge: "berth0".into(),
                host_ip: Some("127.0.0.1".parse().unwrap()),
                host_port: 5353,
                proto: Proto::Udp,
                container_ip: "10.88.0.3".parse().unwrap(),
                container_port: 53,
                id: "beef".into(),
            },
        ],
    }
}

#[test]
fn apply_replace_and_delete_in_private_netns() {
    in_private_netns(|| {
        let table = "berth_test";
        // Someone else's table, which berth must never touch.
        nft(&["add", "table", "inet", "other"]);
        nft(&["add", "chain", "inet", "other", "c"]);
        nft(&[
            "add", "rule", "inet", "other", "c", "tcp", "dport", "22", "accept",
        ]);
        assert!(!table_exists(table).unwrap());
        // Deleting a missing table is fine.
        delete_table(table).unwrap();

        apply(&ruleset(table, 8080)).unwrap();
        assert!(table_exists(table).unwrap());
        let listed = nft(&["list", "table", "inet", table]);
        for want in [
            "chain postrouting",
            "ip saddr 10.88.0.0/16 oifname != \"berth0\" masquerade",
            "ip saddr 127.0.0.0/8 oifname \"berth0\" masquerade",
            "chain prerouting",
            "chain output",
            "tcp dport 8080 dnat ip to 10.88.0.2:80",
            "ip daddr 127.0.0.1 udp dport 5353 dnat ip to 10.88.0.3:53",
            "ct state established,related accept",
            "ct status dnat accept",
            "iifname \"berth-i1\" oifname != \"berth-i1\" drop",
            "iifname \"berth0\" oifname \"berth-i1\" drop",
        ] {
            assert!(listed.contains(want), "missing {want:?} in:\n{listed}");
        }
        assert!(
            !listed.contains("10.89.1.0/24"),
            "internal network masqueraded:\n{listed}"
        );
        assert_eq!(listed.matches("dport 8080").count(), 2, "{listed}");

        // Changed ruleset: replaced as a whole, nothing left over.
        apply(&ruleset(table, 8081)).unwrap();
        let listed = nft(&["list", "table", "inet", table]);
        assert!(
            listed.contains("tcp dport 8081 dnat ip to 10.88.0.2:80"),
            "{listed}"
        );
        assert!(!listed.contains("8080"), "old rule survived:\n{listed}");
        assert_eq!(listed.matches("chain postrouting").count(), 1);

        // No networks: the table goes, the other table stays.
        apply(&Ruleset::new(table)).unwrap();
        assert!(!table_exists(table).unwrap());
        apply(&Ruleset::new(table)).unwrap();
        assert!(table_exists("other").unwrap());
        assert!(nft(&["list", "table", "inet", "other"]).contains("tcp dport 22 accept"));
    });
}

#[test]
fn invalid_rulesets_never_reach_nft() {
    in_private_netns(|| {
        let mut r = ruleset("berth_test", 8080);
        r.networks[0].bridge = "x\" ; flush ruleset".into();
        assert!(matches!(apply(&r), Err(FirewallError::InvalidName { .. })));
        let r = Ruleset::new("bad name");
        assert!(apply(&r).is_err());
        assert!(!table_exists("berth_test").unwrap());
    });
}

#[test]
fn forwarding_sysctls_in_private_netns() {
    let read = |p: &str| std::fs::read_to_string(p).unwrap().trim().to_string();
    let host_lo = read("/proc/sys/net/ipv4/conf/lo/route_localnet");
    let host_fwd = read("/proc/sys/net/ipv4/ip_forward");
    let done = in_private_netns(move || {
        // /proc/sys/net must be this namespace's: only lo, no host interface.
        let mut ifaces: Vec<String> = std::fs::read_dir("/proc/sys/net/ipv4/conf")
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        ifaces.sort();
        assert_eq!(
            ifaces,
            ["all", "default", "lo"],
            "not a private /proc/sys/net"
        );
        // IPv4 settings are inherited from the host's namespace: start from 0.
        std::fs::write("/proc/sys/net/ipv4/ip_forward", "0").unwrap();
        assert_eq!(read("/proc/sys/net/ipv4/ip_forward"), "0");
        enable_forwarding("lo").unwrap();
        assert_eq!(read("/proc/sys/net/ipv4/ip_forward"), "1");
        assert_eq!(read("/proc/sys/net/ipv4/conf/lo/route_localnet"), "1");
        let err = enable_forwarding("nosuchbr0").unwrap_err();
        assert!(err
            .to_string()
            .contains("/proc/sys/net/ipv4/conf/nosuchbr0/route_localnet"));
        assert!(enable_forwarding("../all").is_err());
    });
    if done.is_some() {
        // The host's values are untouched.
        assert_eq!(read("/proc/sys/net/ipv4/conf/lo/route_localnet"), host_lo);
        assert_eq!(read("/proc/sys/net/ipv4/ip_forward"), host_fwd);
    }
}

#[test]
fn missing_nft_message() {
    assert!(FirewallError::NftMissing
        .to_string()
        .starts_with("nftables (nft) is required for bridge networking"));
}
