//! Bridges, veth pairs, addresses and routes over rtnetlink, and persistent network
//! namespaces, without the `ip` binary and without an async runtime.
//!
//! A [`Netlink`] talks to the network namespace of the thread that opened it; code that must
//! run inside another namespace goes through [`in_netns`], which uses a dedicated thread so
//! the caller's namespace never changes. [`attach`] and [`ensure_bridge`] compose the
//! primitives the way the engine needs them.

mod addr;
mod attach;
pub(crate) mod consts;
mod error;
mod links;
pub(crate) mod message;
mod names;
mod netns;
mod socket;
#[cfg(test)]
mod tests;

pub use addr::Route;
pub use attach::{attach, attach_as, ensure_bridge, mac_for};
pub use error::LinkError;
pub use links::LinkInfo;
pub use names::{check_name, MAX_NAME_LEN};
pub use netns::{create_netns, in_netns, remove_netns};
pub use socket::Netlink;
