//! What `create` decides about a container's network: which bridge network, its address,
//! its MAC, its published ports (host ports picked and checked), its netns and veth names.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use berth_net::ipam::{self, PortMapping, Proto};
use berth_store::oci::ContainerConfig;

use super::attachment::{Attachment, PublishedPort};
use super::record::NetworkRecord;
use crate::containers::record::ContainerRecord;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::spec::{NetworkMode, RunOptions};

/// The network a `--network` value puts a container on, if it is a bridge network.
pub fn bridge_network(e: &Engine, mode: &NetworkMode) -> Result<Option<NetworkRecord>> {
    match mode {
        NetworkMode::Default => Ok(Some(e.default_network()?)),
        NetworkMode::Named(name) => {
            Ok(Some(e.network(name).map_err(|_| {
                Error::Invalid(format!("network {name} not found"))
            })?))
        }
        _ => Ok(None),
    }
}

fn proto_name(p: Proto) -> &'static str {
    match p {
        Proto::Tcp => "tcp",
        Proto::Udp => "udp",
        Proto::Sctp => "sctp",
    }
}

impl Engine {
    /// Plans container `id`'s attachment to `n`. The caller holds the network's lock until
    /// the container's record is stored, so two creates never take the same address.
    pub fn plan_attachment(
        &self,
        id: &str,
        n: &NetworkRecord,
        opts: &RunOptions,
        image: &ContainerConfig,
    ) -> Result<Attachment> {
        let subnet = n.subnet()?;
        let gateway = n.gateway_ip()?;
        let others = crate::containers::record::list(&self.db)?;
        let ip = allocate_ip(n, opts.ip.as_deref(), &others)?;
        let ports = self.plan_ports(opts, image, &others)?;
        let mac = berth_net::link::mac_for(ip);
        Ok(Attachment {
            network: n.name.clone(),
            network_id: n.id.clone(),
            bridge: n.bridge.clone(),
            ip: ip.to_string(),
            prefix: subnet.prefix,
            gateway: gateway.to_string(),
            mac: mac
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":"),
            aliases: opts.network_aliases.clone(),
            ports,
            netns: self.netns_path(id),
            host_veth: format!("veth{}", &id[..8]),
            ifname: String::new(),
        })
    }

    /// `-p` and `-P` resolved: host ports picked where none was given, each checked
    /// against other containers' ports and the host's listening sockets.
    fn plan_ports(
        &self,
        opts: &RunOptions,
        image: &ContainerConfig,
        others: &[ContainerRecord],
    ) -> Result<Vec<PublishedPort>> {
        let taken: Vec<&PublishedPort> = others
            .iter()
            .filter_map(|r| r.net.as_ref())
            .flat_map(|a| a.ports.iter())
            .collect();
        let mut out: Vec<PublishedPort> = Vec::new();
        for m in wanted_ports(opts, image)? {
            let proto = proto_name(m.proto).to_string();
            let host_ip = m.host_ip.map(|i| i.to_string()).unwrap_or_default();
            let clash = |port: u16| {
                taken.iter().copied().chain(out.iter()).any(|t| {
                    t.host_port == port
                        && t.proto == proto
                        && (t.host_ip.is_empty() || host_ip.is_empty() || t.host_ip == host_ip)
                })
            };
            let host_port = host_port(&m, &host_ip, clash)?;
            out.push(PublishedPort {
                host_ip,
                host_port,
                container_port: m.container_port,
                proto,
            });
        }
        Ok(out)
    }
}

/// The `-p` mappings, then with `-P` one for each exposed port (the image's and
/// `--expose`) no `-p` maps.
fn wanted_ports(opts: &RunOptions, image: &ContainerConfig) -> Result<Vec<PortMapping>> {
    let mut wanted: Vec<PortMapping> = Vec::new();
    for p in &opts.publish {
        wanted.extend(ipam::parse_publish(p).map_err(|e| Error::NetworkInput(e.into()))?);
    }
    if opts.publish_all {
        let mut exposed: Vec<String> = image
            .exposed_ports
            .as_ref()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        exposed.extend(opts.expose.iter().cloned());
        for m in ipam::expose_to_mappings(&exposed) {
            if !wanted
                .iter()
                .any(|w| w.container_port == m.container_port && w.proto == m.proto)
            {
                wanted.push(m);
            }
        }
    }
    Ok(wanted)
}

/// The host port for mapping `m`: a free one that `clash`es with no other container's
/// when none was given (50 tries), else the given one if neither taken nor in use.
fn host_port(m: &PortMapping, host_ip: &str, clash: impl Fn(u16) -> bool) -> Result<u16> {
    let bind_ip = m.host_ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if m.host_port != 0 {
        if clash(m.host_port) || ipam::port_in_use(bind_ip, m.host_port, m.proto) {
            return Err(Error::Conflict(format!(
                "Bind for {}:{} failed: port is already allocated",
                if host_ip.is_empty() {
                    "0.0.0.0"
                } else {
                    host_ip
                },
                m.host_port
            )));
        }
        return Ok(m.host_port);
    }
    for _ in 0..50 {
        let p = ipam::free_port(bind_ip, m.proto, None)
            .map_err(|e| Error::Invalid(format!("pick a host port: {e}")))?;
        if !clash(p) {
            return Ok(p);
        }
    }
    Err(Error::Conflict("no free host port".into()))
}

/// An address on `n` for a container: `requested` (`--ip`, checked: in the subnet, not
/// the gateway, network or broadcast address, not taken) or the first free one. `others`
/// are the recorded containers, whose attachments hold the taken addresses.
pub fn allocate_ip(
    n: &NetworkRecord,
    requested: Option<&str>,
    others: &[ContainerRecord],
) -> Result<Ipv4Addr> {
    let subnet = n.subnet()?;
    let gateway = n.gateway_ip()?;
    let used: BTreeSet<Ipv4Addr> = others
        .iter()
        .flat_map(|r| r.attachments())
        .filter(|a| a.network == n.name)
        .filter_map(|a| a.ip.parse().ok())
        .collect();
    let ip = match requested {
        Some(want) => {
            let want: Ipv4Addr = want
                .parse()
                .map_err(|_| Error::Invalid(format!("invalid IPv4 address: {want}")))?;
            if !subnet.contains(want)
                || want == gateway
                || want == subnet.addr
                || want == subnet.broadcast()
            {
                return Err(Error::Invalid(format!(
                    "address {want} is not a usable address of network {} ({subnet})",
                    n.name
                )));
            }
            if used.contains(&want) {
                return Err(Error::Conflict(format!("Address already in use: {want}")));
            }
            want
        }
        None => (1..)
            .map_while(|i| subnet.nth_host(i))
            .find(|a| *a != gateway && !used.contains(a))
            .ok_or_else(|| {
                Error::Conflict(format!("no available IPv4 addresses on network {}", n.name))
            })?,
    };
    Ok(ip)
}
