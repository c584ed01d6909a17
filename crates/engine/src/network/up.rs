//! Networks and containers on the kernel's side: bridges, veths and network namespaces over
//! netlink, berth's nftables table, and the per-network DNS server. Everything happens in
//! the network namespace berth runs in (tests run berth in one of their own).

use std::fs;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use berth_net::firewall::host::{probe_host_forward, HostForward};
use berth_net::firewall::{self, NetworkRules, PortRule, Ruleset};
use berth_net::ipam::{Proto, Subnet};
use berth_net::link::{self, Netlink};

use super::record::{self, NetworkRecord, DEFAULT_NETWORK};
use crate::containers::record::ContainerRecord;
use crate::engine::Engine;
use crate::error::{net_err, Error, Result};
use crate::lock::Lock;

/// berth's nftables table.
pub const FIREWALL_TABLE: &str = "berth";

impl Engine {
    /// Where a network keeps its run-time files (DNS records, pid file).
    pub fn network_run_dir(&self, name: &str) -> PathBuf {
        self.paths.run.join("net").join(name)
    }

    /// The network namespace file of a container.
    pub fn netns_path(&self, id: &str) -> PathBuf {
        self.paths.run.join("netns").join(id)
    }

    /// Whether network `n` is up: its bridge exists and its DNS server runs.
    fn network_is_up(&self, nl: &mut Netlink, n: &NetworkRecord) -> bool {
        nl.link_index(&n.bridge).ok().flatten().is_some() && self.dns_running(n)
    }

    /// Brings network `n` up unless it is (the check every start makes; the work, under the
    /// network's lock, only the first time). On an up network, the host's FORWARD chains
    /// are checked too (cheaply: see [`Engine::ensure_host_forward`]).
    pub fn ensure_network_up(&self, nl: &mut Netlink, n: &NetworkRecord) -> Result<()> {
        if self.network_is_up(nl, n) {
            return self.ensure_host_forward(nl);
        }
        self.bring_up_network(n)
    }

    /// When a `filter` table FORWARD chain of the host drops by default (Docker's, made
    /// after berth's networks came up, say), puts berth's accept rules there; otherwise
    /// costs one netlink round trip and a `/proc` read, no program run.
    pub fn ensure_host_forward(&self, nl: &mut Netlink) -> Result<()> {
        let host = probe_host_forward();
        if !host.drops() {
            return Ok(());
        }
        let _lock = Lock::exclusive(&self.paths.locks(), "firewall")?;
        let networks = self.firewall_networks(nl)?;
        sync_host_forward(host, &networks)
    }

    /// Makes the network's bridge (with its gateway address), turns forwarding on, applies
    /// the firewall and starts its DNS server. Idempotent.
    pub fn bring_up_network(&self, n: &NetworkRecord) -> Result<()> {
        // Concurrent first starts on a network bring it up once: one DNS server, one table.
        let _lock = Lock::exclusive(&self.paths.locks(), &format!("netup-{}", n.name))?;
        let subnet = n.subnet()?;
        let gateway = n.gateway_ip()?;
        let mut nl = Netlink::open().map_err(net_err("netlink"))?;
        if self.network_is_up(&mut nl, n) {
            return Ok(());
        }
        link::ensure_bridge(&mut nl, &n.bridge, gateway, subnet.prefix)
            .map_err(net_err(&format!("bridge {}", n.bridge)))?;
        firewall::enable_forwarding(&n.bridge).map_err(net_err("enable forwarding"))?;
        self.apply_firewall()?;
        self.write_dns_records(n)?;
        super::dns::ensure_server(self, n)?;
        Ok(())
    }

    /// Stops the network's DNS server and removes its bridge and run-time files.
    pub fn bring_down_network(&self, n: &NetworkRecord) -> Result<()> {
        super::dns::stop_server(self, n);
        if let Ok(mut nl) = Netlink::open() {
            nl.delete_link(&n.bridge)
                .map_err(net_err(&format!("delete bridge {}", n.bridge)))?;
        }
        let dir = self.network_run_dir(&n.name);
        let _ = fs::remove_dir_all(dir);
        Ok(())
    }

    /// The recorded networks whose bridge exists, as the firewall models them.
    fn firewall_networks(&self, nl: &mut Netlink) -> Result<Vec<NetworkRules>> {
        let mut out = Vec::new();
        for n in &record::list(&self.db)? {
            if nl.link_index(&n.bridge).ok().flatten().is_none() {
                continue;
            }
            let Ok(subnet) = n.subnet.parse::<Subnet>() else {
                continue;
            };
            out.push(NetworkRules {
                bridge: n.bridge.clone(),
                subnet,
                internal: n.internal,
            });
        }
        Ok(out)
    }

    /// Rewrites berth's nftables table from the recorded networks whose bridge exists and
    /// every attached container's published ports (or deletes it when there are none), then
    /// brings berth's accept rules in the host's FORWARD chains in step with those bridges
    /// (where such a chain drops by default; removed with the last bridge).
    pub fn apply_firewall(&self) -> Result<()> {
        let _lock = Lock::exclusive(&self.paths.locks(), "firewall")?;
        let mut nl = Netlink::open().map_err(net_err("netlink"))?;
        let mut rules = Ruleset {
            table: FIREWALL_TABLE.to_string(),
            networks: self.firewall_networks(&mut nl)?,
            ports: Vec::new(),
        };
        for r in crate::containers::record::list(&self.db)? {
            let Some(a) = &r.net else { continue };
            let Ok(ip) = a.ip.parse::<Ipv4Addr>() else {
                continue;
            };
            for p in &a.ports {
                rules.ports.push(PortRule {
                    network_bridge: a.bridge.clone(),
                    host_ip: (!p.host_ip.is_empty())
                        .then(|| p.host_ip.parse().ok())
                        .flatten(),
                    host_port: p.host_port,
                    proto: parse_proto(&p.proto),
                    container_ip: ip,
                    container_port: p.container_port,
                    id: r.id.clone(),
                });
            }
        }
        firewall::apply(&rules).map_err(net_err("firewall"))?;
        sync_host_forward(probe_host_forward(), &rules.networks)
    }

