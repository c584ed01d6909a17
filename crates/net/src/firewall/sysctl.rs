//! [`enable_forwarding`]: the sysctls a bridge network needs.

use std::io;
use std::path::PathBuf;

use super::model::check_bridge;
use super::FirewallError;

/// Turns on IPv4 forwarding (`/proc/sys/net/ipv4/ip_forward`) and `route_localnet` on
/// `bridge` (`/proc/sys/net/ipv4/conf/<bridge>/route_localnet`, needed to DNAT traffic
/// from 127.0.0.1 to a container), in the calling thread's network namespace. Values
/// already 1 are not rewritten.
pub fn enable_forwarding(bridge: &str) -> Result<(), FirewallError> {
    check_bridge(bridge)?;
    set_one(PathBuf::from("/proc/sys/net/ipv4/ip_forward"))?;
    set_one(PathBuf::from(format!(
        "/proc/sys/net/ipv4/conf/{bridge}/route_localnet"
    )))
}

/// Writes `1` to a sysctl file unless it already holds 1.
fn set_one(path: PathBuf) -> Result<(), FirewallError> {
    let result = (|| -> io::Result<()> {
        if std::fs::read_to_string(&path)?.trim() == "1" {
            return Ok(());
        }
        std::fs::write(&path, b"1\n")
    })();
    result.map_err(|source| FirewallError::Sysctl { path, source })
}
