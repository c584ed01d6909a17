//! Published ports: Docker's `-p`/`--publish` grammar and `-P` (`--publish-all`).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::PortError;

/// A transport protocol of a published port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP, the default.
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

impl Proto {
    /// The lowercase name, as in `80/tcp` and in nftables rules.
    pub fn as_str(&self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Sctp => "sctp",
        }
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Proto {
    type Err = PortError;

    /// Parses `tcp`, `udp` or `sctp` (any case).
    fn from_str(s: &str) -> Result<Proto, PortError> {
        match s.to_ascii_lowercase().as_str() {
            "tcp" => Ok(Proto::Tcp),
            "udp" => Ok(Proto::Udp),
            "sctp" => Ok(Proto::Sctp),
            _ => Err(PortError::InvalidProto(s.to_ascii_lowercase())),
        }
    }
}

/// One published port: a host address and port forwarded to a container port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PortMapping {
    /// The host address to listen on; `None` for all addresses.
    pub host_ip: Option<IpAddr>,
    /// The host port; 0 means pick a free one (in `host_range` when set).
    pub host_port: u16,
    /// When set (a host range with a single container port, `8000-8010:80`), the inclusive
    /// range to pick the host port from; `host_port` is then 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_range: Option<(u16, u16)>,
    /// The container port.
    pub container_port: u16,
    /// The protocol.
    pub proto: Proto,
}

/// Parses one `-p` spec with Docker's grammar: `[ip:][hostPort:]containerPort[/proto]`,
/// where ports may be ranges (`8000-8002:80-82` maps 1:1; `8000-8002:80` picks a free host
/// port in the range), the IP may be bracketed IPv6 (`[::1]:8080:80`), an empty host port
/// (`127.0.0.1::80`) picks a free one, and proto is `tcp` (default), `udp` or `sctp`.
pub fn parse_publish(spec: &str) -> Result<Vec<PortMapping>, PortError> {
    let (ip, host_port, container) = split_parts(spec);
    let (proto, container) = split_proto(container);
    let host_ip = parse_ip(ip)?;
    if container.is_empty() {
        return Err(PortError::NoPort(spec.to_string()));
    }
    let (c_start, c_end) = parse_range(container)
        .filter(|(start, _)| *start != 0)
        .ok_or_else(|| PortError::InvalidContainerPort(container.to_string()))?;
    let host = if host_port.is_empty() {
        None
    } else {
        Some(
            parse_range(host_port)
                .ok_or_else(|| PortError::InvalidHostPort(host_port.to_string()))?,
        )
    };
    if let Some((h_start, h_end)) = host {
        if h_end - h_start != c_end - c_start && c_end != c_start {
            return Err(PortError::RangeMismatch {
                container: container.to_string(),
                host: host_port.to_string(),
            });
        }
    }
    let proto: Proto = proto.parse()?;
    let mappings = (c_start..=c_end)
        .enumerate()
        .map(|(i, container_port)| {
            let (host_port, host_range) = match host {
                None => (0, None),
                Some((start, end)) if c_start == c_end && start != end => (0, Some((start, end))),
                Some((start, _)) => (start + i as u16, None),
            };
            PortMapping {
                host_ip,
                host_port,
                host_range,
                container_port,
                proto,
            }
        })
        .collect();
    Ok(mappings)
}

/// The mappings of `-P` (`--publish-all`): every exposed port (`80/tcp`, `53/udp`, `80`,
/// `8000-8002/tcp`) on all host addresses with a host port to pick. Invalid entries are
/// skipped (they were validated when the image or container was made); duplicates dropped.
pub fn expose_to_mappings(exposed: &[String]) -> Vec<PortMapping> {
    let mut out: Vec<PortMapping> = Vec::new();
    for entry in exposed {
        let (proto, port) = split_proto(entry.trim());
        let (Ok(proto), Some((start, end))) = (proto.parse::<Proto>(), parse_range(port)) else {
            continue;
        };
        for container_port in start.max(1)..=end {
            let mapping = PortMapping {
                host_ip: None,
                host_port: 0,
                host_range: None,
                container_port,
                proto,
            };
            if !out.contains(&mapping) {
                out.push(mapping);
            }
        }
    }
    out
}

/// Splits on `:` as Docker does: the last part is the container port, the one before it
/// the host port, everything before those the IP (which may itself contain colons).
fn split_parts(spec: &str) -> (&str, &str, &str) {
    let parts: Vec<&str> = spec.split(':').collect();
    match parts.len() {
        1 => ("", "", parts[0]),
        2 => ("", parts[0], parts[1]),
        n => {
            let ip_len = parts[..n - 2].iter().map(|p| p.len()).sum::<usize>() + (n - 3);
            (&spec[..ip_len], parts[n - 2], parts[n - 1])
        }
    }
}

/// Splits `80/udp` into (`udp`, `80`); no or empty proto is `tcp`.
fn split_proto(port: &str) -> (&str, &str) {
    let mut parts = port.split('/');
    let number = parts.next().unwrap_or("");
    if number.is_empty() {
        return ("", "");
    }
    match parts.next() {
        None | Some("") => ("tcp", number),
        Some(proto) => (proto, number),
    }
}

