//! IPv4 addresses and routes: add and list addresses of a link, add and list routes.

use std::net::Ipv4Addr;

use nix::errno::Errno;

use super::consts::*;
use super::message::{attrs, u32_at, Request};
use super::{LinkError, Netlink};

/// One IPv4 route as the kernel reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The destination network.
    pub dst: Ipv4Addr,
    /// The destination prefix length (0 for the default route).
    pub prefix: u8,
    /// The next hop, absent for on-link routes.
    pub gateway: Option<Ipv4Addr>,
    /// The index of the outgoing link.
    pub oif: Option<u32>,
    /// The routing table (254 is `main`).
    pub table: u32,
}

/// An IPv4 address attribute's value.
fn ipv4(data: &[u8]) -> Option<Ipv4Addr> {
    <[u8; 4]>::try_from(data).ok().map(Ipv4Addr::from)
}

/// The broadcast address of `addr/prefix`, or `None` for /31 and /32.
fn broadcast(addr: Ipv4Addr, prefix: u8) -> Option<Ipv4Addr> {
    (prefix < 31).then(|| Ipv4Addr::from(u32::from(addr) | (u32::MAX >> prefix)))
}

/// `struct rtmsg` for an IPv4 route: family, lengths, tos, table, protocol, scope, type, flags.
fn rtmsg(dst_len: u8, table: u8, protocol: u8, scope: u8, kind: u8) -> [u8; 12] {
    [
        AF_INET, dst_len, 0, 0, table, protocol, scope, kind, 0, 0, 0, 0,
    ]
}

impl Netlink {
    /// Adds `addr/prefix` (with its broadcast address) to `name`; an address that is already
    /// there is not an error.
    pub fn add_address(&mut self, name: &str, addr: Ipv4Addr, prefix: u8) -> Result<(), LinkError> {
        let target = format!("{addr}/{prefix} on {name}");
        if prefix > 32 {
            return Err(LinkError::Netlink {
                op: "add address",
                target,
                errno: Errno::EINVAL,
            });
        }
        let index = self.require_index(name, "add address")?;
        let mut req = Request::new(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
        let mut ifaddrmsg = [AF_INET, prefix, 0, RT_SCOPE_UNIVERSE, 0, 0, 0, 0];
        ifaddrmsg[4..8].copy_from_slice(&index.to_ne_bytes());
        req.push(&ifaddrmsg)
            .attr(IFA_LOCAL, &addr.octets())
            .attr(IFA_ADDRESS, &addr.octets());
        if let Some(brd) = broadcast(addr, prefix) {
            req.attr(IFA_BROADCAST, &brd.octets());
        }
        match self.exchange(req, "add address", &target) {
            Err(e) if e.errno() == Some(Errno::EEXIST) => Ok(()),
            other => other.map(drop),
        }
    }

    /// The IPv4 addresses of `name` as `(address, prefix)`.
    pub fn addresses(&mut self, name: &str) -> Result<Vec<(Ipv4Addr, u8)>, LinkError> {
        let index = self.require_index(name, "list addresses")?;
        let mut req = Request::new(RTM_GETADDR, NLM_F_DUMP);
        req.push(&[AF_INET, 0, 0, 0, 0, 0, 0, 0]);
        let replies = self.exchange(req, "list addresses", name)?;
        let mut out = Vec::new();
        for reply in replies.iter().filter(|r| r.msg_type == RTM_NEWADDR) {
            let p = &reply.payload;
            if p.len() < 8 || p[0] != AF_INET || u32_at(p, 4) != Some(index) {
                continue;
            }
            let (mut local, mut address) = (None, None);
            for (kind, data) in attrs(&p[8..]) {
                match kind {
                    IFA_LOCAL => local = ipv4(data),
                    IFA_ADDRESS => address = ipv4(data),
                    _ => {}
                }
            }
            if let Some(addr) = local.or(address) {
                out.push((addr, p[1]));
            }
        }
        Ok(out)
    }

    /// Adds (or replaces) the default route of the main table via `gateway`; the kernel
    /// picks the link from the on-link route that covers `gateway`.
    pub fn add_default_route(&mut self, gateway: Ipv4Addr) -> Result<(), LinkError> {
        let mut req = Request::new(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
        req.push(&rtmsg(
            0,
            RT_TABLE_MAIN,
            RTPROT_BOOT,
            RT_SCOPE_UNIVERSE,
            RTN_UNICAST,
        ))
        .attr(RTA_GATEWAY, &gateway.octets());
        self.exchange(req, "add default route", &format!("via {gateway}"))
            .map(drop)
    }

    /// All IPv4 routes of the namespace, every table.
    pub fn routes(&mut self) -> Result<Vec<Route>, LinkError> {
        let mut req = Request::new(RTM_GETROUTE, NLM_F_DUMP);
        req.push(&rtmsg(0, 0, 0, 0, 0));
        let replies = self.exchange(req, "list routes", "all routes")?;
        let mut out = Vec::new();
        for reply in replies.iter().filter(|r| r.msg_type == RTM_NEWROUTE) {
            let p = &reply.payload;
            if p.len() < 12 || p[0] != AF_INET {
                continue;
            }
            let mut route = Route {
                dst: Ipv4Addr::UNSPECIFIED,
                prefix: p[1],
                gateway: None,
                oif: None,
                table: u32::from(p[4]),
            };
            for (kind, data) in attrs(&p[12..]) {
                match kind {
                    RTA_DST => route.dst = ipv4(data).unwrap_or(route.dst),
                    RTA_GATEWAY => route.gateway = ipv4(data),
                    RTA_OIF => route.oif = u32_at(data, 0),
                    RTA_TABLE => route.table = u32_at(data, 0).unwrap_or(route.table),
                    _ => {}
                }
            }
            out.push(route);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_addresses() {
        let a = Ipv4Addr::new(10, 1, 2, 3);
        assert_eq!(broadcast(a, 24), Some(Ipv4Addr::new(10, 1, 2, 255)));
        assert_eq!(broadcast(a, 0), Some(Ipv4Addr::BROADCAST));
        assert_eq!(broadcast(a, 31), None);
    }
}
