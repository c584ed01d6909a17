//! The errors of the firewall module.

use std::io;
use std::path::PathBuf;

/// A failure to validate, apply or inspect berth's nftables rules.
#[derive(Debug, thiserror::Error)]
pub enum FirewallError {
    /// The `nft` binary was not found.
    #[error("nftables (nft) is required for bridge networking: nft not found in PATH, /usr/sbin or /sbin")]
    NftMissing,
    /// `nft` could not be started or talked to.
    #[error("running {nft} to {action}: {source}")]
    Spawn {
        /// The binary.
        nft: PathBuf,
        /// What berth was doing.
        action: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// `nft` ran and failed.
    #[error("nft failed to {action} ({status}): {stderr}")]
    Nft {
        /// What berth was doing.
        action: String,
        /// The exit status.
        status: std::process::ExitStatus,
        /// What nft printed on stderr.
        stderr: String,
    },
    /// A table, bridge or other name that would not be safe in an nft script.
    #[error("invalid {what} {name:?} for nftables: {reason}")]
    InvalidName {
        /// What the name is of (`table`, `bridge`).
        what: &'static str,
        /// The name.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A published port that cannot be rendered.
    #[error("invalid published port for container {id}: {reason}")]
    InvalidPort {
        /// The container.
        id: String,
        /// Why it is refused.
        reason: String,
    },
    /// A listing of the host's firewall that berth cannot read.
    #[error("reading the output of {what}: {reason}")]
    Unreadable {
        /// The command.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A program other than nft (iptables-legacy) could not be run or failed.
    #[error("{program} failed to {action}: {detail}")]
    Program {
        /// The program.
        program: PathBuf,
        /// What berth was doing.
        action: String,
        /// Its stderr, or why it could not start.
        detail: String,
    },
    /// Writing a sysctl failed.
    #[error("writing {path}: {source}")]
    Sysctl {
        /// The `/proc/sys` file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}
