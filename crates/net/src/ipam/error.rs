//! The errors of IP address management.

use std::io;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use super::Subnet;

/// A malformed subnet in CIDR notation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubnetError {
    /// The text is not `a.b.c.d/len`.
    #[error("invalid subnet {0:?}: expected CIDR notation such as 10.88.0.0/16")]
    Syntax(String),
    /// The prefix length is not 0..=32.
    #[error("invalid subnet {0:?}: prefix length must be 0 to 32")]
    Prefix(String),
    /// Host bits are set (Docker's message: it should be the network address).
    #[error("invalid subnet {given}: it should be {expected}")]
    HostBits {
        /// The text as given.
        given: String,
        /// The same prefix with the host bits cleared.
        expected: Subnet,
    },
}

/// A failure to allocate, release or list address leases.
#[derive(Debug, thiserror::Error)]
pub enum IpamError {
    /// The requested address is outside the network's subnet.
    #[error("address {addr} is not in subnet {subnet}")]
    NotInSubnet {
        /// The requested address.
        addr: Ipv4Addr,
        /// The network's subnet.
        subnet: Subnet,
    },
    /// The requested address is leased to another container, or is the network, gateway or
    /// broadcast address.
    #[error("address already in use: {0}")]
    InUse(Ipv4Addr),
    /// Every host address of the subnet is leased.
    #[error("no available IPv4 addresses in subnet {0}")]
    Exhausted(Subnet),
    /// The lease file is for another subnet than the one it was opened with.
    #[error("lease file {path} is for subnet {found}, not {expected}")]
    SubnetMismatch {
        /// The lease file.
        path: PathBuf,
        /// The subnet recorded in the file.
        found: Subnet,
        /// The subnet the caller expected.
        expected: Subnet,
    },
    /// Reading, writing or locking the lease file failed.
    #[error("{context} {path}: {source}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The lease file is not valid JSON of the expected shape.
    #[error("corrupt lease file {path}: {source}")]
    Corrupt {
        /// The lease file.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
}

/// A malformed `-p`/`--publish` spec; the messages are Docker's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// The host IP is not an IP address.
    #[error("invalid IP address: {0}")]
    InvalidIp(String),
    /// No container port was given (`8080:`).
    #[error("no port specified: {0}<empty>")]
    NoPort(String),
    /// The container port (or range) is not valid.
    #[error("invalid containerPort: {0}")]
    InvalidContainerPort(String),
    /// The host port (or range) is not valid.
    #[error("invalid hostPort: {0}")]
    InvalidHostPort(String),
    /// Host and container ranges differ in length (and the container side is a range).
    #[error("invalid ranges specified for container and host Ports: {container} and {host}")]
    RangeMismatch {
        /// The container port range as given.
        container: String,
        /// The host port range as given.
        host: String,
    },
    /// The protocol is not tcp, udp or sctp.
    #[error("invalid proto: {0}")]
    InvalidProto(String),
}
