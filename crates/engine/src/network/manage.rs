//! `network create|ls|inspect|rm|prune`: bridge networks as records; the default `bridge`
//! network is recorded on first use and its bridge made when a container first needs it.

use std::collections::BTreeMap;

use berth_net::ipam::{self, Subnet};

use super::record::{self, NetworkRecord, DEFAULT_BRIDGE, DEFAULT_NETWORK};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::ids::random_id;
use crate::lock::Lock;

/// `network create` options.
#[derive(Debug, Clone, Default)]
pub struct NetworkCreate {
    /// `--subnet` (CIDR); picked when absent.
    pub subnet: Option<String>,
    /// `--gateway`; the subnet's first address when absent.
    pub gateway: Option<String>,
    /// `--internal`.
    pub internal: bool,
    /// `--label`s.
    pub labels: BTreeMap<String, String>,
    /// `--driver` (only `bridge`).
    pub driver: Option<String>,
}

/// The environment variable that sets the default bridge's subnet when it is first made.
pub const DEFAULT_SUBNET_ENV: &str = "BERTH_BRIDGE_SUBNET";

/// The names `network ls` shows besides the recorded ones (Docker's predefined networks
/// that have no bridge).
pub const PREDEFINED: [&str; 2] = ["host", "none"];

/// The stable ID of a predefined network (`host`, `none`), which has no record: the same on
/// every machine and every call, 64 hex digits like a recorded network's.
pub fn predefined_id(name: &str) -> String {
    berth_store::Digest::of_bytes(format!("berth-network-{name}").as_bytes())
        .hex()
        .to_string()
}

impl Engine {
    /// Every network, the default `bridge` included (recorded on first call).
    pub fn networks(&self) -> Result<Vec<NetworkRecord>> {
        self.default_network()?;
        record::list(&self.db)
    }

    /// The default `bridge` network, recorded now if it is not yet.
    pub fn default_network(&self) -> Result<NetworkRecord> {
        if let Some(n) = record::by_name(&self.db, DEFAULT_NETWORK)? {
            return Ok(n);
        }
        let _lock = Lock::exclusive(&self.paths.locks(), "networks")?;
        if let Some(n) = record::by_name(&self.db, DEFAULT_NETWORK)? {
            return Ok(n);
        }
        // The default bridge's subnet: `BERTH_BRIDGE_SUBNET` (like dockerd's `--bip`), else
        // the first of berth's pools that overlaps no host route.
        let opts = NetworkCreate {
            subnet: std::env::var(DEFAULT_SUBNET_ENV)
                .ok()
                .filter(|s| !s.is_empty()),
            ..Default::default()
        };
        let n =
            self.new_network_record(DEFAULT_NETWORK, DEFAULT_BRIDGE.to_string(), &opts, false)?;
        record::insert(&self.db, &n)?;
        Ok(n)
    }

    /// `network create`: records the network and makes its bridge and firewall rules.
    pub fn create_network(&self, name: &str, opts: &NetworkCreate) -> Result<NetworkRecord> {
        if let Some(d) = opts.driver.as_deref().filter(|d| *d != "bridge") {
            return Err(Error::Invalid(format!(
                "network driver {d:?} is not supported (bridge only)"
            )));
        }
        if !crate::ids::valid_name(name) || PREDEFINED.contains(&name) {
            return Err(Error::Invalid(format!("invalid network name {name:?}")));
        }
        self.default_network()?;
        // The lock covers choosing the subnet and recording the network; the bring-up that
        // follows has its own per-network lock, so networks are made in parallel.
        let n = {
            let _lock = Lock::exclusive(&self.paths.locks(), "networks")?;
            if record::by_name(&self.db, name)?.is_some() {
                return Err(Error::Conflict(format!(
                    "network with name {name} already exists"
                )));
            }
            let id = random_id()?;
            let bridge = format!("br-{}", &id[..12]);
            let n = self.new_network_record_with_id(name, bridge, opts, true, id)?;
            record::insert(&self.db, &n)?;
            n
        };
        if let Err(e) = self.bring_up_network(&n) {
            let _ = self.bring_down_network(&n);
            let _ = record::delete(&self.db, name);
            return Err(e);
        }
        self.event(
            "network",
            "create",
            &n.id,
            &[("name", name), ("type", "bridge")],
        );
        Ok(n)
    }

    fn new_network_record(
        &self,
        name: &str,
        bridge: String,
        opts: &NetworkCreate,
        dns_names: bool,
    ) -> Result<NetworkRecord> {
        self.new_network_record_with_id(name, bridge, opts, dns_names, random_id()?)
    }

