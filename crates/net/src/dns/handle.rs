//! Deciding what to do with one query: answer it locally, or forward it.

use super::records::{addr_from_ptr_name, Records};
use super::response::{address, encode_within, pointer, reply, udp_limit};
use super::wire::{
    dotted, parse, DNSClass, Message, MessageType, Name, OpCode, RData, RecordType, ResponseCode,
};

/// The transport a query arrived on, which bounds the size of local replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// UDP: replies are cut to the client's payload size (512 bytes without EDNS(0)).
    Udp,
    /// TCP: replies may use the whole 64 KiB message size.
    Tcp,
}

/// What to do with one received packet.
#[derive(Debug)]
pub enum Action {
    /// Ignore it (malformed, or not a query).
    Drop,
    /// Send these bytes back.
    Reply(Vec<u8>),
    /// Relay it to the upstreams (the parsed query is kept for the SERVFAIL fallback).
    Forward(Box<Message>),
}

/// Decides how to handle `packet` given the network's `records`.
pub fn decide(packet: &[u8], records: &Records, transport: Transport) -> Action {
    let Ok(query) = parse(packet) else {
        return Action::Drop;
    };
    if query.message_type() != MessageType::Query {
        return Action::Drop;
    }
    let limit = match transport {
        Transport::Udp => udp_limit(&query),
        Transport::Tcp => usize::from(u16::MAX),
    };
    let answer = |code, data| match encode_within(&reply(&query, code, true, data), limit) {
        Some(bytes) => Action::Reply(bytes),
        None => Action::Drop,
    };
    if query.op_code() != OpCode::Query {
        return answer(ResponseCode::NotImp, Vec::new());
    }
    let [question] = query.queries() else {
        return answer(ResponseCode::FormErr, Vec::new());
    };
    if question.query_class() != DNSClass::IN {
        return Action::Forward(Box::new(query));
    }
    let name = dotted(question.name());
    match question.query_type() {
        RecordType::PTR => {
            let names: Vec<RData> = addr_from_ptr_name(&name)
                .map(|addr| records.names_for(addr))
                .unwrap_or_default()
                .iter()
                .filter_map(|n| Name::from_ascii(format!("{n}.")).ok())
                .map(pointer)
                .collect();
            if names.is_empty() {
                Action::Forward(Box::new(query))
            } else {
                answer(ResponseCode::NoError, names)
            }
        }
        qtype if records.contains(&name) => {
            let data = records
                .lookup(&name, qtype)
                .into_iter()
                .map(address)
                .collect();
            answer(ResponseCode::NoError, data)
        }
        _ if records.in_domain(&name) => answer(ResponseCode::NXDomain, Vec::new()),
        _ => Action::Forward(Box::new(query)),
    }
}
