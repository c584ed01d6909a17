//! Networks: a service's `networks` (list or map) and the top-level `networks` with their
//! real names (`<project>_<key>` unless `name:` or `external`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::env::string_map;
use super::node::Node;
use crate::Result;

/// How a service joins one network.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServiceNetwork {
    /// Extra DNS names on this network.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Static IPv4 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv4_address: Option<String>,
    /// Static IPv6 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
    /// Link-local addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub link_local_ips: Vec<String>,
    /// MAC address on this network.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    /// Interface name in the container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface_name: Option<String>,
    /// Order of connection (higher first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// Which network gives the default gateway (highest wins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gw_priority: Option<i64>,
    /// Driver options for the endpoint.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
}

impl ServiceNetwork {
    fn is_empty(&self) -> bool {
        *self == ServiceNetwork::default()
    }
}

/// Reads a service's `networks` (list of keys, or map key -> null or options). An empty
/// options map becomes None, as compose prints `net: null`.
pub(crate) fn service_networks(
    n: Node<'_, '_>,
) -> Result<BTreeMap<String, Option<ServiceNetwork>>> {
    let mut out = BTreeMap::new();
    match n.v {
        serde_json::Value::Null => {}
        serde_json::Value::Array(_) => {
            for item in n.items()? {
                out.insert(item.node().str()?.to_string(), None);
            }
        }
        _ => {
            for (name, c) in n.entries()? {
                let c = c.node();
                let mut sn = ServiceNetwork::default();
                for (k, o) in c.entries_or_null()? {
                    let o = o.node();
                    match k {
                        "aliases" => sn.aliases = o.string_or_list()?,
                        "ipv4_address" => sn.ipv4_address = Some(ip(o, false)?),
                        "ipv6_address" => sn.ipv6_address = Some(ip(o, true)?),
                        "link_local_ips" => sn.link_local_ips = o.string_or_list()?,
                        "mac_address" => sn.mac_address = Some(o.scalar()?),
                        "interface_name" => sn.interface_name = Some(o.scalar()?),
                        "priority" => sn.priority = Some(o.i64()?),
                        "gw_priority" => sn.gw_priority = Some(o.i64()?),
                        "driver_opts" => sn.driver_opts = string_map(o)?,
                        k if k.starts_with("x-") => {}
                        k => return Err(o.err(format!("unknown service network attribute {k:?}"))),
                    }
                }
                out.insert(name.to_string(), (!sn.is_empty()).then_some(sn));
            }
        }
    }
    Ok(out)
}

fn ip(n: Node<'_, '_>, v6: bool) -> Result<String> {
    let s = n.str()?;
    let ok = if v6 {
        s.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        s.parse::<std::net::Ipv4Addr>().is_ok()
    };
    if !ok {
        return Err(n.err(format!(
            "invalid IPv{} address: {s}",
            if v6 { 6 } else { 4 }
        )));
    }
    Ok(s.to_string())
}

/// A top-level network.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Network {
    /// The real name (`<project>_<key>`, or `name:`, or the key when external).
    pub name: String,
    /// Driver (`bridge` when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// Driver options.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    /// Address management.
    #[serde(skip_serializing_if = "Ipam::is_empty")]
    pub ipam: Ipam,
    /// Created elsewhere; compose neither creates nor removes it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    /// No outside connectivity.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
    /// Standalone containers may attach.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub attachable: bool,
    /// IPv4 on (default) or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_ipv4: Option<bool>,
    /// IPv6 on or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_ipv6: Option<bool>,
    /// Labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// `ipam` of a network.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ipam {
    /// IPAM driver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// Address pools.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<IpamPool>,
    /// Driver options.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

impl Ipam {
    fn is_empty(&self) -> bool {
        *self == Ipam::default()
    }
}

/// One `ipam.config` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IpamPool {
    /// CIDR subnet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet: Option<String>,
    /// Range to allocate from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_range: Option<String>,
    /// Gateway address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    /// Reserved addresses.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub aux_addresses: BTreeMap<String, String>,
}

