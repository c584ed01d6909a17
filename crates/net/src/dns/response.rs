//! Building replies to parsed queries.

use super::wire::{rcode, Header, Message, Name, QType, Question, RData, Record, CLASS_IN};

/// TTL of authoritative answers, in seconds.
pub const TTL: u32 = 60;
/// The classic UDP payload limit, used when the client sent no EDNS(0) record.
pub const UDP_MIN_PAYLOAD: usize = 512;
/// The largest UDP reply the server ever sends itself.
pub const UDP_MAX_PAYLOAD: usize = 4096;

/// Builds a standard recursive query for `name` and `qtype` (used by clients and tests).
pub fn query(id: u16, name: Name, qtype: QType) -> Message {
    Message {
        header: Header {
            id,
            recursion_desired: true,
            ..Header::default()
        },
        questions: vec![Question {
            name,
            qtype,
            qclass: CLASS_IN,
        }],
        ..Message::default()
    }
}

/// A reply to `query` with the given response code and answer data: the ID, opcode,
/// RD bit and question are echoed, RA is set, and each answer is owned by the
/// question's name with TTL [`TTL`] (PTR data keeps its own type).
pub fn reply(query: &Message, code: u8, authoritative: bool, data: Vec<RData>) -> Message {
    let name = query.question().map(|q| q.name.clone()).unwrap_or_default();
    let answers = data
        .into_iter()
        .map(|d| Record {
            name: name.clone(),
            rtype: match d {
                RData::A(_) => QType::A,
                RData::Aaaa(_) => QType::Aaaa,
                RData::Ptr(_) => QType::Ptr,
                RData::Other(_) => query.question().map_or(QType::Other(0), |q| q.qtype),
            },
            class: CLASS_IN,
            ttl: TTL,
            data: d,
        })
        .collect();
    Message {
        header: Header {
            id: query.header.id,
            response: true,
            opcode: query.header.opcode,
            authoritative,
            recursion_desired: query.header.recursion_desired,
            recursion_available: true,
            rcode: code,
            ..Header::default()
        },
        questions: query.questions.iter().take(1).cloned().collect(),
        answers,
        ..Message::default()
    }
}

/// A SERVFAIL reply to `query`.
pub fn servfail(query: &Message) -> Message {
    reply(query, rcode::SERVFAIL, false, Vec::new())
}

/// The UDP payload limit for replies to `query`: its EDNS(0) size, clamped to
/// [`UDP_MIN_PAYLOAD`]..=[`UDP_MAX_PAYLOAD`], or [`UDP_MIN_PAYLOAD`] without EDNS.
pub fn udp_limit(query: &Message) -> usize {
    query.edns_payload_size().map_or(UDP_MIN_PAYLOAD, |s| {
        usize::from(s).clamp(UDP_MIN_PAYLOAD, UDP_MAX_PAYLOAD)
    })
}

/// Encodes `reply` within `limit` bytes (the UDP payload limit, or 65535 for TCP); if
/// it does not fit, the records are dropped and the TC bit set so the client knows to
/// retry over TCP.
pub fn encode_within(reply: &Message, limit: usize) -> Option<Vec<u8>> {
    match reply.to_bytes() {
        Ok(bytes) if bytes.len() <= limit => Some(bytes),
        _ => {
            let mut short = reply.clone();
            short.answers.clear();
            short.authorities.clear();
            short.additionals.clear();
            short.header.truncated = true;
            short.to_bytes().ok()
        }
    }
}
