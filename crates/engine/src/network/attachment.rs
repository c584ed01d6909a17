//! A container's place on a bridge network, kept in its record.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One published port, resolved (a picked host port is recorded as picked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedPort {
    /// The host address it listens on; empty for every address.
    pub host_ip: String,
    /// The host port.
    pub host_port: u16,
    /// The container port.
    pub container_port: u16,
    /// `tcp`, `udp` or `sctp`.
    pub proto: String,
}

impl PublishedPort {
    /// Docker's `ps` form: `0.0.0.0:8080->80/tcp`.
    pub fn display(&self) -> String {
        let ip = if self.host_ip.is_empty() {
            "0.0.0.0"
        } else {
            &self.host_ip
        };
        format!(
            "{ip}:{}->{}/{}",
            self.host_port, self.container_port, self.proto
        )
    }
}

/// A container on a bridge network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The network's name.
    pub network: String,
    /// The network's ID.
    pub network_id: String,
    /// The bridge interface.
    pub bridge: String,
    /// The container's address.
    pub ip: String,
    /// The subnet's prefix length.
    pub prefix: u8,
    /// The gateway (the bridge's address).
    pub gateway: String,
    /// The container's MAC address.
    pub mac: String,
    /// `--network-alias` names (plus the container's name and short ID for DNS).
    pub aliases: Vec<String>,
    /// Published ports.
    pub ports: Vec<PublishedPort>,
    /// The network namespace file the container joins.
    pub netns: PathBuf,
    /// The host end of the container's veth pair.
    pub host_veth: String,
    /// The container-side interface; empty means `eth0` (the first network's).
    #[serde(default)]
    pub ifname: String,
}

impl Attachment {
    /// Plugs the container's end into `bridge` (a veth pair, the address, and with `route`
    /// the default route through that gateway); `what` names the step in errors.
    pub(crate) fn plug(
        &self,
        nl: &mut berth_net::link::Netlink,
        bridge: &str,
        route: Option<std::net::Ipv4Addr>,
        what: &str,
    ) -> crate::error::Result<()> {
        let invalid = |m: String| crate::error::Error::Invalid(m);
        let ip: std::net::Ipv4Addr = self
            .ip
            .parse()
            .map_err(|_| invalid(format!("bad address {}", self.ip)))?;
        berth_net::link::attach_as(
            nl,
            bridge,
            &self.host_veth,
            &self.netns,
            self.interface(),
            ip,
            self.prefix,
            route,
        )
        .map_err(|e| invalid(format!("{what}: {e}")))
    }

    /// The container-side interface name.
    pub fn interface(&self) -> &str {
        if self.ifname.is_empty() {
            "eth0"
        } else {
            &self.ifname
        }
    }
}