/// Reads `external`: a boolean, or the legacy `{name: x}` (returned as the name).
pub(crate) fn external(n: Node<'_, '_>) -> Result<(bool, Option<String>)> {
    if n.v.is_object() {
        let name = match n.get("name") {
            Some(c) => Some(c.node().scalar()?),
            None => None,
        };
        return Ok((true, name));
    }
    Ok((n.bool()?, None))
}

/// The real name of a top-level resource.
pub(crate) fn real_name(project: &str, key: &str, name: Option<String>, external: bool) -> String {
    match name {
        Some(n) => n,
        None if external => key.to_string(),
        None => format!("{project}_{key}"),
    }
}

/// Reads one top-level network.
pub(crate) fn network(key: &str, n: Node<'_, '_>, project: &str) -> Result<Network> {
    let mut net = Network::default();
    let mut name = None;
    for (k, c) in n.entries_or_null()? {
        let c = c.node();
        match k {
            "name" => name = Some(c.scalar()?),
            "driver" => net.driver = Some(c.scalar()?),
            "driver_opts" => net.driver_opts = string_map(c)?,
            "external" => {
                let (e, n) = external(c)?;
                net.external = e;
                name = name.or(n);
            }
            "internal" => net.internal = c.bool()?,
            "attachable" => net.attachable = c.bool()?,
            "enable_ipv4" => net.enable_ipv4 = Some(c.bool()?),
            "enable_ipv6" => net.enable_ipv6 = Some(c.bool()?),
            "labels" => net.labels = string_map(c)?,
            "ipam" => net.ipam = ipam(c)?,
            k if k.starts_with("x-") => {}
            k => return Err(c.err(format!("unknown network attribute {k:?}"))),
        }
    }
    if net.external && (net.driver.is_some() || !net.ipam.is_empty()) {
        return Err(n.err(format!("conflicting parameters \"external\" and \"driver\"/\"ipam\" specified for network {key:?}")));
    }
    net.name = real_name(project, key, name, net.external);
    Ok(net)
}

fn ipam(n: Node<'_, '_>) -> Result<Ipam> {
    let mut ipam = Ipam::default();
    for (k, c) in n.entries_or_null()? {
        let c = c.node();
        match k {
            "driver" => ipam.driver = Some(c.scalar()?),
            "options" => ipam.options = string_map(c)?,
            "config" => {
                if c.is_null() {
                    continue;
                }
                for item in c.items()? {
                    let item = item.node();
                    let mut pool = IpamPool::default();
                    for (k, o) in item.entries()? {
                        let o = o.node();
                        match k {
                            "subnet" => pool.subnet = Some(cidr(o)?),
                            "ip_range" => pool.ip_range = Some(cidr(o)?),
                            "gateway" => {
                                let g = o.str()?;
                                g.parse::<std::net::IpAddr>()
                                    .map_err(|_| o.err(format!("invalid gateway address: {g}")))?;
                                pool.gateway = Some(g.to_string());
                            }
                            "aux_addresses" => pool.aux_addresses = string_map(o)?,
                            k if k.starts_with("x-") => {}
                            k => return Err(o.err(format!("unknown ipam config attribute {k:?}"))),
                        }
                    }
                    ipam.config.push(pool);
                }
            }
            k if k.starts_with("x-") => {}
            k => return Err(c.err(format!("unknown ipam attribute {k:?}"))),
        }
    }
    Ok(ipam)
}

fn cidr(n: Node<'_, '_>) -> Result<String> {
    let s = n.str()?;
    let ok = s.split_once('/').is_some_and(|(ip, bits)| {
        match (ip.parse::<std::net::IpAddr>(), bits.parse::<u8>()) {
            (Ok(std::net::IpAddr::V4(_)), Ok(b)) => b <= 32,
            (Ok(std::net::IpAddr::V6(_)), Ok(b)) => b <= 128,
            _ => false,
        }
    });
    if !ok {
        return Err(n.err(format!("invalid CIDR address: {s}")));
    }
    Ok(s.to_string())
}
