//! IP address management: subnets that never overlap a host route, per-network address
//! leases, and Docker's `-p`/`-P` port publishing specs.
//!
//! - [`Subnet`]: IPv4 prefix math (`10.88.0.0/16`).
//! - [`host_routes`] / [`parse_routes`]: the calling thread's IPv4 routes.
//! - [`pick_subnet`]: the first free subnet of berth's default pools.
//! - [`Leases`]: a network's address leases, a JSON file guarded by an flock.
//! - [`parse_publish`] / [`expose_to_mappings`]: `-p` and `-P` as [`PortMapping`]s.
//! - [`free_port`] / [`port_in_use`]: host port probing by binding a socket.

mod error;
mod free_port;
mod leases;
mod pick;
mod ports;
mod routes;
mod subnet;

pub use error::{IpamError, PortError, SubnetError};
pub use free_port::{free_port, port_in_use};
pub use leases::Leases;
pub use pick::{default_pools, pick_subnet};
pub use ports::{expose_to_mappings, parse_publish, PortMapping, Proto};
pub use routes::{host_routes, parse_routes};
pub use subnet::Subnet;
