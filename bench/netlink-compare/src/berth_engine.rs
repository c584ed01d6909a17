//! Program A: berth-net's link API, exactly as the engine calls it on start and removal.

use berth_net::link::{attach, create_netns, ensure_bridge, remove_netns, Netlink};

use super::{Start, CONTAINER_IP, GATEWAY, PREFIX};

/// Bring-up then teardown.
pub fn run(s: &Start) -> Result<(), String> {
    let mut nl = Netlink::open().map_err(|e| e.to_string())?;
    ensure_bridge(&mut nl, s.bridge, GATEWAY, PREFIX).map_err(|e| e.to_string())?;
    create_netns(s.netns).map_err(|e| e.to_string())?;
    let up = attach(
        &mut nl,
        s.bridge,
        s.veth,
        s.netns,
        CONTAINER_IP,
        PREFIX,
        GATEWAY,
    )
    .map_err(|e| e.to_string());
    if s.keep {
        return up;
    }
    // As berth's removal: the namespace goes (the kernel destroys the veth pair in the
    // background), then the bridge (berth: `network prune`).
    let _ = remove_netns(s.netns);
    let _ = nl.delete_link(s.bridge);
    up
}
