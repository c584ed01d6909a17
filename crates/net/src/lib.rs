//! berth's container networking, built from real kernel parts in the manner of podman's
//! netavark and aardvark-dns:
//!
//! - [`ipam`]: subnets that never overlap a host route, address leases, `-p` port specs.
//! - [`link`]: bridges, veth pairs, addresses and routes over rtnetlink (no `ip` binary).
//! - [`firewall`]: nftables rules (masquerade, published ports, isolation) in berth's own
//!   table, applied with `nft`, never touching rules berth did not create; where the host's
//!   iptables FORWARD chain drops by default (Docker's), accept rules for berth's bridges
//!   there, tagged `berth`.
//! - [`dns`]: the per-network DNS server: container names and aliases, the rest forwarded.

#![forbid(unsafe_code)]

pub mod dns;
mod error;
pub mod firewall;
pub mod ipam;
pub mod link;

pub use error::NetError;
