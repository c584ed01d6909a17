//! The calling thread's IPv4 routes, from `/proc/thread-self/net/route`.

use std::io;
use std::net::Ipv4Addr;

use super::Subnet;

/// The IPv4 routes (destination prefixes) of the calling thread's network namespace, read
/// from `/proc/thread-self/net/route`. The default route appears as `0.0.0.0/0`.
pub fn host_routes() -> io::Result<Vec<Subnet>> {
    let path = "/proc/thread-self/net/route";
    let text = std::fs::read_to_string(path)
        .map_err(|e| io::Error::new(e.kind(), format!("reading {path}: {e}")))?;
    Ok(parse_routes(&text))
}

/// Parses the text of `/proc/net/route`: a header line, then one route a line with the
/// destination and mask as 8 hex digits of the kernel's native-endian `u32` (so
/// `0002A8C0` is 192.168.2.0 on little-endian machines). Malformed lines are skipped.
pub fn parse_routes(text: &str) -> Vec<Subnet> {
    let mut routes = Vec::new();
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 8 {
            continue;
        }
        let (Some(dest), Some(mask)) = (hex_addr(fields[1]), hex_addr(fields[7])) else {
            continue;
        };
        let prefix = u32::from(mask).count_ones() as u8;
        let subnet = Subnet::new(dest, prefix);
        if !routes.contains(&subnet) {
            routes.push(subnet);
        }
    }
    routes
}

/// An address printed by the kernel as the hex of a native-endian `u32`.
fn hex_addr(field: &str) -> Option<Ipv4Addr> {
    let value = u32::from_str_radix(field, 16).ok()?;
    Some(Ipv4Addr::from(value.to_ne_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_endian = "little")]
    #[test]
    fn parses_sample() {
        let sample = "\
Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
wg0\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0
bad line
";
        let routes = parse_routes(sample);
        let want: Vec<Subnet> = ["0.0.0.0/0", "192.168.2.0/24", "172.17.0.0/16", "10.0.0.0/8"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(routes, want);
    }

    #[test]
    fn reads_own_routes() {
        // Whatever the host has, reading must work and yield valid prefixes.
        let routes = host_routes().unwrap();
        assert!(routes.iter().all(|r| r.prefix <= 32));
    }
}
