//! `ports` and `expose`: every short form (`80`, `8080:80`, `127.0.0.1:8080:80`, `[::1]:80:80`,
//! ranges, `/udp`) and the long form, normalised to one [`PortConfig`] per container port, as
//! compose-go does (with go-connections' `ParsePortSpec` wording for errors).

use std::net::IpAddr;

use serde::Serialize;

use super::node::Node;
use crate::Result;

/// One published or exposed container port, in compose's long form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortConfig {
    /// A human-readable name (long form only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `ingress` (the default) or `host`.
    pub mode: String,
    /// The host address to bind (none: all addresses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    /// The container port.
    pub target: u16,
    /// The host port or host port range (`8000-9000`: pick a free one); none: ephemeral.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// `tcp` (the default), `udp` or `sctp`.
    pub protocol: String,
    /// The application protocol (long form only, informational).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
}

impl PortConfig {
    /// The host port range `(first, last)` this port may be published on, if any.
    pub fn published_range(&self) -> Option<(u16, u16)> {
        let p = self.published.as_deref()?;
        parse_range(p).ok()
    }
}

/// Reads a service's `ports`.
pub(crate) fn ports(n: Node<'_, '_>) -> Result<Vec<PortConfig>> {
    let mut out = Vec::new();
    if n.is_null() {
        return Ok(out);
    }
    for item in n.items()? {
        let item = item.node();
        if item.v.is_object() {
            out.push(long_port(item)?);
        } else {
            let spec = item.scalar()?;
            out.extend(parse_port_spec(&spec).map_err(|e| item.err(e))?);
        }
    }
    Ok(out)
}

/// Reads a service's `expose` (`"3000"`, `"8080-8085/tcp"`, `3000`), one entry per item as
/// compose prints it.
pub(crate) fn expose(n: Node<'_, '_>) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if n.is_null() {
        return Ok(out);
    }
    for item in n.items()? {
        let item = item.node();
        let s = item.scalar()?;
        let (port, proto) = s.split_once('/').unwrap_or((&s, "tcp"));
        parse_range(port).map_err(|_| item.err(format!("invalid port: {s}")))?;
        check_proto(proto).map_err(|e| item.err(e))?;
        out.push(s);
    }
    Ok(out)
}

fn long_port(n: Node<'_, '_>) -> Result<PortConfig> {
    let mut p = PortConfig {
        name: None,
        mode: "ingress".into(),
        host_ip: None,
        target: 0,
        published: None,
        protocol: "tcp".into(),
        app_protocol: None,
    };
    let mut has_target = false;
    for (k, c) in n.entries()? {
        let c = c.node();
        match k {
            "target" => {
                let t = c.u64()?;
                p.target =
                    u16::try_from(t).map_err(|_| c.err(format!("invalid containerPort: {t}")))?;
                has_target = true;
            }
            "published" => {
                if let Some(s) = c.opt_scalar()? {
                    if !s.is_empty() {
                        parse_range(&s).map_err(|_| c.err(format!("invalid hostPort: {s}")))?;
                        p.published = Some(s);
                    }
                }
            }
            "host_ip" => {
                let ip = c.str()?;
                check_ip(ip).map_err(|e| c.err(e))?;
                p.host_ip = Some(ip.to_string());
            }
            "protocol" => {
                let proto = c.str()?.to_ascii_lowercase();
                check_proto(&proto).map_err(|e| c.err(e))?;
                p.protocol = proto;
            }
            "mode" => {
                let m = c.str()?;
                if m != "host" && m != "ingress" {
                    return Err(c.err(format!("invalid port mode {m:?}: must be host or ingress")));
                }
                p.mode = m.to_string();
            }
            "name" => p.name = Some(c.scalar()?),
            "app_protocol" => p.app_protocol = Some(c.scalar()?),
            k if k.starts_with("x-") => {}
            k => return Err(c.err(format!("unknown port attribute {k:?}"))),
        }
    }
    if !has_target {
        return Err(n.err("port is missing its target"));
    }
    Ok(p)
}

