//! The per-network DNS server berth runs for user networks, in the manner of podman's
//! aardvark-dns.
//!
//! Containers on a user network resolve each other by container name and by
//! `--network-alias`; every other question is forwarded to the host's resolvers.
//! There is no async runtime: [`serve`] runs one [`std::net::UdpSocket`] in a plain
//! loop, answering known names itself and handing forwarded questions to short-lived
//! threads so a slow upstream never stalls local answers.
//!
//! - [`wire`]: DNS messages, parsed and built by `hickory-proto`.
//! - [`response`]: building replies (answers, errors, truncation to the UDP limit).
//! - [`records`]: the name table of one network and its JSON records file.
//! - [`resolv`]: upstream servers from `/etc/resolv.conf`.
//! - [`handle`]: deciding whether a query is answered locally or forwarded.
//! - [`forward`]: relaying a question to the upstreams (UDP and TCP).
//! - [`server`]: the UDP serving loop; [`tcp`]: the optional TCP listener (clients
//!   retry there when a UDP reply comes back truncated).
//! - [`entry`]: `berth __dns` ([`serve_main`]): arguments, sockets, the lifeline.
//! - [`lifeline`]: noticing that the network is gone (run directory, records file or
//!   bridge removed), so the server stops instead of outliving it.

pub mod entry;
mod error;
pub mod forward;
pub mod handle;
pub mod lifeline;
pub mod records;
pub mod resolv;
pub mod response;
pub mod server;
pub mod tcp;
mod watch;
pub mod wire;

pub use entry::serve_main;
pub use error::DnsError;
pub use lifeline::Lifeline;
pub use records::Records;
pub use resolv::upstreams_from_resolv_conf;
pub use server::serve;
pub use tcp::serve_tcp;
pub use wire::{RecordType, WireError};

#[cfg(test)]
mod tests;
