//! Deciding what to do with one query: answer it locally, or forward it.

use std::net::IpAddr;

use super::records::{addr_from_ptr_name, Records};
use super::response::{encode_within, reply, udp_limit};
use super::wire::{rcode, Message, Name, QType, RData, CLASS_IN};

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
    Forward(Message),
}

/// Decides how to handle `packet` given the network's `records`.
pub fn decide(packet: &[u8], records: &Records, transport: Transport) -> Action {
    let Ok(query) = Message::parse(packet) else {
        return Action::Drop;
    };
    if query.header.response {
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
    if query.header.opcode != 0 {
        return answer(rcode::NOTIMP, Vec::new());
    }
    let [question] = query.questions.as_slice() else {
        return answer(rcode::FORMERR, Vec::new());
    };
    if question.qclass != CLASS_IN {
        return Action::Forward(query);
    }
    let name = question.name.to_dotted();
    match question.qtype {
        QType::Ptr => {
            let names: Vec<RData> = addr_from_ptr_name(&name)
                .map(|addr| records.names_for(addr))
                .unwrap_or_default()
                .iter()
                .filter_map(|n| Name::from_dotted(n).ok())
                .map(RData::Ptr)
                .collect();
            if names.is_empty() {
                Action::Forward(query)
            } else {
                answer(rcode::NOERROR, names)
            }
        }
        qtype if records.contains(&name) => {
            let data = records
                .lookup(&name, qtype)
                .into_iter()
                .map(|addr| match addr {
                    IpAddr::V4(a) => RData::A(a),
                    IpAddr::V6(a) => RData::Aaaa(a),
                })
                .collect();
            answer(rcode::NOERROR, data)
        }
        _ if records.in_domain(&name) => answer(rcode::NXDOMAIN, Vec::new()),
        _ => Action::Forward(query),
    }
}
