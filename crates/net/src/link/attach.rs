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
/// gives it `ip/prefix`, sets it and lo up and adds the default route via `gateway`.
/// On any error everything it created is removed (deleting the host end removes the
/// container end, wherever it is).
pub fn attach(
    nl: &mut Netlink,
    bridge: &str,
    host_name: &str,
    netns: &Path,
    ip: Ipv4Addr,
    prefix: u8,
    gateway: Ipv4Addr,
) -> Result<(), LinkError> {
    attach_as(
        nl,
        bridge,
        host_name,
        netns,
        CONTAINER_IF,
        ip,
        prefix,
        Some(gateway),
    )
}

/// [`attach`] with the container-side name `ifname` (`eth1` for a second network) and,
/// when `gateway` is `None`, no default route (the first network keeps it).
#[allow(clippy::too_many_arguments)]
pub fn attach_as(
    nl: &mut Netlink,
    bridge: &str,
    host_name: &str,
    netns: &Path,
    ifname: &str,
    ip: Ipv4Addr,
    prefix: u8,
    gateway: Option<Ipv4Addr>,
) -> Result<(), LinkError> {
    let ns = File::open(netns).map_err(|source| LinkError::Io {
        op: "open netns",
        path: netns.to_path_buf(),
        source,
    })?;
    let master = nl.require_index(bridge, "attach to bridge")?;
    // One request makes both ends: the host end up on the bridge, the container end
    // already in the container's namespace with its MAC.
    nl.create_veth_into(host_name, master, ifname, ns.as_fd(), mac_for(ip))?;
    let plugged = nl
        .set_hairpin(host_name)
        .and_then(|()| configure_container(netns, ifname, ip, prefix, gateway));
    if plugged.is_err() {
        let _ = nl.delete_link(host_name);
    }
    plugged
}

/// Inside the container's namespace: gives `ifname` its address, sets it and `lo` up
/// and, with a gateway, routes everything through it.
fn configure_container(
    netns: &Path,
    ifname: &str,
    ip: Ipv4Addr,
    prefix: u8,
    gateway: Option<Ipv4Addr>,
) -> Result<(), LinkError> {
    in_netns(netns, || -> Result<(), LinkError> {
        let mut inner = Netlink::open()?;
        inner.add_address(ifname, ip, prefix)?;
        inner.set_up("lo")?;
        inner.set_up(ifname)?;
        match gateway {
            Some(gw) => inner.add_default_route(gw),
            None => Ok(()),
        }
    })?
}