    fn new_network_record_with_id(
        &self,
        name: &str,
        bridge: String,
        opts: &NetworkCreate,
        dns_names: bool,
        id: String,
    ) -> Result<NetworkRecord> {
        let taken: Vec<Subnet> = record::list(&self.db)?
            .iter()
            .filter_map(|n| n.subnet.parse().ok())
            .collect();
        let subnet: Subnet = match &opts.subnet {
            Some(s) => {
                let s: Subnet = s
                    .parse()
                    .map_err(|e| Error::Invalid(format!("invalid subnet {s:?}: {e}")))?;
                if let Some(t) = taken.iter().find(|t| t.overlaps(&s)) {
                    return Err(Error::Conflict(format!(
                        "Pool overlaps with other one on this address space ({t})"
                    )));
                }
                s
            }
            None => {
                let routes = ipam::host_routes().unwrap_or_default();
                ipam::pick_subnet(&taken, &routes).ok_or_else(|| {
                    Error::Conflict(
                        "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network".into(),
                    )
                })?
            }
        };
        let gateway = match &opts.gateway {
            Some(g) => {
                let ip: std::net::Ipv4Addr = g
                    .parse()
                    .map_err(|_| Error::Invalid(format!("invalid gateway {g:?}")))?;
                if !subnet.contains(ip) {
                    return Err(Error::Invalid(format!(
                        "gateway {g} is not in subnet {subnet}"
                    )));
                }
                ip
            }
            None => subnet.gateway(),
        };
        Ok(NetworkRecord {
            id,
            name: name.to_string(),
            driver: "bridge".into(),
            subnet: subnet.to_string(),
            gateway: gateway.to_string(),
            bridge,
            internal: opts.internal,
            labels: opts.labels.clone(),
            created: berth_runtime::state::now_rfc3339(),
            dns_names,
        })
    }

    /// The network `what` names: a name, or a unique ID prefix.
    pub fn network(&self, what: &str) -> Result<NetworkRecord> {
        let all = self.networks()?;
        if let Some(n) = all.iter().find(|n| n.name == what) {
            return Ok(n.clone());
        }
        let by_id: Vec<_> = all.iter().filter(|n| n.id.starts_with(what)).collect();
        match by_id.len() {
            1 => Ok(by_id[0].clone()),
            0 => Err(Error::Invalid(format!("network {what} not found"))),
            _ => Err(Error::Ambiguous {
                kind: "network",
                prefix: what.to_string(),
            }),
        }
    }

    /// Containers attached to network `name`, as (id, name).
    pub fn network_containers(&self, name: &str) -> Result<Vec<(String, String)>> {
        Ok(crate::containers::record::list(&self.db)?
            .into_iter()
            .filter(|r| r.attachments().any(|a| a.network == name))
            .map(|r| (r.id, r.name))
            .collect())
    }

    /// `network rm`: refuses a network with containers, and the predefined ones.
    pub fn remove_network(&self, what: &str) -> Result<NetworkRecord> {
        if PREDEFINED.contains(&what) || what == DEFAULT_NETWORK {
            return Err(Error::Conflict(format!(
                "{what} is a pre-defined network and cannot be removed"
            )));
        }
        let n = self.network(what)?;
        // The network's own lock (the one `create` holds while it gives a container an
        // address on it): no container can join while it goes, and other networks can go
        // at the same time.
        let _lock = Lock::exclusive(&self.paths.locks(), &format!("net-{}", n.name))?;
        if !self.network_containers(&n.name)?.is_empty() {
            return Err(Error::Conflict(format!(
                "error while removing network: network {} id {} has active endpoints",
                n.name, n.id
            )));
        }
        self.bring_down_network(&n)?;
        record::delete(&self.db, &n.name)?;
        self.apply_firewall()?;
        self.event(
            "network",
            "destroy",
            &n.id,
            &[("name", &n.name), ("type", "bridge")],
        );
        Ok(n)
    }

    /// `network prune`: removes user networks no container uses (and takes the default
    /// bridge down if unused); returns the removed networks' names.
    pub fn prune_networks(
        &self,
        filter: &crate::system::prune_filter::PruneFilter,
    ) -> Result<Vec<String>> {
        self.bring_down_default_if_unused()?;
        let mut out = Vec::new();
        for n in self.networks()? {
            if n.name == DEFAULT_NETWORK
                || !filter.matches(&n.created, &n.labels)
                || !self.network_containers(&n.name)?.is_empty()
            {
                continue;
            }
            self.remove_network(&n.name)?;
            out.push(n.name);
        }
        Ok(out)
    }
}
