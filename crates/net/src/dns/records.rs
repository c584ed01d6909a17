//! The name table of one network and the JSON records file berth writes for it.

use std::fs;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::DnsError;
use super::wire::RecordType;

/// Name -> addresses for one network. Names are matched case-insensitively, with or
/// without a trailing dot, and also with the network's search domain suffix (e.g.
/// `web` and `web.dns.berth` if domain is "dns.berth").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Records {
    domain: Option<String>,
    /// (normalised name, address) pairs in insertion order, without duplicates.
    entries: Vec<(String, IpAddr)>,
}

/// The on-disk shape of the records file.
#[derive(Debug, Serialize, Deserialize)]
struct RecordsFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    domain: Option<String>,
    #[serde(default)]
    entries: Vec<FileEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileEntry {
    names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ipv4: Option<Ipv4Addr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ipv6: Option<Ipv6Addr>,
}

fn normalize(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

impl Records {
    /// An empty table; `domain` is the network's search domain (e.g. `dns.berth`).
    pub fn new(domain: Option<String>) -> Self {
        let domain = domain.map(|d| normalize(&d)).filter(|d| !d.is_empty());
        Records {
            domain,
            entries: Vec::new(),
        }
    }

    /// The search domain, normalised (lower case, no trailing dot).
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// Adds `addr` to `name` (empty names and duplicates are ignored).
    pub fn insert(&mut self, name: &str, addr: IpAddr) {
        let name = normalize(name);
        if name.is_empty() || self.entries.iter().any(|(n, a)| *n == name && *a == addr) {
            return;
        }
        self.entries.push((name, addr));
    }

    /// Removes every name bound to `addr` (a container leaving the network).
    pub fn remove_addr(&mut self, addr: IpAddr) {
        self.entries.retain(|(_, a)| *a != addr);
    }

    /// The key `name` is stored under, if the table holds it (directly or without the
    /// search domain suffix).
    fn key<'a>(&'a self, name: &str) -> Option<&'a str> {
        let name = normalize(name);
        let hit = |n: &str| {
            self.entries
                .iter()
                .find(|(k, _)| k == n)
                .map(|(k, _)| k.as_str())
        };
        if let Some(k) = hit(&name) {
            return Some(k);
        }
        let domain = self.domain.as_deref()?;
        let short = name.strip_suffix(domain)?.strip_suffix('.')?;
        hit(short)
    }

    /// Addresses of `name` for `qtype`: IPv4 for A, IPv6 for AAAA, nothing for other
    /// types (use [`Records::contains`] to know whether the name exists at all).
    pub fn lookup(&self, name: &str, qtype: RecordType) -> Vec<IpAddr> {
        let Some(key) = self.key(name) else {
            return Vec::new();
        };
        self.entries
            .iter()
            .filter(|(n, a)| {
                n == key
                    && match qtype {
                        RecordType::A => a.is_ipv4(),
                        RecordType::AAAA => a.is_ipv6(),
                        _ => false,
                    }
            })
            .map(|(_, a)| *a)
            .collect()
    }

    /// Whether `name` is known, whatever its addresses.
    pub fn contains(&self, name: &str) -> bool {
        self.key(name).is_some()
    }

    /// Whether `name` lies inside the search domain (the server is authoritative there:
    /// unknown names in it get NXDOMAIN instead of being forwarded).
    pub fn in_domain(&self, name: &str) -> bool {
        let name = normalize(name);
        match self.domain.as_deref() {
            Some(d) => name == d || name.strip_suffix(d).is_some_and(|p| p.ends_with('.')),
            None => false,
        }
    }

    /// Fully qualified names (with the search domain, if any) bound to `addr`, for PTR
    /// answers, in insertion order.
    pub fn names_for(&self, addr: IpAddr) -> Vec<String> {
        self.entries
            .iter()
            .filter(|(_, a)| *a == addr)
            .map(|(n, _)| match &self.domain {
                Some(d) if !n.ends_with(&format!(".{d}")) => format!("{n}.{d}"),
                _ => n.clone(),
            })
            .collect()
    }

    /// Reads the records file berth writes (JSON):
    /// `{"domain": "dns.berth", "entries": [{"names": ["web","alias1"], "ipv4": "10.89.0.2"}]}`
    /// (an entry may also carry `"ipv6"`).
    pub fn load(path: &Path) -> Result<Records, DnsError> {
        let text = fs::read(path).map_err(|source| DnsError::File {
            path: path.to_path_buf(),
            source,
        })?;
        let file: RecordsFile = serde_json::from_slice(&text).map_err(|source| DnsError::Json {
            path: path.to_path_buf(),
            source,
        })?;
        let mut records = Records::new(file.domain);
        for entry in file.entries {
            let addrs = entry
                .ipv4
                .map(IpAddr::V4)
                .into_iter()
                .chain(entry.ipv6.map(IpAddr::V6));
            for addr in addrs {
                for name in &entry.names {
                    records.insert(name, addr);
                }
            }
        }
        Ok(records)
    }

    /// Writes the records file atomically (a temporary file in the same directory, then
    /// rename). Names sharing an address form one entry; an IPv4 and an IPv6 entry with
    /// the same names are merged.
    pub fn save(&self, path: &Path) -> Result<(), DnsError> {
        let file_err = |source| DnsError::File {
            path: path.to_path_buf(),
            source,
        };
        let json = serde_json::to_vec_pretty(&self.to_file()).map_err(|source| DnsError::Json {
            path: path.to_path_buf(),
            source,
        })?;
        let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
        // Unique per writer: threads of one process may save at the same time.
        static SAVES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = SAVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tmp_name.push(format!(".tmp.{}.{n}", std::process::id()));
        let tmp = path.with_file_name(tmp_name);
        let written = fs::File::create(&tmp).and_then(|mut f| {
            f.write_all(&json)?;
            f.write_all(b"\n")?;
            f.sync_all()
        });
        if let Err(e) = written.and_then(|()| fs::rename(&tmp, path)) {
            let _ = fs::remove_file(&tmp);
            return Err(file_err(e));
        }
        Ok(())
    }

    fn to_file(&self) -> RecordsFile {
        // Group names by address, keeping first-appearance order.
        let mut groups: Vec<(IpAddr, Vec<String>)> = Vec::new();
        for (name, addr) in &self.entries {
            match groups.iter_mut().find(|(a, _)| a == addr) {
                Some((_, names)) => names.push(name.clone()),
                None => groups.push((*addr, vec![name.clone()])),
            }
        }
        let mut entries: Vec<FileEntry> = Vec::new();
        for (addr, names) in groups {
            let same = |e: &&mut FileEntry| e.names == names;
            match addr {
                IpAddr::V4(v4) => match entries.iter_mut().find(|e| same(e) && e.ipv4.is_none()) {
                    Some(e) => e.ipv4 = Some(v4),
                    None => entries.push(FileEntry {
                        names,
                        ipv4: Some(v4),
                        ipv6: None,
                    }),
                },
                IpAddr::V6(v6) => match entries.iter_mut().find(|e| same(e) && e.ipv6.is_none()) {
                    Some(e) => e.ipv6 = Some(v6),
                    None => entries.push(FileEntry {
                        names,
                        ipv4: None,
                        ipv6: Some(v6),
                    }),
                },
            }
        }
        RecordsFile {
            domain: self.domain.clone(),
            entries,
        }
    }
}

