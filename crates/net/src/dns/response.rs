//! Building replies to parsed queries.

use std::net::IpAddr;

use super::wire::{
    encode, Message, MessageType, Name, OpCode, Query, RData, Record, RecordType, ResponseCode, A,
    AAAA, PTR,
};

/// TTL of authoritative answers, in seconds.
pub const TTL: u32 = 60;
/// The classic UDP payload limit, used when the client sent no EDNS(0) record.
pub const UDP_MIN_PAYLOAD: usize = 512;
/// The largest UDP reply the server ever sends itself.
pub const UDP_MAX_PAYLOAD: usize = 4096;

/// Builds a standard recursive query for `name` and `qtype` (used by clients and tests).
pub fn query(id: u16, name: Name, qtype: RecordType) -> Message {
    let mut m = Message::new();
    m.set_id(id)
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(true)
        .add_query(Query::query(name, qtype));
    m
}

/// Record data for an address: A for IPv4, AAAA for IPv6.
pub fn address(addr: IpAddr) -> RData {
    match addr {
        IpAddr::V4(a) => RData::A(A(a)),
        IpAddr::V6(a) => RData::AAAA(AAAA(a)),
    }
}

/// Record data for a PTR answer.
pub fn pointer(name: Name) -> RData {
    RData::PTR(PTR(name))
}

/// A reply to `query` with the given response code and answer data: the ID, opcode,
/// RD bit and first question are echoed, RA is set, and each answer is owned by the
/// question's name with TTL [`TTL`] (its type is the data's).
pub fn reply(
    query: &Message,
    code: ResponseCode,
    authoritative: bool,
    data: Vec<RData>,
) -> Message {
    let question = query.queries().first();
    let name = question.map(|q| q.name().clone()).unwrap_or_default();
    let mut m = Message::new();
    m.set_id(query.id())
        .set_message_type(MessageType::Response)
        .set_op_code(query.op_code())
        .set_authoritative(authoritative)
        .set_recursion_desired(query.recursion_desired())
        .set_recursion_available(true)
        .set_response_code(code);
    if let Some(q) = question {
        m.add_query(q.clone());
    }
    m.add_answers(
        data.into_iter()
            .map(|d| Record::from_rdata(name.clone(), TTL, d)),
    );
    m
}

/// A SERVFAIL reply to `query`.
pub fn servfail(query: &Message) -> Message {
    reply(query, ResponseCode::ServFail, false, Vec::new())
}

/// The UDP payload limit for replies to `query`: its EDNS(0) size, clamped to
/// [`UDP_MIN_PAYLOAD`]..=[`UDP_MAX_PAYLOAD`], or [`UDP_MIN_PAYLOAD`] without EDNS.
pub fn udp_limit(query: &Message) -> usize {
    query.extensions().as_ref().map_or(UDP_MIN_PAYLOAD, |e| {
        usize::from(e.max_payload()).clamp(UDP_MIN_PAYLOAD, UDP_MAX_PAYLOAD)
    })
}

/// Encodes `reply` within `limit` bytes (the UDP payload limit, or 65535 for TCP); if
/// it does not fit, the records are dropped and the TC bit set so the client knows to
/// retry over TCP.
pub fn encode_within(reply: &Message, limit: usize) -> Option<Vec<u8>> {
    match encode(reply) {
        Ok(bytes) if bytes.len() <= limit => Some(bytes),
        _ => {
            let mut short = reply.clone();
            short.take_answers();
            short.take_name_servers();
            short.take_additionals();
            short.set_truncated(true);
            encode(&short).ok()
        }
    }
}
