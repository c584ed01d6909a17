//! The content of the container's /etc/hosts, /etc/hostname and /etc/resolv.conf, as
//! Docker (libnetwork `etchosts` and `resolvconf`) writes them.

use std::net::IpAddr;

use super::{Error, HostAddr, HostEntry, NetworkMode, Result};

/// Docker's fallback nameservers when the host's are all local.
const DEFAULT_DNS_V4: &[&str] = &["8.8.8.8", "8.8.4.4"];
/// IPv6 fallback nameservers, used when the container's network has IPv6.
const DEFAULT_DNS_V6: &[&str] = &["2001:4860:4860::8888", "2001:4860:4860::8844"];

/// What /etc/hosts is made of.
#[derive(Debug, Clone, Default)]
pub struct HostsInput<'a> {
    /// The container's hostname.
    pub hostname: &'a str,
    /// `--domainname`, if any.
    pub domainname: Option<&'a str>,
    /// The container's own addresses on its network (none for `--network none`).
    pub addresses: &'a [IpAddr],
    /// `--network-alias` names, listed after the hostname on the own-address lines.
    pub aliases: &'a [String],
    /// `--add-host` entries.
    pub extra: &'a [HostEntry],
    /// What `host-gateway` stands for; `None` makes a `host-gateway` entry an error.
    pub host_gateway: Option<IpAddr>,
}

/// /etc/hosts: the localhost and IPv6 lines Docker always writes, the `--add-host` entries,
/// then the container's own addresses with its hostname.
pub fn hosts_file(input: &HostsInput) -> Result<String> {
    let mut s = String::from(
        "127.0.0.1\tlocalhost\n\
         ::1\tlocalhost ip6-localhost ip6-loopback\n\
         fe00::0\tip6-localnet\n\
         ff00::0\tip6-mcastprefix\n\
         ff02::1\tip6-allnodes\n\
         ff02::2\tip6-allrouters\n",
    );
    for e in input.extra {
        let ip = match e.addr {
            HostAddr::Ip(ip) => ip,
            HostAddr::HostGateway => input.host_gateway.ok_or_else(|| {
                Error::Conflict(format!(
                    "--add-host {}:host-gateway: the host gateway address is not known on this network",
                    e.name
                ))
            })?,
        };
        s.push_str(&format!("{ip}\t{}\n", e.name));
    }
    let mut names = match input.domainname.filter(|d| !d.is_empty()) {
        Some(d) => format!("{}.{d} {}", input.hostname, input.hostname),
        None => input.hostname.to_string(),
    };
    for a in input.aliases {
        if a != input.hostname {
            names.push(' ');
            names.push_str(a);
        }
    }
    for ip in input.addresses {
        s.push_str(&format!("{ip}\t{names}\n"));
    }
    Ok(s)
}

/// /etc/hostname.
pub fn hostname_file(hostname: &str) -> String {
    format!("{hostname}\n")
}

/// What /etc/resolv.conf is made from.
#[derive(Debug, Clone)]
pub struct ResolvInput<'a> {
    /// The host's /etc/resolv.conf text.
    pub host: &'a str,
    /// The container's network mode.
    pub network: &'a NetworkMode,
    /// Whether the container's network has IPv6 (keeps IPv6 nameservers).
    pub ipv6: bool,
    /// `--dns`.
    pub dns: &'a [String],
    /// `--dns-search` (`.` alone means no search list).
    pub dns_search: &'a [String],
    /// `--dns-option`.
    pub dns_options: &'a [String],
}

