//! Fuzz target (see tests/fuzz): what the per-network DNS server does with one packet from a
//! container (`dns::handle::decide`: parse, answer from the network's records or forward),
//! over UDP and TCP framing, plus the resolv.conf reader. Every input must give a reply, a
//! drop or a forward: no panic, no hang.

use berth_fuzz::fuzz_target;
use berth_net::dns::handle::{decide, Action, Transport};
use berth_net::dns::response::{query, servfail, udp_limit};
use berth_net::dns::wire::{self, Name};
use berth_net::dns::{tcp, upstreams_from_resolv_conf, RecordType, Records};
use std::net::IpAddr;

const DNS_TOKENS: &[&[u8]] = &[
    b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00", // EDNS(0) OPT record, 4096 bytes
    b"\xc0\x0c",                                     // a compression pointer to the question
    b"\xc0\x00",                                     // a pointer to the header (a loop)
    b"\x03web\x00",
    b"\x07in-addr\x04arpa\x00",
    b"\x03ip6\x04arpa\x00",
    b"\x00\x01\x00\x01",
    b"\x00\x1c\x00\x01",
    b"\x00\x0c\x00\x01",
    b"\x00\xff\x00\xff",
    b"\x3f",
    b"\xff\xff",
    b"nameserver ",
    b"search ",
    b"options ndots:",
    b"::1",
    b"127.0.0.53",
];

fn records() -> Records {
    let mut r = Records::new(Some("berth.test".into()));
    for (name, addr) in [
        ("web", "172.30.0.2"),
        ("web", "fd00::2"),
        ("db", "172.30.0.3"),
        (
            "a-very-long-alias-name-for-the-database-service",
            "172.30.0.3",
        ),
    ] {
        r.insert(name, addr.parse::<IpAddr>().expect("address"));
    }
    for i in 0..40u8 {
        r.insert("many", IpAddr::from([172, 30, 1, i]));
    }
    r
}

fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for (name, qtype) in [
        ("web", RecordType::A),
        ("web.berth.test", RecordType::AAAA),
        ("many", RecordType::A),
        ("2.0.30.172.in-addr.arpa", RecordType::PTR),
        (
            "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa",
            RecordType::PTR,
        ),
        ("example.com", RecordType::A),
        ("web", RecordType::TXT),
    ] {
        let name = Name::from_ascii(name).expect("name");
        if let Ok(bytes) = wire::encode(&query(0x1234, name, qtype)) {
            seeds.push(bytes);
        }
    }
    // With an EDNS(0) OPT record asking for 4096-byte replies.
    if let Some(first) = seeds.first() {
        let mut edns = first.clone();
        edns[11] = 1; // ARCOUNT
        edns.extend_from_slice(b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00");
        seeds.push(edns);
    }
    seeds.push(b"nameserver 127.0.0.53\nnameserver ::1\nsearch a b\noptions ndots:2\nnameserver 8.8.8.8#53\n".to_vec());
    seeds
}

#[test]
fn fuzz_dns_query() {
    let records = records();
    let exclude: Vec<IpAddr> = vec!["172.30.0.1".parse().expect("address")];
    fuzz_target!(
        seeds = seeds(),
        max_len = 4096,
        dictionary = DNS_TOKENS,
        body = |input: &[u8]| {
            for transport in [Transport::Udp, Transport::Tcp] {
                match decide(input, &records, transport) {
                    Action::Reply(bytes) => {
                        let limit = match transport {
                            Transport::Udp => udp_limit(&wire::parse(input).expect("query")),
                            Transport::Tcp => 65535,
                        };
                        assert!(bytes.len() <= limit, "reply over the transport's size");
                        // A reply we send must be a message we can read back.
                        wire::parse(&bytes).expect("our own reply parses");
                    }
                    Action::Forward(q) => {
                        let _ = wire::encode(&servfail(&q));
                    }
                    Action::Drop => {}
                }
            }
            if let Ok(msg) = wire::parse(input) {
                let _ = wire::encode(&msg);
                let _ = udp_limit(&msg);
            }
            let mut framed = std::io::Cursor::new(input);
            while let Ok(msg) = tcp::read_message(&mut framed) {
                let _ = decide(&msg, &records, Transport::Tcp);
            }
            let _ = upstreams_from_resolv_conf(&String::from_utf8_lossy(input), &exclude);
        },
    );
}
