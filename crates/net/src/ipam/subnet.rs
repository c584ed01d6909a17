//! [`Subnet`]: an IPv4 prefix and its address math.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::SubnetError;

/// An IPv4 network prefix such as `10.88.0.0/16`; `addr` has no host bits set.
///
/// Serialized as its CIDR text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subnet {
    /// The network address (host bits clear).
    pub addr: Ipv4Addr,
    /// The prefix length, 0 to 32.
    pub prefix: u8,
}

impl Subnet {
    /// The prefix of `prefix` bits (clamped to 32) containing `addr`, host bits cleared.
    pub fn new(addr: Ipv4Addr, prefix: u8) -> Subnet {
        let prefix = prefix.min(32);
        Subnet {
            addr: Ipv4Addr::from(u32::from(addr) & mask(prefix)),
            prefix,
        }
    }

    /// The netmask as a number (`/16` is `0xffff0000`).
    pub fn mask(&self) -> u32 {
        mask(self.prefix)
    }

    /// The number of addresses in the prefix, network and broadcast included.
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    /// Whether `ip` is inside this prefix.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.addr)
    }

    /// Whether the two prefixes share any address (one contains the other).
    pub fn overlaps(&self, other: &Subnet) -> bool {
        let m = mask(self.prefix.min(other.prefix));
        u32::from(self.addr) & m == u32::from(other.addr) & m
    }

    /// The `n`th host address (1 is the first, the gateway), or `None` when it is the
    /// broadcast address or beyond, or when `n` is 0 (the network address).
    pub fn nth_host(&self, n: u32) -> Option<Ipv4Addr> {
        if n == 0 || u64::from(n) >= self.size().saturating_sub(1) {
            return None;
        }
        Some(Ipv4Addr::from(u32::from(self.addr) + n))
    }

    /// The gateway: the first host address (`10.88.0.1` for `10.88.0.0/16`). Meaningful
    /// for prefixes up to /30 only.
    pub fn gateway(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr).wrapping_add(1))
    }

    /// The broadcast address: the last address of the prefix.
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) | !self.mask())
    }

    /// The index of `ip` within the prefix (0 for the network address), if inside.
    pub fn index_of(&self, ip: Ipv4Addr) -> Option<u32> {
        self.contains(ip)
            .then(|| u32::from(ip) - u32::from(self.addr))
    }

    /// Whether this is the default route's prefix, `0.0.0.0/0`.
    pub fn is_default(&self) -> bool {
        self.prefix == 0
    }
}

/// The netmask of a prefix length (0..=32).
fn mask(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p => u32::MAX << (32 - u32::from(p.min(32))),
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl FromStr for Subnet {
    type Err = SubnetError;

    /// Parses `a.b.c.d/len`; host bits set is an error naming the proper network address.
    fn from_str(s: &str) -> Result<Subnet, SubnetError> {
        let (addr, prefix) = s
            .split_once('/')
            .ok_or_else(|| SubnetError::Syntax(s.to_string()))?;
        let addr: Ipv4Addr = addr
            .parse()
            .map_err(|_| SubnetError::Syntax(s.to_string()))?;
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SubnetError::Syntax(s.to_string()));
        }
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(|| SubnetError::Prefix(s.to_string()))?;
        let subnet = Subnet::new(addr, prefix);
        if subnet.addr != addr {
            return Err(SubnetError::HostBits {
                given: s.to_string(),
                expected: subnet,
            });
        }
        Ok(subnet)
    }
}

impl Serialize for Subnet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Subnet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Subnet, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Subnet {
        text.parse().unwrap()
    }

    #[test]
    fn parse_and_display() {
        let n = s("10.88.0.0/16");
        assert_eq!(n.addr, Ipv4Addr::new(10, 88, 0, 0));
        assert_eq!(n.prefix, 16);
        assert_eq!(n.to_string(), "10.88.0.0/16");
        assert_eq!(s("0.0.0.0/0").to_string(), "0.0.0.0/0");
        assert_eq!(s("1.2.3.4/32").to_string(), "1.2.3.4/32");
    }

    #[test]
    fn parse_errors() {
        assert!(matches!(
            "10.88.0.0".parse::<Subnet>(),
            Err(SubnetError::Syntax(_))
        ));
        assert!(matches!(
            "10.88.0/16".parse::<Subnet>(),
            Err(SubnetError::Syntax(_))
        ));
        assert!(matches!(
            "10.88.0.0/".parse::<Subnet>(),
            Err(SubnetError::Syntax(_))
        ));
        assert!(matches!(
            "10.88.0.0/33".parse::<Subnet>(),
            Err(SubnetError::Prefix(_))
        ));
        let err = "10.88.0.1/16".parse::<Subnet>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid subnet 10.88.0.1/16: it should be 10.88.0.0/16"
        );
    }

    #[test]
    fn math() {
        let n = s("10.88.0.0/16");
        assert_eq!(n.gateway(), Ipv4Addr::new(10, 88, 0, 1));
        assert_eq!(n.broadcast(), Ipv4Addr::new(10, 88, 255, 255));
        assert_eq!(n.nth_host(1), Some(Ipv4Addr::new(10, 88, 0, 1)));
        assert_eq!(n.nth_host(256), Some(Ipv4Addr::new(10, 88, 1, 0)));
        assert_eq!(n.nth_host(65534), Some(Ipv4Addr::new(10, 88, 255, 254)));
        assert_eq!(n.nth_host(65535), None);
        assert_eq!(n.nth_host(0), None);
        assert_eq!(n.size(), 65536);
        assert!(n.contains(Ipv4Addr::new(10, 88, 3, 4)));
        assert!(!n.contains(Ipv4Addr::new(10, 89, 0, 1)));
        assert_eq!(n.index_of(Ipv4Addr::new(10, 88, 1, 2)), Some(258));
        let small = s("192.168.1.0/30");
        assert_eq!(small.nth_host(2), Some(Ipv4Addr::new(192, 168, 1, 2)));
        assert_eq!(small.nth_host(3), None);
        assert_eq!(small.broadcast(), Ipv4Addr::new(192, 168, 1, 3));
        assert_eq!(s("1.2.3.4/32").nth_host(1), None);
        assert_eq!(
            Subnet::new(Ipv4Addr::new(172, 17, 5, 9), 16),
            s("172.17.0.0/16")
        );
    }

    #[test]
    fn overlaps() {
        assert!(s("10.0.0.0/8").overlaps(&s("10.88.0.0/16")));
        assert!(s("10.88.0.0/16").overlaps(&s("10.0.0.0/8")));
        assert!(s("10.88.0.0/16").overlaps(&s("10.88.7.0/24")));
        assert!(!s("10.88.0.0/16").overlaps(&s("10.89.0.0/24")));
        assert!(s("0.0.0.0/0").overlaps(&s("10.89.0.0/24")));
        assert!(!s("192.168.0.0/20").overlaps(&s("192.168.16.0/20")));
        assert!(s("192.168.17.5/32").overlaps(&s("192.168.16.0/20")));
    }

    #[test]
    fn serde_as_text() {
        let n = s("10.89.3.0/24");
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"10.89.3.0/24\"");
        assert_eq!(
            serde_json::from_str::<Subnet>("\"10.89.3.0/24\"").unwrap(),
            n
        );
        assert!(serde_json::from_str::<Subnet>("\"10.89.3.1/24\"").is_err());
    }
}
