//! Plugging a container's network namespace into a bridge, and making sure the bridge is
//! there: the two operations the engine composes from the link primitives.

use std::fs::File;
use std::net::Ipv4Addr;
use std::os::fd::AsFd;
use std::path::Path;

use super::{in_netns, LinkError, Netlink};

/// The container-side interface name.
const CONTAINER_IF: &str = "eth0";

/// A locally administered MAC (02:42 prefix, like Docker) derived from an IPv4 address:
/// 02:42:a.b.c.d. Deterministic, so a container keeps its MAC with its address.
pub fn mac_for(ip: Ipv4Addr) -> [u8; 6] {
    let [a, b, c, d] = ip.octets();
    [0x02, 0x42, a, b, c, d]
}

/// Makes sure the bridge exists with `gateway/prefix` and is up.
pub fn ensure_bridge(
    nl: &mut Netlink,
    bridge: &str,
    gateway: Ipv4Addr,
    prefix: u8,
) -> Result<(), LinkError> {
    nl.create_bridge(bridge)?;
    nl.add_address(bridge, gateway, prefix)?;
    nl.set_up(bridge)
}

/// Plugs a container into a bridge: creates veth `host_name` (up, on `bridge`) with its
/// peer `eth0` made directly in the netns at `netns` with MAC [`mac_for`]`(ip)`; there
/// gives it `ip/prefix`, sets it and lo up and adds the default route via `gateway`. On any error everything it created is removed
/// (deleting the host end removes the container end, wherever it is).
pub fn attach(
    nl: &mut Netlink,
    bridge: &str,
    host_name: &str,
    netns: &Path,
    ip: Ipv4Addr,
    prefix: u8,
    gateway: Ipv4Addr,
) -> Result<(), LinkError> {
    let ns = File::open(netns).map_err(|source| LinkError::Io {
        op: "open netns",
        path: netns.to_path_buf(),
        source,
    })?;
    let master = nl.require_index(bridge, "attach to bridge")?;
    // One request makes both ends: the host end up on the bridge, `eth0` already in the
    // container's namespace with its MAC.
    nl.create_veth_into(host_name, master, CONTAINER_IF, ns.as_fd(), mac_for(ip))?;
    let plugged = configure_container(netns, CONTAINER_IF, ip, prefix, gateway);
    if plugged.is_err() {
        let _ = nl.delete_link(host_name);
    }
    plugged
}

/// Inside the container's namespace: names the moved veth end `eth0`, gives it its MAC and
/// address, sets it and `lo` up and routes everything via `gateway`.
fn configure_container(
    netns: &Path,
    peer: &str,
    ip: Ipv4Addr,
    prefix: u8,
    gateway: Ipv4Addr,
) -> Result<(), LinkError> {
    in_netns(netns, || -> Result<(), LinkError> {
        let mut inner = Netlink::open()?;
        if peer != CONTAINER_IF {
            inner.rename(peer, CONTAINER_IF)?;
            inner.set_mac(CONTAINER_IF, mac_for(ip))?;
        }
        inner.add_address(CONTAINER_IF, ip, prefix)?;
        inner.set_up("lo")?;
        inner.set_up(CONTAINER_IF)?;
        inner.add_default_route(gateway)
    })?
}
