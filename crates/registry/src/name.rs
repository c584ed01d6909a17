//! Registry host names with Docker's semantics: `docker.io`, `index.docker.io` and
//! `registry-1.docker.io` are one registry (Docker Hub), whose API lives on
//! `registry-1.docker.io`; loopback registries may speak plain HTTP.

use std::net::IpAddr;

/// The name berth records Docker Hub images under.
pub const DOCKER_HUB: &str = "docker.io";
/// The host that serves Docker Hub's registry API.
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// Whether `registry` names Docker Hub.
pub fn is_docker_hub(registry: &str) -> bool {
    matches!(
        registry,
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    )
}

/// The name a registry is recorded and keyed under (`index.docker.io` -> `docker.io`).
pub fn canonical(registry: &str) -> &str {
    if is_docker_hub(registry) {
        DOCKER_HUB
    } else {
        registry
    }
}

/// The host (with port) to send API requests for `registry` to.
pub fn api_host(registry: &str) -> &str {
    if is_docker_hub(registry) {
        DOCKER_HUB_API
    } else {
        registry
    }
}

/// `host[:port]` split into the host (brackets of an IPv6 literal removed) and the port.
pub fn split_port(host: &str) -> (&str, Option<&str>) {
    if let Some(rest) = host.strip_prefix('[') {
        if let Some((h, after)) = rest.split_once(']') {
            return (h, after.strip_prefix(':'));
        }
    }
    match host.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(p)),
        _ => (host, None),
    }
}

/// Whether `host[:port]` is a loopback address (`localhost`, `127.0.0.0/8`, `::1`), which
/// Docker lets speak plain HTTP without configuration.
pub fn is_loopback(host: &str) -> bool {
    let (h, _) = split_port(host);
    h == "localhost"
        || h.ends_with(".localhost")
        || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_aliases() {
        for r in ["docker.io", "index.docker.io", "registry-1.docker.io"] {
            assert!(is_docker_hub(r));
            assert_eq!(canonical(r), "docker.io");
            assert_eq!(api_host(r), "registry-1.docker.io");
        }
        assert_eq!(api_host("quay.io"), "quay.io");
    }

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("127.0.0.1:5000"));
        assert!(is_loopback("127.1.2.3"));
        assert!(is_loopback("localhost:5000"));
        assert!(is_loopback("[::1]:5000"));
        assert!(!is_loopback("10.0.0.1:5000"));
        assert!(!is_loopback("example.com"));
        assert_eq!(split_port("[::1]:80"), ("::1", Some("80")));
        assert_eq!(split_port("a.b:443"), ("a.b", Some("443")));
    }
}
