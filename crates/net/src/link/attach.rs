//! Plugging a container's network namespace into a bridge, and making sure the bridge is
//! there: the two operations the engine composes from the link primitives.

use std::fs::File;
use std::net::Ipv4Addr;
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use super::{in_netns, LinkError, Netlink};

/// The container-side interface name.
const CONTAINER_IF: &str = "eth0";

/// A locally administered MAC (02:42 prefix, like Docker) derived from an IPv4 address:
/// 02:42:a.b.c.d. Deterministic, so a container keeps its MAC with its address.
pub fn mac_for(ip: Ipv4Addr) -> [u8; 6] {
    let [a, b, c, d] = ip.octets();
    [0x02, 0x42, a, b, c, d]
}

/// A name for the container end while it still lives in the host namespace: unique per
/// process and call, 15 bytes.
fn temp_peer_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!(
        "bt{:06x}{:07x}",
        std::process::id() & 0xff_ffff,
        n & 0xfff_ffff
    )
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

/// Plugs a container into a bridge: creates veth `host_name`/<temp peer>, moves the peer
/// into the netns at `netns`, renames it `eth0` there, gives it `ip/prefix`, MAC
/// [`mac_for`]`(ip)`, sets it and lo up, adds the default route via `gateway`; attaches
/// `host_name` to `bridge` and sets it up. On any error everything it created is removed
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
    nl.require_index(bridge, "attach to bridge")?;
    let ns = File::open(netns).map_err(|source| LinkError::Io {
        op: "open netns",
        path: netns.to_path_buf(),
        source,
    })?;
    let peer = temp_peer_name();
    nl.create_veth(host_name, &peer)?;
    let plugged = nl
        .move_to_netns(&peer, ns.as_fd())
        .and_then(|()| configure_container(netns, &peer, ip, prefix, gateway))
        .and_then(|()| nl.set_master(host_name, bridge))
        .and_then(|()| nl.set_up(host_name));
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
        inner.rename(peer, CONTAINER_IF)?;
        inner.set_mac(CONTAINER_IF, mac_for(ip))?;
        inner.add_address(CONTAINER_IF, ip, prefix)?;
        inner.set_up("lo")?;
        inner.set_up(CONTAINER_IF)?;
        inner.add_default_route(gateway)
    })?
}
