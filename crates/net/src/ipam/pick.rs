//! [`pick_subnet`]: the first free subnet of berth's default address pools.

use std::net::Ipv4Addr;

use super::Subnet;

/// berth's default pools, in the order they are tried: `10.90.0.0/16` (the default
/// bridge), `10.91.0.0/24` to `10.91.255.0/24` (user networks; podman's own defaults are
/// the 10.88/10.89 equivalents, so both engines can share a host), `172.17.0.0/16` to `172.31.0.0/16`, then `192.168.0.0/20` to
/// `192.168.240.0/20` (Docker's pools).
pub fn default_pools() -> impl Iterator<Item = Subnet> {
    let default = std::iter::once(Subnet::new(Ipv4Addr::new(10, 90, 0, 0), 16));
    let user = (0..=255u8).map(|i| Subnet::new(Ipv4Addr::new(10, 91, i, 0), 24));
    let docker = (17..=31u8).map(|i| Subnet::new(Ipv4Addr::new(172, i, 0, 0), 16));
    let home = (0..16u8).map(|i| Subnet::new(Ipv4Addr::new(192, 168, i * 16, 0), 20));
    default.chain(user).chain(docker).chain(home)
}

/// The first of [`default_pools`] that overlaps neither a `taken` subnet (other berth
/// networks) nor a host route (the default route `0.0.0.0/0` excepted).
pub fn pick_subnet(taken: &[Subnet], routes: &[Subnet]) -> Option<Subnet> {
    default_pools().find(|candidate| {
        !taken.iter().any(|t| t.overlaps(candidate))
            && !routes
                .iter()
                .filter(|r| !r.is_default())
                .any(|r| r.overlaps(candidate))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Subnet {
        text.parse().unwrap()
    }

    #[test]
    fn first_is_default_bridge() {
        assert_eq!(pick_subnet(&[], &[s("0.0.0.0/0")]), Some(s("10.90.0.0/16")));
    }

    #[test]
    fn skips_taken_and_routes() {
        let taken = [s("10.90.0.0/16"), s("10.91.0.0/24")];
        assert_eq!(pick_subnet(&taken, &[]), Some(s("10.91.1.0/24")));
        let routes = [s("0.0.0.0/0"), s("10.91.1.128/25")];
        assert_eq!(pick_subnet(&taken, &routes), Some(s("10.91.2.0/24")));
    }

    #[test]
    fn wide_route_skips_whole_pool() {
        // A VPN route over all of 10/8 pushes networks to 172.17.
        let routes = [s("0.0.0.0/0"), s("10.0.0.0/8"), s("172.17.0.0/16")];
        assert_eq!(pick_subnet(&[], &routes), Some(s("172.18.0.0/16")));
        let routes = [s("10.0.0.0/8"), s("172.16.0.0/12"), s("192.168.0.0/20")];
        assert_eq!(pick_subnet(&[], &routes), Some(s("192.168.16.0/20")));
    }

    #[test]
    fn exhausted() {
        let routes = [s("10.0.0.0/8"), s("172.16.0.0/12"), s("192.168.0.0/16")];
        assert_eq!(pick_subnet(&[], &routes), None);
    }

    #[test]
    fn pool_count() {
        assert_eq!(default_pools().count(), 1 + 256 + 15 + 16);
    }
}
