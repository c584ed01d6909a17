use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::dns::records::{addr_from_ptr_name, ptr_name};
use crate::dns::{RecordType, Records};

fn v4(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn sample() -> Records {
    let mut r = Records::new(Some("DNS.berth.".into()));
    r.insert("web", v4("10.89.0.2"));
    r.insert("Alias1", v4("10.89.0.2"));
    r.insert("web", v4("fd00::2"));
    r.insert("db", v4("10.89.0.3"));
    r.insert("db", v4("10.89.0.3"));
    r
}

#[test]
fn lookup_variants() {
    let r = sample();
    assert_eq!(r.domain(), Some("dns.berth"));
    for n in ["web", "WEB", "web.", "web.dns.berth", "Web.Dns.Berth."] {
        assert_eq!(r.lookup(n, RecordType::A), vec![v4("10.89.0.2")], "{n}");
        assert_eq!(r.lookup(n, RecordType::AAAA), vec![v4("fd00::2")], "{n}");
    }
    assert_eq!(r.lookup("alias1", RecordType::A), vec![v4("10.89.0.2")]);
    assert!(r.lookup("alias1", RecordType::AAAA).is_empty());
    assert!(r.contains("alias1.dns.berth"));
    assert!(r.lookup("db", RecordType::MX).is_empty());
    assert_eq!(r.lookup("db", RecordType::A).len(), 1);
    assert!(!r.contains("nope"));
    assert!(!r.contains("web.other"));
    assert!(!r.contains("webdns.berth"));
    assert!(r.in_domain("nope.dns.berth."));
    assert!(!r.in_domain("nope.xdns.berth"));
    assert!(!r.in_domain("example.com"));
    assert_eq!(
        r.names_for(v4("10.89.0.2")),
        vec!["web.dns.berth".to_string(), "alias1.dns.berth".into()]
    );
    assert_eq!(
        Records::new(None).names_for(v4("10.89.0.2")),
        Vec::<String>::new()
    );
}

#[test]
fn remove_addr_drops_all_names() {
    let mut r = sample();
    r.remove_addr(v4("10.89.0.2"));
    assert!(r.lookup("web", RecordType::A).is_empty());
    assert!(!r.contains("alias1"));
    assert_eq!(r.lookup("web", RecordType::AAAA), vec![v4("fd00::2")]);
    assert_eq!(r.lookup("db", RecordType::A), vec![v4("10.89.0.3")]);
}

#[test]
fn save_load_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.json");
    let r = sample();
    r.save(&path).unwrap();
    assert_eq!(Records::load(&path).unwrap(), r);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(json["domain"], "dns.berth");
    assert_eq!(
        json["entries"][0]["names"],
        serde_json::json!(["web", "alias1"])
    );
    assert_eq!(json["entries"][0]["ipv4"], "10.89.0.2");
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn load_documented_format_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    std::fs::write(
        &path,
        r#"{"domain": "dns.berth", "entries": [{"names": ["web","alias1"], "ipv4": "10.89.0.2"},
            {"names": ["v6only"], "ipv6": "fd00::5"}]}"#,
    )
    .unwrap();
    let r = Records::load(&path).unwrap();
    assert_eq!(
        r.lookup("alias1.dns.berth", RecordType::A),
        vec![v4("10.89.0.2")]
    );
    assert_eq!(r.lookup("v6only", RecordType::AAAA), vec![v4("fd00::5")]);
    std::fs::write(&path, "{not json").unwrap();
    assert!(matches!(
        Records::load(&path),
        Err(crate::dns::DnsError::Json { .. })
    ));
    assert!(matches!(
        Records::load(&dir.path().join("missing")),
        Err(crate::dns::DnsError::File { .. })
    ));
}

#[test]
fn reverse_names() {
    let a = IpAddr::V4(Ipv4Addr::new(10, 89, 0, 2));
    assert_eq!(ptr_name(a), "2.0.89.10.in-addr.arpa");
    assert_eq!(addr_from_ptr_name("2.0.89.10.IN-ADDR.ARPA."), Some(a));
    let b = IpAddr::V6("fd00::1:2".parse::<Ipv6Addr>().unwrap());
    assert_eq!(addr_from_ptr_name(&ptr_name(b)), Some(b));
    assert!(ptr_name(b).starts_with("2.0.0.0.1.0.0.0."));
    for bad in [
        "1.2.3.in-addr.arpa",
        "256.0.0.1.in-addr.arpa",
        "a.b.c.d.in-addr.arpa",
        "x.ip6.arpa",
        "example.com",
    ] {
        assert_eq!(addr_from_ptr_name(bad), None, "{bad}");
    }
}
