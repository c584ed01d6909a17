//! berth's nftables rules, all in one table of berth's own (`table inet berth` by default):
//! masquerade for each network, DNAT for published ports, isolation between networks and
//! for internal networks. The table is created with the first network, replaced
//! atomically on every change and deleted with the last network; rules berth did not
//! create are never touched.
//!
//! - [`Ruleset`], [`NetworkRules`], [`PortRule`]: the model.
//! - [`render`]: the model as an `nft -f` script.
//! - [`apply`], [`delete_table`], [`table_exists`]: running `nft`.
//! - [`enable_forwarding`]: the sysctls a bridge network needs.
//! - [`host`]: accept rules for berth's bridges in the host's iptables FORWARD chain when it
//!   drops by default (Docker's), the one place berth adds rules outside its table.

mod error;
pub mod host;
mod model;
mod nft;
mod render;
mod sysctl;

#[cfg(test)]
mod netns_e2e_tests;
#[cfg(test)]
mod netns_tests;

pub use error::FirewallError;
pub use model::{NetworkRules, PortRule, Ruleset, DEFAULT_TABLE};
pub use nft::{apply, delete_table, nft_path, table_exists};
pub use render::render;
pub use sysctl::enable_forwarding;