fn is_local_ns(addr: &str) -> bool {
    addr.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn nameserver_of(line: &str) -> Option<&str> {
    let mut w = line.split_whitespace();
    (w.next() == Some("nameserver")).then(|| w.next()).flatten()
}

/// /etc/resolv.conf. With `--network host` or `none` the host's file is kept; otherwise
/// loopback nameservers (and IPv6 ones without IPv6) are dropped, falling back to Google's
/// when none are left. `--dns`, `--dns-search` and `--dns-option` replace the file's
/// nameservers, search list and options.
pub fn resolv_conf(input: &ResolvInput) -> String {
    if input.dns.is_empty() && input.dns_search.is_empty() && input.dns_options.is_empty() {
        return filtered_host_file(input);
    }
    let nameservers: Vec<String> = if input.dns.is_empty() {
        let ns: Vec<String> = input
            .host
            .lines()
            .filter_map(nameserver_of)
            .filter(|n| usable_nameserver(input, n))
            .map(str::to_string)
            .collect();
        if ns.is_empty() && !keeps_host_file(input) {
            fallback_nameservers(input.ipv6)
        } else {
            ns
        }
    } else {
        input.dns.to_vec()
    };
    let search = if input.dns_search.is_empty() {
        last_list(input.host, "search")
    } else {
        input.dns_search.to_vec()
    };
    let options = if input.dns_options.is_empty() {
        last_list(input.host, "options")
    } else {
        input.dns_options.to_vec()
    };
    let mut out = String::new();
    let search = search.join(" ");
    if !search.trim().is_empty() && search.trim() != "." {
        out.push_str(&format!("search {search}\n"));
    }
    for ns in nameservers {
        out.push_str(&format!("nameserver {ns}\n"));
    }
    let options = options.join(" ");
    if !options.trim().is_empty() {
        out.push_str(&format!("options {options}\n"));
    }
    out
}

/// Whether the host's nameservers are kept as they are (`--network host` or `none`).
fn keeps_host_file(input: &ResolvInput) -> bool {
    matches!(input.network, NetworkMode::Host | NetworkMode::None)
}

/// Whether a host nameserver is kept: all are on host/none networks; otherwise not a
/// loopback one, nor an IPv6 one without IPv6.
fn usable_nameserver(input: &ResolvInput, ns: &str) -> bool {
    keeps_host_file(input)
        || (!is_local_ns(ns) && (input.ipv6 || !ns.parse::<IpAddr>().is_ok_and(|i| i.is_ipv6())))
}

/// Docker's fallback nameservers (Google's), IPv6 ones too with IPv6.
fn fallback_nameservers(ipv6: bool) -> Vec<String> {
    let mut v: Vec<String> = DEFAULT_DNS_V4.iter().map(|s| s.to_string()).collect();
    if ipv6 {
        v.extend(DEFAULT_DNS_V6.iter().map(|s| s.to_string()));
    }
    v
}

/// The host's file line by line, minus the nameservers not kept (the fallback ones added
/// when none is left).
fn filtered_host_file(input: &ResolvInput) -> String {
    let mut out = String::new();
    let mut any_ns = false;
    for line in input.host.lines() {
        match nameserver_of(line) {
            Some(ns) if !usable_nameserver(input, ns) => continue,
            Some(_) => any_ns = true,
            None => {}
        }
        out.push_str(line);
        out.push('\n');
    }
    if !any_ns && !keeps_host_file(input) {
        for ns in fallback_nameservers(input.ipv6) {
            out.push_str(&format!("nameserver {ns}\n"));
        }
    }
    out
}

/// The words after the last `key` line of a resolv.conf (`search`, `options`).
fn last_list(host: &str, key: &str) -> Vec<String> {
    host.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some(key)).then(|| w.map(str::to_string).collect::<Vec<_>>())
        })
        .next_back()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "# host file\nnameserver 127.0.0.53\nnameserver 10.0.0.1\nnameserver ::1\nnameserver fd00::1\nsearch corp.example\noptions edns0 trust-ad\n";

    fn input<'a>(host: &'a str, net: &'a NetworkMode) -> ResolvInput<'a> {
        ResolvInput {
            host,
            network: net,
            ipv6: false,
            dns: &[],
            dns_search: &[],
            dns_options: &[],
        }
    }

    #[test]
    fn hosts() {
        let extra = [
            HostEntry {
                name: "db".into(),
                addr: HostAddr::Ip("10.1.1.1".parse().unwrap()),
            },
            HostEntry {
                name: "gw".into(),
                addr: HostAddr::HostGateway,
            },
        ];
        let addrs = ["172.17.0.2".parse().unwrap()];
        let aliases = ["web".to_string()];
        let h = hosts_file(&HostsInput {
            hostname: "abc123",
            domainname: Some("example.com"),
            addresses: &addrs,
            aliases: &aliases,
            extra: &extra,
            host_gateway: Some("172.17.0.1".parse().unwrap()),
        })
        .unwrap();
        assert_eq!(
            h,
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n\
             ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n\
             10.1.1.1\tdb\n172.17.0.1\tgw\n172.17.0.2\tabc123.example.com abc123 web\n"
        );
        let err = hosts_file(&HostsInput {
            extra: &extra,
            ..HostsInput::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("host-gateway"));
        let h = hosts_file(&HostsInput {
            hostname: "x",
            ..HostsInput::default()
        })
        .unwrap();
        assert_eq!(h.lines().count(), 6);
        assert_eq!(hostname_file("abc"), "abc\n");
    }

    #[test]
    fn resolv_filters_local_nameservers() {
        let net = NetworkMode::Default;
        assert_eq!(
            resolv_conf(&input(HOST, &net)),
            "# host file\nnameserver 10.0.0.1\nsearch corp.example\noptions edns0 trust-ad\n"
        );
        let mut i = input(HOST, &net);
        i.ipv6 = true;
        assert!(resolv_conf(&i).contains("nameserver fd00::1\n"));
        let local_only = "nameserver 127.0.0.53\noptions edns0\n";
        assert_eq!(
            resolv_conf(&input(local_only, &net)),
            "options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n"
        );
    }

    #[test]
    fn resolv_host_and_none_keep_file() {
        for net in [NetworkMode::Host, NetworkMode::None] {
            assert_eq!(resolv_conf(&input(HOST, &net)), HOST);
        }
    }

    #[test]
    fn resolv_overrides() {
        let net = NetworkMode::Named("app".into());
        let dns = ["1.1.1.1".to_string()];
        let search = [".".to_string()];
        let opts = ["ndots:2".to_string()];
        let mut i = input(HOST, &net);
        i.dns = &dns;
        assert_eq!(
            resolv_conf(&i),
            "search corp.example\nnameserver 1.1.1.1\noptions edns0 trust-ad\n"
        );
        i.dns_search = &search;
        i.dns_options = &opts;
        assert_eq!(resolv_conf(&i), "nameserver 1.1.1.1\noptions ndots:2\n");
        let mut i = input("nameserver 127.0.0.1\n", &net);
        i.dns_options = &opts;
        assert_eq!(
            resolv_conf(&i),
            "nameserver 8.8.8.8\nnameserver 8.8.4.4\noptions ndots:2\n"
        );
    }
}
