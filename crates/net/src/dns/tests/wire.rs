//! The server's use of hickory-proto: round trips, hostile names, truncation.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::XorShift;
use crate::dns::response::{address, encode_within, pointer, query, reply};
use crate::dns::wire::*;

fn name(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

#[test]
fn query_round_trip() {
    let q = query(7, name("Web.DNS.berth."), RecordType::AAAA);
    let back = parse(&encode(&q).unwrap()).unwrap();
    assert_eq!(back.id(), 7);
    assert!(back.recursion_desired());
    assert_eq!(back.message_type(), MessageType::Query);
    assert_eq!(back.queries(), q.queries());
    // Case is preserved on the wire.
    assert_eq!(dotted(back.queries()[0].name()), "Web.DNS.berth.");
}

#[test]
fn reply_echoes_the_query_and_compresses_owner_names() {
    let q = query(0x1234, name("web."), RecordType::A);
    let r = reply(
        &q,
        ResponseCode::NoError,
        true,
        vec![
            address(IpAddr::V4(Ipv4Addr::new(10, 89, 0, 2))),
            address(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            pointer(name("web.dns.berth.")),
        ],
    );
    let bytes = encode(&r).unwrap();
    let back = parse(&bytes).unwrap();
    assert!(back.authoritative() && back.recursion_available());
    assert_eq!(back.message_type(), MessageType::Response);
    assert_eq!(
        (back.id(), back.response_code()),
        (0x1234, ResponseCode::NoError)
    );
    assert_eq!(back.queries(), q.queries());
    assert_eq!(back.answers(), r.answers());
    let types: Vec<RecordType> = back.answers().iter().map(|a| a.record_type()).collect();
    assert_eq!(types, [RecordType::A, RecordType::AAAA, RecordType::PTR]);
    assert!(back.answers().iter().all(|a| a.ttl() == 60));
    // Answer owner names are compressed to a pointer at the question.
    assert!(bytes.windows(2).any(|w| w == [0xC0, 0x0C]));
}

#[test]
fn edns_payload_size_bounds_udp_replies() {
    use crate::dns::response::udp_limit;
    let mut q = query(1, name("web."), RecordType::A);
    assert_eq!(udp_limit(&q), 512);
    let mut edns = hickory_proto::op::Edns::new();
    edns.set_max_payload(1232);
    q.set_edns(edns);
    let back = parse(&encode(&q).unwrap()).unwrap();
    assert_eq!(udp_limit(&back), 1232);
}

#[test]
fn compressed_names_are_followed() {
    // Question "a.example", then an answer "b" + pointer to "example" (offset 14).
    let mut m = vec![0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
    m.extend_from_slice(b"\x01a\x07example\x00\x00\x01\x00\x01");
    m.extend_from_slice(b"\x01b\xC0\x0E\x00\x01\x00\x01\x00\x00\x00\x3C\x00\x04\x0A\x00\x00\x01");
    let msg = parse(&m).unwrap();
    assert_eq!(dotted(msg.answers()[0].name()), "b.example.");
    assert_eq!(
        msg.answers()[0].data(),
        &address(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)))
    );
}

#[test]
fn pointer_loops_and_forward_pointers_are_rejected() {
    let header = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    // A pointer to itself.
    let mut m = header.to_vec();
    m.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]);
    assert!(parse(&m).is_err());
    // Two pointers pointing at each other (via a label).
    let mut m = header.to_vec();
    m.extend_from_slice(&[1, b'a', 0xC0, 16, 1, b'b', 0xC0, 12, 0, 1, 0, 1]);
    assert!(parse(&m).is_err());
    // A forward pointer.
    let mut m = header.to_vec();
    m.extend_from_slice(&[0xC0, 14, 0, 0, 1, 0, 1]);
    assert!(parse(&m).is_err());
    // Reserved label types.
    let mut m = header.to_vec();
    m.extend_from_slice(&[0x41, 0, 0, 1, 0, 1]);
    assert!(parse(&m).is_err());
}

#[test]
fn long_names_are_rejected() {
    // On the wire, 5 labels of 63 bytes are too long even though each label is valid.
    let mut m = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for _ in 0..5 {
        m.push(63);
        m.extend_from_slice(&[b'a'; 63]);
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    assert!(parse(&m).is_err());
    // Also when the length is reached through pointers.
    let mut m = vec![0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0];
    for _ in 0..3 {
        m.push(63);
        m.extend_from_slice(&[b'a'; 63]);
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    m.extend_from_slice(&[63]);
    m.extend_from_slice(&[b'b'; 63]);
    m.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]);
    assert!(parse(&m).is_err());
}

#[test]
fn every_truncation_fails_cleanly() {
    let q = query(9, name("web.dns.berth."), RecordType::A);
    let r = reply(&q, ResponseCode::NoError, true, vec![pointer(name("x.y."))]);
    let bytes = encode(&r).unwrap();
    for len in 0..bytes.len() {
        assert!(parse(&bytes[..len]).is_err(), "prefix {len}");
    }
    assert!(parse(&bytes).is_ok());
    assert!(parse_header(&bytes[..11]).is_err());
    assert_eq!(parse_header(&bytes[..12]).unwrap().id(), 9);
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for i in 0..20_000 {
        let len = (rng.next() % 80) as usize;
        let mut b = rng.bytes(len);
        if i % 2 == 0 && b.len() >= 12 {
            // Plausible header counts to reach the name parser more often.
            b[4..12].copy_from_slice(&[0, 1, 0, 1, 0, 0, 0, 1]);
        }
        let _ = parse(&b);
    }
}

#[test]
fn oversized_replies_are_truncated() {
    let q = query(1, name("many."), RecordType::A);
    let data = (0..100)
        .map(|i| address(IpAddr::V4(Ipv4Addr::new(10, 0, 0, i))))
        .collect();
    let r = reply(&q, ResponseCode::NoError, true, data);
    let bytes = encode_within(&r, 512).unwrap();
    assert!(bytes.len() <= 512);
    let back = parse(&bytes).unwrap();
    assert!(back.truncated());
    assert!(back.answers().is_empty());
    assert_eq!(back.queries(), q.queries());
    let full = parse(&encode_within(&r, 4096).unwrap()).unwrap();
    assert_eq!(full.answers().len(), 100);
    assert!(!full.truncated());
}

#[test]
fn deciding_on_random_packets_never_panics() {
    use crate::dns::handle::{decide, Transport};
    use crate::dns::Records;
    let mut records = Records::new(Some("dns.berth".into()));
    records.insert("web", IpAddr::V4(Ipv4Addr::new(10, 89, 0, 2)));
    let valid = encode(&query(3, name("web."), RecordType::A)).unwrap();
    let mut rng = XorShift(0xDEAD_BEEF_F00D);
    for i in 0..20_000 {
        let mut b = if i % 2 == 0 {
            valid.clone()
        } else {
            let len = (rng.next() % 80) as usize;
            rng.bytes(len)
        };
        // Flip a few bytes of the valid query to reach the deeper paths.
        for _ in 0..(rng.next() % 4) {
            if !b.is_empty() {
                let at = (rng.next() as usize) % b.len();
                b[at] = rng.next() as u8;
            }
        }
        let _ = decide(&b, &records, Transport::Udp);
        let _ = decide(&b, &records, Transport::Tcp);
    }
}