/// The address a reverse-lookup name stands for: `d.c.b.a.in-addr.arpa` or the 32
/// nibbles of `….ip6.arpa` (case-insensitive, trailing dot optional).
pub fn addr_from_ptr_name(name: &str) -> Option<IpAddr> {
    let name = normalize(name);
    if let Some(rest) = name.strip_suffix(".in-addr.arpa") {
        let mut octets = [0u8; 4];
        let parts: Vec<&str> = rest.split('.').collect();
        if parts.len() != 4 {
            return None;
        }
        for (i, p) in parts.iter().rev().enumerate() {
            if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            octets[i] = p.parse().ok()?;
        }
        return Some(IpAddr::V4(Ipv4Addr::from(octets)));
    }
    let rest = name.strip_suffix(".ip6.arpa")?;
    let nibbles: Vec<&str> = rest.split('.').collect();
    if nibbles.len() != 32 {
        return None;
    }
    let mut value: u128 = 0;
    for n in nibbles.iter().rev() {
        if n.len() != 1 {
            return None;
        }
        value = value << 4 | u128::from(u8::from_str_radix(n, 16).ok()?);
    }
    Some(IpAddr::V6(Ipv6Addr::from(value)))
}

/// The reverse-lookup name of `addr`, without a trailing dot.
pub fn ptr_name(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa")
        }
        IpAddr::V6(v6) => {
            let mut out = String::new();
            for byte in v6.octets().iter().rev() {
                out.push_str(&format!("{:x}.{:x}.", byte & 0xF, byte >> 4));
            }
            out + "ip6.arpa"
        }
    }
}