/// Parses an optional host IP, brackets stripped from IPv6; empty is `None`.
fn parse_ip(ip: &str) -> Result<Option<IpAddr>, PortError> {
    if ip.is_empty() {
        return Ok(None);
    }
    let bare = match ip.strip_prefix('[') {
        Some(rest) => rest
            .strip_suffix(']')
            .ok_or_else(|| PortError::InvalidIp(ip.to_string()))?,
        None => ip,
    };
    bare.parse()
        .map(Some)
        .map_err(|_| PortError::InvalidIp(ip.to_string()))
}

/// Parses `80` or `8000-8002` (start <= end, each 0..=65535).
fn parse_range(text: &str) -> Option<(u16, u16)> {
    let number = |s: &str| -> Option<u16> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    match text.split_once('-') {
        None => number(text).map(|p| (p, p)),
        Some((start, end)) => {
            let (start, end) = (number(start)?, number(end)?);
            (start <= end).then_some((start, end))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn one(spec: &str) -> PortMapping {
        let mut all = parse_publish(spec).unwrap();
        assert_eq!(all.len(), 1, "{spec}");
        all.remove(0)
    }

    fn m(ip: Option<IpAddr>, host: u16, ctr: u16, proto: Proto) -> PortMapping {
        PortMapping {
            host_ip: ip,
            host_port: host,
            host_range: None,
            container_port: ctr,
            proto,
        }
    }

    const LO: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));

    #[test]
    fn simple_forms() {
        assert_eq!(one("80"), m(None, 0, 80, Proto::Tcp));
        assert_eq!(one("8080:80"), m(None, 8080, 80, Proto::Tcp));
        assert_eq!(one("127.0.0.1:8080:80"), m(LO, 8080, 80, Proto::Tcp));
        assert_eq!(one("127.0.0.1::80"), m(LO, 0, 80, Proto::Tcp));
        assert_eq!(one("0:80"), m(None, 0, 80, Proto::Tcp));
        let v6 = Some(IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(one("[::1]:8080:80"), m(v6, 8080, 80, Proto::Tcp));
        assert_eq!(one("::1:8080:80"), m(v6, 8080, 80, Proto::Tcp));
        assert_eq!(one("[::1]::80/udp"), m(v6, 0, 80, Proto::Udp));
    }

    #[test]
    fn protocols() {
        assert_eq!(one("53/udp").proto, Proto::Udp);
        assert_eq!(one("8080:80/tcp").proto, Proto::Tcp);
        assert_eq!(one("8080:80/").proto, Proto::Tcp);
        assert_eq!(one("9:9/sctp").proto, Proto::Sctp);
        assert_eq!(one("9:9/UDP").proto, Proto::Udp);
        assert_eq!(
            parse_publish("80/icmp").unwrap_err().to_string(),
            "invalid proto: icmp"
        );
    }

    #[test]
    fn ranges() {
        let all = parse_publish("8000-8002:80-82/udp").unwrap();
        assert_eq!(
            all,
            vec![
                m(None, 8000, 80, Proto::Udp),
                m(None, 8001, 81, Proto::Udp),
                m(None, 8002, 82, Proto::Udp)
            ]
        );
        let all = parse_publish("80-81").unwrap();
        assert_eq!(
            all,
            vec![m(None, 0, 80, Proto::Tcp), m(None, 0, 81, Proto::Tcp)]
        );
        let pick = one("127.0.0.1:8000-8010:80");
        assert_eq!(pick.host_port, 0);
        assert_eq!(pick.host_range, Some((8000, 8010)));
        assert_eq!(pick.host_ip, LO);
    }

    #[test]
    fn errors() {
        let err = |spec: &str| parse_publish(spec).unwrap_err().to_string();
        assert_eq!(
            err("8000-8002:80-81"),
            "invalid ranges specified for container and host Ports: 80-81 and 8000-8002"
        );
        assert_eq!(
            err("8080:80-81"),
            "invalid ranges specified for container and host Ports: 80-81 and 8080"
        );
        assert_eq!(err("x"), "invalid containerPort: x");
        assert_eq!(err("8080:99999"), "invalid containerPort: 99999");
        assert_eq!(err("8080:0"), "invalid containerPort: 0");
        assert_eq!(err("82-80"), "invalid containerPort: 82-80");
        assert_eq!(err("99999:80"), "invalid hostPort: 99999");
        assert_eq!(err("abc:80"), "invalid hostPort: abc");
        assert_eq!(err("1.2.3:8080:80"), "invalid IP address: 1.2.3");
        assert_eq!(err("[::1:8080:80"), "invalid IP address: [::1");
        assert_eq!(err("8080:"), "no port specified: 8080:<empty>");
        assert_eq!(err(""), "no port specified: <empty>");
        assert_eq!(err("8080:/udp"), "no port specified: 8080:/udp<empty>");
    }

    #[test]
    fn publish_all() {
        let exposed: Vec<String> = [
            "80/tcp",
            "53/udp",
            "80",
            "7000-7001/sctp",
            "bad/tcp",
            "1/xyz",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            expose_to_mappings(&exposed),
            vec![
                m(None, 0, 80, Proto::Tcp),
                m(None, 0, 53, Proto::Udp),
                m(None, 0, 7000, Proto::Sctp),
                m(None, 0, 7001, Proto::Sctp)
            ]
        );
    }

    #[test]
    fn proto_text() {
        assert_eq!(Proto::Sctp.to_string(), "sctp");
        assert_eq!(serde_json::to_string(&Proto::Udp).unwrap(), "\"udp\"");
    }
}
