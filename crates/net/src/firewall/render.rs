//! [`render`]: the ruleset as an `nft -f` script that atomically replaces berth's table.

use std::fmt::Write;
use std::net::IpAddr;

use super::{NetworkRules, PortRule, Ruleset};

/// Renders `r` as an nft script that replaces table `inet <r.table>` and nothing else:
/// `table inet T {}` (creates it if missing), `delete table inet T`, then the full table,
/// which `nft -f` applies as one transaction. Chains:
///
/// - `postrouting` (nat, srcnat): masquerade each non-internal subnet leaving through any
///   other interface than its bridge; masquerade `127.0.0.0/8` leaving through a bridge
///   (ports published on localhost) and hairpin DNAT (a container reaching a published
///   port of its own network).
/// - `prerouting` (nat, dstnat) and `output` (nat, -100): one DNAT a published port, on
///   `fib daddr type local` or `ip daddr <host_ip>`; `output` serves the host itself.
/// - `forward` (filter, policy accept): internal networks closed, replies and DNAT'ed
///   traffic to bridges accepted, traffic between different berth bridges dropped, and
///   other unsolicited traffic routed to a bridge dropped.
///
/// Names are not checked here: [`apply`](super::apply) validates before rendering.
pub fn render(r: &Ruleset) -> String {
    let t = &r.table;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# berth: replaces table inet {t} atomically; generated, do not edit"
    );
    let _ = writeln!(s, "table inet {t} {{}}");
    let _ = writeln!(s, "delete table inet {t}");
    let _ = writeln!(s, "table inet {t} {{");
    postrouting(&mut s, r);
    dnat_chain(&mut s, r, "prerouting", "priority dstnat");
    dnat_chain(&mut s, r, "output", "priority -100");
    forward(&mut s, r);
    s.push_str("}\n");
    s
}

/// Opens a base chain.
fn open_chain(s: &mut String, name: &str, kind: &str, hook: &str, priority: &str) {
    let _ = writeln!(s, "\tchain {name} {{");
    let _ = writeln!(s, "\t\ttype {kind} hook {hook} {priority}; policy accept;");
}

/// Writes one rule line.
fn rule(s: &mut String, text: &str) {
    let _ = writeln!(s, "\t\t{text}");
}

/// `{ "a", "b" }` (or `"a"` for one name): an anonymous set of interface names.
fn iface_set<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = names.into_iter().map(|n| format!("\"{n}\"")).collect();
    match quoted.len() {
        1 => quoted[0].clone(),
        _ => format!("{{ {} }}", quoted.join(", ")),
    }
}

/// The bridges of networks matching `keep`.
fn bridges(r: &Ruleset, keep: impl Fn(&NetworkRules) -> bool) -> Vec<&str> {
    r.networks
        .iter()
        .filter(|n| keep(n))
        .map(|n| n.bridge.as_str())
        .collect()
}

/// The `postrouting` chain: masquerade.
fn postrouting(s: &mut String, r: &Ruleset) {
    open_chain(s, "postrouting", "nat", "postrouting", "priority srcnat");
    for net in r.networks.iter().filter(|n| !n.internal) {
        let (b, subnet) = (&net.bridge, net.subnet);
        rule(
            s,
            &format!("ip saddr {subnet} oifname != \"{b}\" masquerade"),
        );
        rule(
            s,
            &format!("ip saddr {subnet} oifname \"{b}\" ct status dnat masquerade"),
        );
    }
    let open = bridges(r, |n| !n.internal);
    if !open.is_empty() {
        let set = iface_set(open);
        rule(s, &format!("ip saddr 127.0.0.0/8 oifname {set} masquerade"));
    }
    s.push_str("\t}\n");
}

/// The `prerouting` or `output` chain: DNAT of published ports.
fn dnat_chain(s: &mut String, r: &Ruleset, name: &str, priority: &str) {
    open_chain(s, name, "nat", name, priority);
    for port in &r.ports {
        match dnat_rule(port) {
            Some(text) => rule(s, &text),
            None => rule(
                s,
                &format!(
                    "# skipped {}: cannot forward IPv6 {} to an IPv4 container",
                    port.id,
                    port.host_ip.map(|ip| ip.to_string()).unwrap_or_default()
                ),
            ),
        }
    }
    s.push_str("\t}\n");
}

