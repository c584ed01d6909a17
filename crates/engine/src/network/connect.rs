//! `network connect` and `network disconnect`: a container joins (or leaves) another bridge
//! network through a second interface (`eth1`, ...) in its network namespace; the first
//! network keeps the default route and the DNS resolver. A running container is plugged
//! at once, a stopped one when it next starts.

use berth_net::link::{self, Netlink};

use super::attachment::Attachment;
use super::plan::allocate_ip;
use super::record::{self, NetworkRecord};
use crate::containers::record::{self as ctr_record, ContainerRecord};
use crate::engine::Engine;
use crate::error::{net_err, Error, Result};
use crate::lock::Lock;

impl Engine {
    /// Connects container `what` to network `network` with `aliases` and, optionally, the
    /// address `ip`.
    pub fn connect_network(
        &self,
        network: &str,
        what: &str,
        aliases: &[String],
        ip: Option<&str>,
    ) -> Result<()> {
        let n = self.network(network)?;
        let _lock = Lock::exclusive(&self.paths.locks(), &format!("net-{}", n.name))?;
        let mut r = self.container(what)?;
        if r.attachments().any(|a| a.network == n.name) {
            return Err(Error::Conflict(format!(
                "endpoint with name {} already exists in network {}",
                r.name, n.name
            )));
        }
        let Some(primary) = r.net.clone() else {
            return Err(Error::Conflict(format!(
                "container {} uses network mode {}: it cannot join a bridge network",
                r.name, r.network_mode
            )));
        };
        let others = ctr_record::list(&self.db)?;
        let addr = allocate_ip(&n, ip, &others)?;
        let index = r.extra_nets.len() + 1;
        let a = Attachment {
            network: n.name.clone(),
            network_id: n.id.clone(),
            bridge: n.bridge.clone(),
            ip: addr.to_string(),
            prefix: n.subnet()?.prefix,
            gateway: n.gateway.clone(),
            mac: link::mac_for(addr)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":"),
            aliases: aliases.to_vec(),
            ports: Vec::new(),
            netns: primary.netns.clone(),
            host_veth: format!("vx{}{index}", &r.id[..8]),
            ifname: format!("eth{index}"),
        };
        if self.state(&r).is_running() {
            let route = self.needs_default_route(&r, &n)?;
            self.plug_extra(&n, &a, route)?;
        }
        r.extra_nets.push(a);
        ctr_record::update(&self.db, &r)?;
        if n.dns_names {
            self.write_dns_records(&n)?;
        }
        self.event(
            "network",
            "connect",
            &n.id,
            &[("container", &r.id), ("name", &n.name)],
        );
        Ok(())
    }

    /// Disconnects container `what` from network `network` (not from its first network).
    pub fn disconnect_network(&self, network: &str, what: &str) -> Result<()> {
        let n = self.network(network)?;
        let mut r = self.container(what)?;
        if r.net.as_ref().is_some_and(|a| a.network == n.name) {
            return Err(Error::Conflict(format!(
                "container {} cannot be disconnected from {}, the network it was created on",
                r.name, n.name
            )));
        }
        let Some(pos) = r.extra_nets.iter().position(|a| a.network == n.name) else {
            return Err(Error::Conflict(format!(
                "container {} is not connected to network {}",
                r.name, n.name
            )));
        };
        let a = r.extra_nets.remove(pos);
        if let Ok(mut nl) = Netlink::open() {
            let _ = nl.delete_link(&a.host_veth);
        }
        ctr_record::update(&self.db, &r)?;
        if n.dns_names {
            self.write_dns_records(&n)?;
        }
        self.event(
            "network",
            "disconnect",
            &n.id,
            &[("container", &r.id), ("name", &n.name)],
        );
        Ok(())
    }

    /// Plugs the extra networks of container `r` whose veth is missing (at start).
    pub(crate) fn plug_extra_networks(&self, r: &ContainerRecord) -> Result<()> {
        for (i, a) in r.extra_nets.iter().enumerate() {
            let n = record::by_name(&self.db, &a.network)?.ok_or_else(|| {
                Error::Invalid(format!(
                    "network {} of container {} no longer exists",
                    a.network, r.name
                ))
            })?;
            let present = Netlink::open()
                .ok()
                .and_then(|mut nl| nl.link_index(&a.host_veth).ok().flatten())
                .is_some();
            if !present {
                let earlier = ContainerRecord {
                    extra_nets: r.extra_nets[..i].to_vec(),
                    ..r.clone()
                };
                let route = self.needs_default_route(&earlier, &n)?;
                self.plug_extra(&n, a, route)?;
            }
            if n.dns_names {
                self.write_dns_records(&n)?;
            }
        }
        Ok(())
    }

    /// Whether joining `n` gives container `r` its default route: `n` is not internal and
    /// every network `r` is on already is (as Docker routes through the first network that
    /// leads out).
    fn needs_default_route(&self, r: &ContainerRecord, n: &NetworkRecord) -> Result<bool> {
        if n.internal {
            return Ok(false);
        }
        for a in r.attachments() {
            match record::by_name(&self.db, &a.network)? {
                Some(other) if !other.internal => return Ok(false),
                _ => {}
            }
        }
        Ok(true)
    }

    /// Brings `n` up if needed and plugs attachment `a` into the container's namespace,
    /// routing everything through `n`'s gateway when `default_route`.
    fn plug_extra(&self, n: &NetworkRecord, a: &Attachment, default_route: bool) -> Result<()> {
        let mut nl = Netlink::open().map_err(net_err("netlink"))?;
        self.ensure_network_up(&mut nl, n)?;
        let route = match default_route {
            true => Some(n.gateway_ip()?),
            false => None,
        };
        a.plug(
            &mut nl,
            &n.bridge,
            route,
            &format!("connect to network {}", n.name),
        )
    }
}