/// Parses a short port spec into one config per container port.
pub fn parse_port_spec(raw: &str) -> Result<Vec<PortConfig>, String> {
    let (rest, proto) = match raw.rsplit_once('/') {
        Some((r, p)) => (r, p.to_ascii_lowercase()),
        None => (raw, "tcp".to_string()),
    };
    check_proto(&proto)?;
    let parts: Vec<&str> = rest.split(':').collect();
    let n = parts.len();
    let container = parts[n - 1];
    let (ip, host) = match n {
        1 => (String::new(), ""),
        2 => (String::new(), parts[0]),
        3 => (parts[0].to_string(), parts[1]),
        _ => (parts[..n - 2].join(":"), parts[n - 2]),
    };
    let ip = match ip.strip_prefix('[').and_then(|i| i.strip_suffix(']')) {
        Some(inner) => inner.to_string(),
        None => ip,
    };
    if !ip.is_empty() {
        check_ip(&ip)?;
    }
    if container.is_empty() {
        return Err(format!("no port specified: {raw}<empty>"));
    }
    let (cstart, cend) =
        parse_range(container).map_err(|_| format!("invalid containerPort: {container}"))?;
    let host_range = if host.is_empty() {
        None
    } else {
        Some(parse_range(host).map_err(|_| format!("invalid hostPort: {host}"))?)
    };
    if let Some((hstart, hend)) = host_range {
        if hend - hstart != cend - cstart && cend != cstart {
            return Err(format!(
                "invalid ranges specified for container and host Ports: {container} and {host}"
            ));
        }
    }
    let mut out = Vec::new();
    for i in 0..=(cend - cstart) {
        let published = host_range.map(|(hs, he)| {
            if he != hs && cend == cstart {
                format!("{hs}-{he}")
            } else {
                (hs + i).to_string()
            }
        });
        out.push(PortConfig {
            name: None,
            mode: "ingress".into(),
            host_ip: (!ip.is_empty()).then(|| ip.clone()),
            target: cstart + i,
            published,
            protocol: proto.clone(),
            app_protocol: None,
        });
    }
    Ok(out)
}

/// `80` or `8000-8010` as `(first, last)`.
fn parse_range(s: &str) -> Result<(u16, u16), ()> {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let a: u16 = a.trim().parse().map_err(|_| ())?;
    let b: u16 = b.trim().parse().map_err(|_| ())?;
    if b < a {
        return Err(());
    }
    Ok((a, b))
}

fn check_proto(p: &str) -> Result<(), String> {
    match p {
        "tcp" | "udp" | "sctp" => Ok(()),
        _ => Err(format!("invalid proto: {p}")),
    }
}

fn check_ip(ip: &str) -> Result<(), String> {
    ip.parse::<IpAddr>()
        .map(|_| ())
        .map_err(|_| format!("invalid IP address: {ip}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> (Option<String>, u16, Option<String>, String) {
        let v = parse_port_spec(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(v.len(), 1, "{s}");
        let p = &v[0];
        (
            p.host_ip.clone(),
            p.target,
            p.published.clone(),
            p.protocol.clone(),
        )
    }

    #[test]
    fn short_forms() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(one("3000"), (None, 3000, None, "tcp".into()));
        assert_eq!(one("8080:80"), (None, 80, s("8080"), "tcp".into()));
        assert_eq!(
            one("127.0.0.1:8001:8001"),
            (s("127.0.0.1"), 8001, s("8001"), "tcp".into())
        );
        assert_eq!(
            one("::1:6000:6000"),
            (s("::1"), 6000, s("6000"), "tcp".into())
        );
        assert_eq!(
            one("[::1]:6001:6001"),
            (s("::1"), 6001, s("6001"), "tcp".into())
        );
        assert_eq!(one("6060:6060/udp"), (None, 6060, s("6060"), "udp".into()));
        assert_eq!(
            one("127.0.0.1::80"),
            (s("127.0.0.1"), 80, None, "tcp".into())
        );
        assert_eq!(
            one("8000-9000:80"),
            (None, 80, s("8000-9000"), "tcp".into())
        );
    }

    #[test]
    fn ranges_expand() {
        let v = parse_port_spec("8000-8010:80-90").unwrap_or_default();
        assert_eq!(v.len(), 11);
        assert_eq!((v[3].published.as_deref(), v[3].target), (Some("8003"), 83));
        let v = parse_port_spec("3000-3005").unwrap_or_default();
        assert_eq!(v.len(), 6);
        assert!(v.iter().all(|p| p.published.is_none()));
        assert_eq!(v[5].target, 3005);
    }

    #[test]
    fn bad_specs() {
        assert_eq!(
            parse_port_spec("abc").unwrap_err(),
            "invalid containerPort: abc"
        );
        assert_eq!(parse_port_spec("x:80").unwrap_err(), "invalid hostPort: x");
        assert_eq!(parse_port_spec("80/xyz").unwrap_err(), "invalid proto: xyz");
        assert_eq!(
            parse_port_spec("1.2.3:80:80").unwrap_err(),
            "invalid IP address: 1.2.3"
        );
        assert_eq!(
            parse_port_spec("70000").unwrap_err(),
            "invalid containerPort: 70000"
        );
        assert!(parse_port_spec("8000-8002:80-81").is_err());
        assert!(parse_port_spec("80:").is_err());
    }
}