    /// Plugs container `r` into its network before it starts: the network is brought up if
    /// needed, the container's network namespace made and its veth attached (unless they
    /// already are, e.g. on a restart).
    pub fn connect_container(&self, r: &ContainerRecord) -> Result<()> {
        let Some(a) = &r.net else {
            return Ok(());
        };
        let n = record::by_name(&self.db, &a.network)?.ok_or_else(|| {
            Error::Invalid(format!(
                "network {} of container {} no longer exists",
                a.network, r.name
            ))
        })?;
        let mut nl = Netlink::open().map_err(net_err("netlink"))?;
        self.ensure_network_up(&mut nl, &n)?;
        let attached = a.netns.exists() && nl.link_index(&a.host_veth).ok().flatten().is_some();
        if !attached {
            let _ = nl.delete_link(&a.host_veth);
            let _ = link::remove_netns(&a.netns);
            if let Some(dir) = a.netns.parent() {
                fs::create_dir_all(dir).map_err(crate::error::io_err("create", dir))?;
            }
            link::create_netns(&a.netns).map_err(net_err("create network namespace"))?;
            let gw: Ipv4Addr = a
                .gateway
                .parse()
                .map_err(|_| Error::Invalid(format!("bad gateway {}", a.gateway)))?;
            // An internal network gives no default route (nothing outside to reach).
            let route = (!n.internal).then_some(gw);
            if let Err(e) = a.plug(
                &mut nl,
                &n.bridge,
                route,
                "attach the container to its network",
            ) {
                let _ = link::remove_netns(&a.netns);
                return Err(e);
            }
        }
        if n.dns_names {
            self.write_dns_records(&n)?;
        }
        if !a.ports.is_empty() {
            self.apply_firewall()?;
        }
        self.plug_extra_networks(r)
    }

    /// The network namespace of container `what` (for `--network container:<what>`): its
    /// bridge network's namespace, or its running init's.
    pub fn container_netns(&self, what: &str) -> Result<PathBuf> {
        let r = self.container(what)?;
        let s = self.state(&r);
        if !s.is_running() {
            return Err(Error::Conflict(format!(
                "cannot join network namespace of a non running container: {}",
                r.name
            )));
        }
        if let Some(a) = &r.net {
            return Ok(a.netns.clone());
        }
        Ok(PathBuf::from(format!("/proc/{}/ns/net", s.pid)))
    }

    /// Unplugs a container being removed: its network namespace goes (the kernel then
    /// destroys its veth pair in the background; deleting the veth here would wait for
    /// `synchronize_net`, tens of ms).
    pub fn disconnect_container(&self, r: &ContainerRecord) -> Result<()> {
        let Some(a) = &r.net else {
            return Ok(());
        };
        link::remove_netns(&a.netns).map_err(net_err("remove network namespace"))
    }

    /// After a container's record is gone: its name leaves DNS and its ports leave the
    /// firewall. Networks stay up (`network prune` takes the default bridge down when no
    /// container uses it).
    pub fn forget_container_network(&self, r: &ContainerRecord) -> Result<()> {
        for a in r.attachments() {
            if let Some(n) = record::by_name(&self.db, &a.network)? {
                if n.dns_names {
                    self.write_dns_records(&n)?;
                }
            }
        }
        match &r.net {
            Some(a) if !a.ports.is_empty() => self.apply_firewall(),
            _ => Ok(()),
        }
    }

    /// Takes the default bridge down (bridge, DNS server, firewall entries) when no
    /// container uses it; it comes back with the next container. Returns whether it did.
    pub fn bring_down_default_if_unused(&self) -> Result<bool> {
        let Some(n) = record::by_name(&self.db, DEFAULT_NETWORK)? else {
            return Ok(false);
        };
        if !self.network_containers(&n.name)?.is_empty() {
            return Ok(false);
        }
        let up = Netlink::open()
            .ok()
            .and_then(|mut nl| nl.link_index(&n.bridge).ok().flatten())
            .is_some();
        if !up && !self.dns_running(&n) {
            return Ok(false);
        }
        self.bring_down_network(&n)?;
        self.apply_firewall()?;
        Ok(true)
    }
}

/// Brings berth's accept rules in the host's FORWARD chains in step with `networks`' bridges.
fn sync_host_forward(host: HostForward, networks: &[NetworkRules]) -> Result<()> {
    let bridges: Vec<&str> = networks.iter().map(|n| n.bridge.as_str()).collect();
    firewall::host::sync_host_forward(host, &bridges)
        .map(drop)
        .map_err(net_err("host FORWARD chain"))
}

/// A recorded protocol name as the firewall's type.
pub fn parse_proto(s: &str) -> Proto {
    match s {
        "udp" => Proto::Udp,
        "sctp" => Proto::Sctp,
        _ => Proto::Tcp,
    }
}
