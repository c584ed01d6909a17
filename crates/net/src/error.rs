//! One error type for the crate's callers: each module's own error, kept with its source, so
//! the engine can carry a networking failure without turning it into text.

use crate::firewall::FirewallError;
use crate::ipam::{IpamError, PortError, SubnetError};
use crate::link::LinkError;

/// Any failure of berth's networking, by the module it came from.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// rtnetlink or network namespaces.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// nftables, the host's FORWARD chains or sysctls.
    #[error(transparent)]
    Firewall(#[from] FirewallError),
    /// Address management.
    #[error(transparent)]
    Ipam(#[from] IpamError),
    /// A `-p` port specification or a host port.
    #[error(transparent)]
    Port(#[from] PortError),
    /// A subnet.
    #[error(transparent)]
    Subnet(#[from] SubnetError),
}