/// One DNAT rule, or `None` for a specific IPv6 host address.
fn dnat_rule(p: &PortRule) -> Option<String> {
    let dest = match p.host_ip {
        Some(IpAddr::V4(ip)) if !ip.is_unspecified() => format!("ip daddr {ip}"),
        Some(IpAddr::V6(ip)) if !ip.is_unspecified() => return None,
        _ => "meta nfproto ipv4 fib daddr type local".to_string(),
    };
    Some(format!(
        "{dest} {proto} dport {hp} dnat ip to {cip}:{cp} comment \"{id}\"",
        proto = p.proto,
        hp = p.host_port,
        cip = p.container_ip,
        cp = p.container_port,
        id = comment_text(&p.id),
    ))
}

/// A container id made safe for an nft comment (quotes and control characters dropped,
/// at most 128 bytes).
fn comment_text(id: &str) -> String {
    id.chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .take(128)
        .collect()
}

/// The `forward` chain: isolation and what may reach the containers.
fn forward(s: &mut String, r: &Ruleset) {
    open_chain(s, "forward", "filter", "forward", "priority filter");
    let all = bridges(r, |_| true);
    for b in bridges(r, |n| n.internal) {
        rule(s, &format!("iifname \"{b}\" oifname != \"{b}\" drop"));
        rule(s, &format!("oifname \"{b}\" iifname != \"{b}\" drop"));
    }
    if !all.is_empty() {
        let set = iface_set(all.iter().copied());
        rule(
            s,
            &format!("oifname {set} ct state established,related accept"),
        );
        rule(s, &format!("oifname {set} ct status dnat accept"));
    }
    for b in &all {
        let others: Vec<&str> = all.iter().copied().filter(|o| o != b).collect();
        if !others.is_empty() {
            rule(
                s,
                &format!("iifname \"{b}\" oifname {} drop", iface_set(others)),
            );
        }
    }
    let open = bridges(r, |n| !n.internal);
    if !open.is_empty() {
        let set = iface_set(open);
        // Same-bridge traffic only reaches this hook with br_netfilter loaded.
        rule(s, &format!("iifname {set} oifname {set} accept"));
        rule(s, &format!("oifname {set} drop"));
    }
    s.push_str("\t}\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipam::Proto;

    pub(crate) fn sample() -> Ruleset {
        Ruleset {
            table: "berth".into(),
            networks: vec![
                NetworkRules {
                    bridge: "berth0".into(),
                    subnet: "10.88.0.0/16".parse().unwrap(),
                    internal: false,
                },
                NetworkRules {
                    bridge: "berth-a1".into(),
                    subnet: "10.89.1.0/24".parse().unwrap(),
                    internal: false,
                },
                NetworkRules {
                    bridge: "berth-i2".into(),
                    subnet: "10.89.2.0/24".parse().unwrap(),
                    internal: true,
                },
            ],
            ports: vec![
                PortRule {
                    network_bridge: "berth0".into(),
                    host_ip: None,
                    host_port: 8080,
                    proto: Proto::Tcp,
                    container_ip: "10.88.0.2".parse().unwrap(),
                    container_port: 80,
                    id: "abc123".into(),
                },
                PortRule {
                    network_bridge: "berth-a1".into(),
                    host_ip: Some("127.0.0.1".parse().unwrap()),
                    host_port: 5353,
                    proto: Proto::Udp,
                    container_ip: "10.89.1.5".parse().unwrap(),
                    container_port: 53,
                    id: "def456".into(),
                },
                PortRule {
                    network_bridge: "berth-a1".into(),
                    host_ip: Some("::1".parse().unwrap()),
                    host_port: 9000,
                    proto: Proto::Tcp,
                    container_ip: "10.89.1.5".parse().unwrap(),
                    container_port: 9000,
                    id: "def456".into(),
                },
            ],
        }
    }

    fn has(script: &str, line: &str) {
        assert!(
            script.lines().any(|l| l.trim() == line),
            "missing line {line:?} in:\n{script}"
        );
    }

    #[test]
    fn replaces_only_its_table() {
        let script = render(&sample());
        let head: Vec<&str> = script.lines().skip(1).take(3).collect();
        assert_eq!(
            head,
            [
                "table inet berth {}",
                "delete table inet berth",
                "table inet berth {"
            ]
        );
        assert!(!script.contains("flush"));
        let statements = script.lines().filter(|l| !l.starts_with('#'));
        assert_eq!(statements.filter(|l| l.contains("table inet")).count(), 3);
    }

    #[test]
    fn masquerade() {
        let script = render(&sample());
        has(
            &script,
            "type nat hook postrouting priority srcnat; policy accept;",
        );
        has(
            &script,
            "ip saddr 10.88.0.0/16 oifname != \"berth0\" masquerade",
        );
        has(
            &script,
            "ip saddr 10.89.1.0/24 oifname != \"berth-a1\" masquerade",
        );
        has(
            &script,
            "ip saddr 10.88.0.0/16 oifname \"berth0\" ct status dnat masquerade",
        );
        has(
            &script,
            "ip saddr 127.0.0.0/8 oifname { \"berth0\", \"berth-a1\" } masquerade",
        );
        assert!(
            !script.contains("10.89.2.0/24"),
            "internal network masqueraded"
        );
    }

    #[test]
    fn published_ports() {
        let script = render(&sample());
        has(
            &script,
            "type nat hook prerouting priority dstnat; policy accept;",
        );
        has(
            &script,
            "type nat hook output priority -100; policy accept;",
        );
        let all = "meta nfproto ipv4 fib daddr type local tcp dport 8080 dnat ip to 10.88.0.2:80 comment \"abc123\"";
        let lo = "ip daddr 127.0.0.1 udp dport 5353 dnat ip to 10.89.1.5:53 comment \"def456\"";
        assert_eq!(script.lines().filter(|l| l.trim() == all).count(), 2);
        assert_eq!(script.lines().filter(|l| l.trim() == lo).count(), 2);
        assert!(script.contains("# skipped def456: cannot forward IPv6 ::1"));
    }

    #[test]
    fn forward_rules() {
        let script = render(&sample());
        has(
            &script,
            "type filter hook forward priority filter; policy accept;",
        );
        has(&script, "iifname \"berth-i2\" oifname != \"berth-i2\" drop");
        has(&script, "oifname \"berth-i2\" iifname != \"berth-i2\" drop");
        let all = "{ \"berth0\", \"berth-a1\", \"berth-i2\" }";
        has(
            &script,
            &format!("oifname {all} ct state established,related accept"),
        );
        has(&script, &format!("oifname {all} ct status dnat accept"));
        has(
            &script,
            "iifname \"berth0\" oifname { \"berth-a1\", \"berth-i2\" } drop",
        );
        has(
            &script,
            "iifname \"berth-a1\" oifname { \"berth0\", \"berth-i2\" } drop",
        );
        has(
            &script,
            "iifname \"berth-i2\" oifname { \"berth0\", \"berth-a1\" } drop",
        );
        has(&script, "oifname { \"berth0\", \"berth-a1\" } drop");
        // Internal closure comes before anything is accepted.
        let internal = script.find("iifname \"berth-i2\" oifname !=").unwrap();
        let accept = script.find("ct state established,related accept").unwrap();
        assert!(internal < accept);
    }

    #[test]
    fn single_network_and_custom_table() {
        let mut r = sample();
        r.table = "berth_test".into();
        r.networks.truncate(1);
        r.ports.truncate(1);
        let script = render(&r);
        has(&script, "table inet berth_test {}");
        has(
            &script,
            "oifname \"berth0\" ct state established,related accept",
        );
        assert!(
            !script.contains("iifname \"berth0\" oifname {"),
            "isolation with one bridge"
        );
        has(
            &script,
            "ip saddr 127.0.0.0/8 oifname \"berth0\" masquerade",
        );
    }

    #[test]
    fn unspecified_host_ip_means_all() {
        let mut r = sample();
        r.ports.truncate(1);
        r.ports[0].host_ip = Some("0.0.0.0".parse().unwrap());
        assert!(render(&r).contains("fib daddr type local tcp dport 8080"));
        r.ports[0].host_ip = Some("::".parse().unwrap());
        assert!(render(&r).contains("fib daddr type local tcp dport 8080"));
    }

    #[test]
    fn validation() {
        let mut r = sample();
        assert!(r.validate().is_ok());
        r.table = "berth; flush ruleset".into();
        assert!(r.validate().is_err());
        let mut r = sample();
        r.networks[0].bridge = "bad\"name".into();
        assert!(r.validate().is_err());
        let mut r = sample();
        r.ports[0].host_port = 0;
        assert!(r.validate().unwrap_err().to_string().contains("port 0"));
        let mut r = sample();
        r.ports[0].network_bridge = "nope".into();
        assert!(r.validate().is_err());
        let mut r = sample();
        r.ports[0].container_ip = "10.89.1.9".parse().unwrap();
        assert!(r.validate().is_err());
        let mut r = sample();
        r.remove_ports_of("def456");
        assert_eq!(r.ports.len(), 1);
    }
}
