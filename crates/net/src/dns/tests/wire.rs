use std::net::{Ipv4Addr, Ipv6Addr};

use super::XorShift;
use crate::dns::response::{encode_within, query, reply};
use crate::dns::wire::*;

fn name(s: &str) -> Name {
    Name::from_dotted(s).unwrap()
}

#[test]
fn header_round_trip() {
    let h = Header {
        id: 0xBEEF,
        response: true,
        opcode: 2,
        authoritative: true,
        truncated: true,
        recursion_desired: true,
        recursion_available: true,
        z: 5,
        rcode: 3,
        qdcount: 1,
        ancount: 2,
        nscount: 3,
        arcount: 4,
    };
    let mut out = Vec::new();
    h.write(&mut out);
    assert_eq!(out.len(), HEADER_LEN);
    assert_eq!(Header::parse(&out).unwrap(), h);
    assert_eq!(Header::parse(&out[..11]), Err(WireError::Truncated));
}

#[test]
fn query_round_trip() {
    let q = query(7, name("Web.DNS.berth."), QType::Aaaa);
    let bytes = q.to_bytes().unwrap();
    let back = Message::parse(&bytes).unwrap();
    assert_eq!(back.header.id, 7);
    assert!(back.header.recursion_desired);
    assert_eq!(back.questions, q.questions);
    // Case is preserved on the wire.
    assert_eq!(back.questions[0].name.to_dotted(), "Web.DNS.berth");
    assert_eq!(back.questions[0].name.to_string(), "Web.DNS.berth.");
}

#[test]
fn response_round_trip_all_record_kinds() {
    let q = query(0x1234, name("web"), QType::A);
    let mut r = reply(
        &q,
        rcode::NOERROR,
        true,
        vec![
            RData::A(Ipv4Addr::new(10, 89, 0, 2)),
            RData::Aaaa(Ipv6Addr::LOCALHOST),
            RData::Ptr(name("web.dns.berth")),
        ],
    );
    r.additionals.push(Record {
        name: Name::root(),
        rtype: QType::Other(TYPE_OPT),
        class: 1232,
        ttl: 0,
        data: RData::Other(vec![]),
    });
    r.authorities.push(Record {
        name: name("other.example"),
        rtype: QType::Other(16),
        class: CLASS_IN,
        ttl: 5,
        data: RData::Other(b"\x03txt".to_vec()),
    });
    let bytes = r.to_bytes().unwrap();
    let back = Message::parse(&bytes).unwrap();
    assert!(back.header.response && back.header.authoritative && back.header.recursion_available);
    assert_eq!(
        (back.header.id, back.header.rcode),
        (0x1234, rcode::NOERROR)
    );
    assert_eq!(back.header.ancount, 3);
    assert_eq!(back.questions, r.questions);
    assert_eq!(back.answers, r.answers);
    assert_eq!(back.authorities, r.authorities);
    assert_eq!(back.additionals, r.additionals);
    assert_eq!(back.edns_payload_size(), Some(1232));
    assert_eq!(back.answers[0].ttl, 60);
    // Answer owner names are compressed to a pointer at the question.
    assert!(bytes.windows(2).any(|w| w == [0xC0, 0x0C]));
}

#[test]
fn compressed_names_are_followed() {
    // Question "a.example", then an answer "b" + pointer to "example" (offset 14).
    let mut m = vec![0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
    m.extend_from_slice(b"\x01a\x07example\x00\x00\x01\x00\x01");
    m.extend_from_slice(b"\x01b\xC0\x0E\x00\x01\x00\x01\x00\x00\x00\x3C\x00\x04\x0A\x00\x00\x01");
    let msg = Message::parse(&m).unwrap();
    assert_eq!(msg.answers[0].name.to_dotted(), "b.example");
    assert_eq!(msg.answers[0].data, RData::A(Ipv4Addr::new(10, 0, 0, 1)));
}

#[test]
fn pointer_loops_and_forward_pointers_are_rejected() {
    let header = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    // A pointer to itself.
    let mut m = header.to_vec();
    m.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]);
    assert_eq!(Message::parse(&m), Err(WireError::BadPointer));
    // Two pointers pointing at each other (via a label).
    let mut m = header.to_vec();
    m.extend_from_slice(&[1, b'a', 0xC0, 16, 1, b'b', 0xC0, 12]);
    assert!(Name::parse(&m, 12).is_err());
    assert!(Name::parse(&m, 16).is_err());
    // A forward pointer.
    let mut m = header.to_vec();
    m.extend_from_slice(&[0xC0, 14, 0, 0, 1, 0, 1]);
    assert_eq!(Message::parse(&m), Err(WireError::BadPointer));
    // Reserved label types.
    let mut m = header.to_vec();
    m.extend_from_slice(&[0x41, 0, 0, 1, 0, 1]);
    assert_eq!(Message::parse(&m), Err(WireError::BadLabel));
}

#[test]
fn long_names_are_rejected() {
    let label = "a".repeat(63);
    let ok = [label.as_str(); 3].join(".") + "." + &"b".repeat(61); // 64*3 + 62 + 1 = 255
    assert_eq!(name(&ok).wire_len(), 255);
    let too_long = ok.clone() + "c";
    assert_eq!(Name::from_dotted(&too_long), Err(WireError::NameTooLong));
    assert_eq!(
        Name::from_dotted(&"x".repeat(64)),
        Err(WireError::LabelTooLong)
    );
    assert_eq!(Name::from_dotted("a..b"), Err(WireError::EmptyLabel));
    // On the wire, 5 labels of 63 bytes are too long even though each label is valid.
    let mut m = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for _ in 0..5 {
        m.push(63);
        m.extend_from_slice(&[b'a'; 63]);
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    assert_eq!(Message::parse(&m), Err(WireError::NameTooLong));
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
    assert_eq!(Message::parse(&m), Err(WireError::NameTooLong));
}

#[test]
fn every_truncation_fails_cleanly() {
    let q = query(9, name("web.dns.berth"), QType::A);
    let r = reply(&q, rcode::NOERROR, true, vec![RData::Ptr(name("x.y"))]);
    let bytes = r.to_bytes().unwrap();
    for len in 0..bytes.len() {
        assert!(Message::parse(&bytes[..len]).is_err(), "prefix {len}");
    }
    assert!(Message::parse(&bytes).is_ok());
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
        let _ = Message::parse(&b);
    }
}

#[test]
fn oversized_replies_are_truncated() {
    let q = query(1, name("many"), QType::A);
    let data = (0..100)
        .map(|i| RData::A(Ipv4Addr::new(10, 0, 0, i)))
        .collect();
    let r = reply(&q, rcode::NOERROR, true, data);
    let bytes = encode_within(&r, 512).unwrap();
    assert!(bytes.len() <= 512);
    let back = Message::parse(&bytes).unwrap();
    assert!(back.header.truncated);
    assert!(back.answers.is_empty());
    assert_eq!(back.questions, q.questions);
    let full = Message::parse(&encode_within(&r, 4096).unwrap()).unwrap();
    assert_eq!(full.answers.len(), 100);
    assert!(!full.header.truncated);
}

#[test]
fn qtype_numbers() {
    for (t, n) in [
        (QType::A, 1u16),
        (QType::Aaaa, 28),
        (QType::Ptr, 12),
        (QType::Other(15), 15),
    ] {
        assert_eq!(u16::from(t), n);
        assert_eq!(QType::from(n), t);
    }
}
