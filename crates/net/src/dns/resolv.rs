//! Upstream servers from `/etc/resolv.conf`.

use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};

/// The DNS port.
pub const DNS_PORT: u16 = 53;

/// Parses /etc/resolv.conf text into upstream servers (port 53), in file order and
/// without duplicates, skipping the listening address itself (any address in
/// `exclude`) to avoid loops. A loopback resolver (127.0.0.53, systemd-resolved style)
/// is kept: the server runs on the host side, where it is reachable. IPv6 link-local
/// servers may carry a `%scope` (interface name or index); unknown scopes are skipped.
pub fn upstreams_from_resolv_conf(text: &str, exclude: &[IpAddr]) -> Vec<SocketAddr> {
    let mut out: Vec<SocketAddr> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let mut words = line.split_whitespace();
        if words.next() != Some("nameserver") {
            continue;
        }
        let Some(addr) = words.next().and_then(parse_server) else {
            continue;
        };
        if exclude.contains(&addr.ip()) || out.contains(&addr) {
            continue;
        }
        out.push(addr);
    }
    out
}

fn parse_server(word: &str) -> Option<SocketAddr> {
    // Trailing comments on the same line are not standard but common enough.
    let word = word.split(['#', ';']).next()?;
    if let Ok(ip) = word.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, DNS_PORT));
    }
    let (ip, scope) = word.split_once('%')?;
    let ip: Ipv6Addr = ip.parse().ok()?;
    let scope_id = match scope.parse::<u32>() {
        Ok(index) => index,
        Err(_) => interface_index(scope)?,
    };
    Some(SocketAddr::V6(SocketAddrV6::new(ip, DNS_PORT, 0, scope_id)))
}

fn interface_index(name: &str) -> Option<u32> {
    nix::net::if_::if_nametoindex(name)
        .ok()
        .filter(|&index| index != 0)
}
