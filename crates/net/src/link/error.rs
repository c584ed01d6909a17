//! Errors of the link layer, each naming the link or path and the operation that failed.

use std::path::PathBuf;

use nix::errno::Errno;

/// Everything that can go wrong while talking rtnetlink or handling network namespaces.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The kernel refused a netlink request.
    #[error("netlink {op} of {target}: {errno}")]
    Netlink {
        /// The operation, e.g. "create veth".
        op: &'static str,
        /// The link, address or route it was about.
        target: String,
        /// The errno the kernel answered with.
        errno: Errno,
    },
    /// Opening, binding or using the netlink socket itself failed.
    #[error("netlink socket ({op}): {errno}")]
    Socket {
        /// What was being done with the socket.
        op: &'static str,
        /// The errno of the failing system call.
        errno: Errno,
    },
    /// The kernel's reply could not be decoded.
    #[error("malformed netlink reply to {op}: {detail}")]
    Malformed {
        /// The request the reply belonged to.
        op: &'static str,
        /// What was wrong with it.
        detail: String,
    },
    /// A link the operation needs does not exist.
    #[error("{op}: no link named {name:?}")]
    NoSuchLink {
        /// The operation that needed it.
        op: &'static str,
        /// The missing link's name.
        name: String,
    },
    /// An interface name the kernel would reject.
    #[error("invalid interface name {name:?}: {reason}")]
    InvalidName {
        /// The rejected name.
        name: String,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// A link of that name exists but is not a bridge.
    #[error("link {0:?} exists but is not a bridge")]
    NotABridge(String),
    /// A namespace operation (unshare, setns, mount, umount) failed.
    #[error("{op} {}: {errno}", path.display())]
    Namespace {
        /// The operation, e.g. "bind-mount netns onto".
        op: &'static str,
        /// The namespace file concerned.
        path: PathBuf,
        /// The errno of the failing system call.
        errno: Errno,
    },
    /// A file operation on a namespace file failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// The operation, e.g. "create netns file".
        op: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The helper thread for a namespace could not be started.
    #[error("spawn thread for netns {}: {source}", path.display())]
    Thread {
        /// The namespace the thread was for.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl LinkError {
    /// The errno behind the error, when it came from the kernel.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            LinkError::Netlink { errno, .. }
            | LinkError::Socket { errno, .. }
            | LinkError::Namespace { errno, .. } => Some(*errno),
            LinkError::Io { source, .. } => source.raw_os_error().map(Errno::from_raw),
            _ => None,
        }
    }
}
