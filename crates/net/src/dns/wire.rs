//! DNS messages on the wire, parsed and built by `hickory-proto` (the maintained DNS
//! library of the hickory project; without its resolver, async runtime or DNSSEC).
//!
//! Containers send this server packets, so parsing is hostile-input parsing: hickory's
//! decoder bounds-checks every read, follows only compression pointers that point
//! before the label holding them (so they cannot loop) and refuses names longer than
//! 255 bytes. This module names the few types the server uses and the entry points.

pub use hickory_proto::op::{Header, Message, MessageType, OpCode, Query, ResponseCode};
pub use hickory_proto::rr::rdata::{A, AAAA, PTR};
pub use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
/// Why a message could not be parsed or built.
pub use hickory_proto::ProtoError as WireError;

use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};

/// Length of the fixed DNS header.
pub const HEADER_LEN: usize = 12;

/// Parses a complete message (header, questions, records, EDNS(0)).
pub fn parse(bytes: &[u8]) -> Result<Message, WireError> {
    Message::from_vec(bytes)
}

/// Encodes a message; section counts come from the sections, names are compressed.
pub fn encode(message: &Message) -> Result<Vec<u8>, WireError> {
    message.to_vec()
}

/// Parses only the 12-byte header at the start of `bytes` (enough to match an upstream
/// reply to its query without decoding records the server relays untouched).
pub fn parse_header(bytes: &[u8]) -> Result<Header, WireError> {
    Header::read(&mut BinDecoder::new(bytes))
}

/// The name as dotted text, with a trailing dot when fully qualified; bytes that are not
/// printable ASCII, and dots or backslashes inside labels, are escaped.
pub fn dotted(name: &Name) -> String {
    name.to_ascii()
}
