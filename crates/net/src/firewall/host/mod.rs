//! Accept rules for berth's bridges in the host's iptables `filter` table, for hosts where
//! its FORWARD chain drops by default (Docker sets that policy). A forwarded packet must be
//! accepted by every forward hook, so berth's own table is not enough there: berth adds
//! `-i <bridge> -j ACCEPT` and `-o <bridge> -j ACCEPT` for each of its bridges in
//! `DOCKER-USER` (where Docker wants rules of others; it is jumped to first), else in
//! `FORWARD`, each tagged with the comment `berth`. berth's own table still decides what
//! may cross its bridges (isolation, internal networks, unsolicited traffic in).
//!
//! - [`probe_host_forward`]: the cheap check (no program run) of both iptables flavours.
//! - [`sync_host_forward`]: adds what is missing and deletes berth's rules of bridges that
//!   are gone, in nftables' `ip filter` (iptables-nft) with `nft`, and in iptables-legacy's
//!   table with `iptables-legacy`. Only rules tagged `berth` are ever deleted; chains and
//!   policies are never changed.

mod legacy;
mod nftables;
mod plan;
mod probe;

#[cfg(test)]
mod netns_tests;

pub use plan::{DOCKER_USER, FORWARD, TAG};
pub use probe::{probe_host_forward, HostForward, Policy};

use super::model::check_bridge;
use super::FirewallError;

/// How many of berth's rules [`sync_host_forward`] deleted and inserted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Synced {
    /// Rules deleted.
    pub deleted: usize,
    /// Rules inserted.
    pub inserted: usize,
}

/// Brings berth's accept rules in the host's `filter` tables in step with `bridges` (every
/// berth bridge that exists), given what [`probe_host_forward`] found:
///
/// - a FORWARD chain that drops (or may): its table is listed and berth's rules made to
///   match `bridges` (in `DOCKER-USER` if it exists, else `FORWARD`);
/// - one that accepts: left alone while there are bridges; with none (the last network
///   went) berth's rules are deleted;
/// - none: nothing to do.
///
/// Runs in the calling thread's network namespace.
pub fn sync_host_forward(host: HostForward, bridges: &[&str]) -> Result<Synced, FirewallError> {
    for b in bridges {
        check_bridge(b)?;
    }
    let needed = |p: Policy| match p {
        Policy::Drop | Policy::Unknown => true,
        Policy::Accept => bridges.is_empty(),
        Policy::Absent => false,
    };
    let mut done = Synced::default();
    if needed(host.nft) {
        let p = nftables::sync(bridges)?;
        done.deleted += p.delete.len();
        done.inserted += p.insert.len();
    }
    if needed(host.legacy) {
        if let Some(tools) = legacy::tools() {
            let p = legacy::sync(&tools, bridges)?;
            done.deleted += p.delete.len();
            done.inserted += p.insert.len();
        }
    }
    Ok(done)
}
