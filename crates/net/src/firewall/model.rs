//! The firewall model: what berth's table must contain, and its validation.

use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};

use super::FirewallError;
use crate::ipam::{Proto, Subnet};

/// The name of berth's table (in the `inet` family) unless configured otherwise.
pub const DEFAULT_TABLE: &str = "berth";

/// Everything berth's table holds: its name, the bridge networks and the published ports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ruleset {
    /// The table's name in the `inet` family (`berth` by default, another for tests).
    pub table: String,
    /// The bridge networks; when empty the table is deleted.
    pub networks: Vec<NetworkRules>,
    /// The published ports of running containers.
    pub ports: Vec<PortRule>,
}

/// One bridge network's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkRules {
    /// The bridge interface (`berth0`).
    pub bridge: String,
    /// The network's subnet.
    pub subnet: Subnet,
    /// An internal network: no masquerade, nothing in or out of the bridge.
    pub internal: bool,
}

/// One published port: DNAT from the host to a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRule {
    /// The bridge of the container's network.
    pub network_bridge: String,
    /// The host address; `None` (or `0.0.0.0`/`::`) for every local address. A specific
    /// IPv6 address cannot be forwarded to an IPv4 container and is skipped by [`render`].
    ///
    /// [`render`]: super::render
    pub host_ip: Option<IpAddr>,
    /// The host port (already picked: never 0).
    pub host_port: u16,
    /// The protocol.
    pub proto: Proto,
    /// The container's address.
    pub container_ip: Ipv4Addr,
    /// The container's port.
    pub container_port: u16,
    /// The container id, for removal.
    pub id: String,
}

impl Ruleset {
    /// An empty ruleset for the table `table`.
    pub fn new(table: impl Into<String>) -> Ruleset {
        Ruleset {
            table: table.into(),
            networks: Vec::new(),
            ports: Vec::new(),
        }
    }

    /// Drops the published ports of the container `id`.
    pub fn remove_ports_of(&mut self, id: &str) {
        self.ports.retain(|p| p.id != id);
    }

    /// Checks that every name is safe to put in an nft script and every port is usable.
    pub fn validate(&self) -> Result<(), FirewallError> {
        check_table(&self.table)?;
        for net in &self.networks {
            check_bridge(&net.bridge)?;
        }
        for port in &self.ports {
            let bad = |reason: String| FirewallError::InvalidPort {
                id: port.id.clone(),
                reason,
            };
            if port.host_port == 0 || port.container_port == 0 {
                return Err(bad("port 0 (the host port must be picked first)".into()));
            }
            let Some(net) = self
                .networks
                .iter()
                .find(|n| n.bridge == port.network_bridge)
            else {
                return Err(bad(format!("unknown bridge {:?}", port.network_bridge)));
            };
            if !net.subnet.contains(port.container_ip) {
                return Err(bad(format!(
                    "{} is not in {} ({})",
                    port.container_ip, net.subnet, net.bridge
                )));
            }
        }
        Ok(())
    }
}

/// Checks a table name: an nft identifier of letters, digits and `_`, at most 64 bytes.
pub(super) fn check_table(name: &str) -> Result<(), FirewallError> {
    let bad = |reason| FirewallError::InvalidName {
        what: "table",
        name: name.to_string(),
        reason,
    };
    if name.is_empty() || name.len() > 64 {
        return Err(bad("must be 1 to 64 characters"));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(bad("must start with a letter"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(bad("only letters, digits and _ are allowed"));
    }
    Ok(())
}

/// Checks an interface name: 1 to 15 characters of letters, digits, `_`, `-` and `.`,
/// not `.` or `..` (it is also a `/proc/sys` path component).
pub(super) fn check_bridge(name: &str) -> Result<(), FirewallError> {
    let bad = |reason| FirewallError::InvalidName {
        what: "bridge",
        name: name.to_string(),
        reason,
    };
    if name.is_empty() || name.len() > 15 {
        return Err(bad("must be 1 to 15 characters"));
    }
    if name == "." || name == ".." {
        return Err(bad("not an interface name"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(bad("only letters, digits, _, - and . are allowed"));
    }
    Ok(())
}
