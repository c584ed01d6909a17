//! The DNS wire format (RFC 1035): header, names, questions and resource records.
//!
//! Parsing never panics on hostile input: every read is bounds-checked, compression
//! pointers must point strictly backwards (so they cannot loop), and names longer than
//! 255 bytes on the wire are rejected.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Length of the fixed DNS header.
pub const HEADER_LEN: usize = 12;
/// Longest name allowed on the wire, length octets and terminating zero included.
pub const MAX_NAME_LEN: usize = 255;
/// Longest single label.
pub const MAX_LABEL_LEN: usize = 63;
/// The Internet class.
pub const CLASS_IN: u16 = 1;
/// The EDNS(0) OPT pseudo record type.
pub const TYPE_OPT: u16 = 41;

/// Response codes used by the server.
pub mod rcode {
    /// No error.
    pub const NOERROR: u8 = 0;
    /// The query was malformed.
    pub const FORMERR: u8 = 1;
    /// The server could not answer (no upstream replied).
    pub const SERVFAIL: u8 = 2;
    /// The name does not exist.
    pub const NXDOMAIN: u8 = 3;
    /// The opcode is not supported.
    pub const NOTIMP: u8 = 4;
    /// The server refuses to answer.
    pub const REFUSED: u8 = 5;
}

/// Why a message could not be parsed or encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The message ends in the middle of a field.
    #[error("message truncated")]
    Truncated,
    /// A label starts with the reserved `01`/`10` bit patterns.
    #[error("unsupported label type")]
    BadLabel,
    /// A compression pointer does not point strictly backwards (it could loop).
    #[error("bad compression pointer")]
    BadPointer,
    /// A name is longer than 255 bytes on the wire.
    #[error("name longer than 255 bytes")]
    NameTooLong,
    /// A label is longer than 63 bytes.
    #[error("label longer than 63 bytes")]
    LabelTooLong,
    /// A dotted name has an empty label (`a..b`).
    #[error("empty label in name")]
    EmptyLabel,
    /// Record data is longer than 65535 bytes.
    #[error("record data too long")]
    RdataTooLong,
}

/// A query or record type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QType {
    /// IPv4 address (1).
    A,
    /// IPv6 address (28).
    Aaaa,
    /// Domain name pointer, for reverse lookups (12).
    Ptr,
    /// Any other type, by number.
    Other(u16),
}

impl From<u16> for QType {
    fn from(v: u16) -> Self {
        match v {
            1 => QType::A,
            28 => QType::Aaaa,
            12 => QType::Ptr,
            other => QType::Other(other),
        }
    }
}

impl From<QType> for u16 {
    fn from(t: QType) -> u16 {
        match t {
            QType::A => 1,
            QType::Aaaa => 28,
            QType::Ptr => 12,
            QType::Other(v) => v,
        }
    }
}

/// The fixed 12-byte message header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// Transaction ID, echoed in the reply.
    pub id: u16,
    /// QR: set in responses.
    pub response: bool,
    /// Opcode (0 is a standard query).
    pub opcode: u8,
    /// AA: the answer is authoritative.
    pub authoritative: bool,
    /// TC: the message was truncated.
    pub truncated: bool,
    /// RD: recursion desired.
    pub recursion_desired: bool,
    /// RA: recursion available.
    pub recursion_available: bool,
    /// The three Z/AD/CD bits, kept as they are.
    pub z: u8,
    /// Response code (see [`rcode`]).
    pub rcode: u8,
    /// Number of questions.
    pub qdcount: u16,
    /// Number of answer records.
    pub ancount: u16,
    /// Number of authority records.
    pub nscount: u16,
    /// Number of additional records.
    pub arcount: u16,
}

impl Header {
    /// Parses the header at the start of `msg`.
    pub fn parse(msg: &[u8]) -> Result<Header, WireError> {
        let h = msg.get(..HEADER_LEN).ok_or(WireError::Truncated)?;
        let word = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
        let flags = word(2);
        Ok(Header {
            id: word(0),
            response: flags & 0x8000 != 0,
            opcode: ((flags >> 11) & 0xF) as u8,
            authoritative: flags & 0x0400 != 0,
            truncated: flags & 0x0200 != 0,
            recursion_desired: flags & 0x0100 != 0,
            recursion_available: flags & 0x0080 != 0,
            z: ((flags >> 4) & 0x7) as u8,
            rcode: (flags & 0xF) as u8,
            qdcount: word(4),
            ancount: word(6),
            nscount: word(8),
            arcount: word(10),
        })
    }

    /// Appends the 12 header bytes to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let mut flags = (u16::from(self.opcode & 0xF) << 11)
            | (u16::from(self.z & 0x7) << 4)
            | u16::from(self.rcode & 0xF);
        for (bit, on) in [
            (0x8000, self.response),
            (0x0400, self.authoritative),
            (0x0200, self.truncated),
            (0x0100, self.recursion_desired),
            (0x0080, self.recursion_available),
        ] {
            if on {
                flags |= bit;
            }
        }
        for word in [
            self.id,
            flags,
            self.qdcount,
            self.ancount,
            self.nscount,
            self.arcount,
        ] {
            out.extend_from_slice(&word.to_be_bytes());
        }
    }
}

/// A domain name as a list of raw labels (case preserved, root is empty).
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct Name {
    labels: Vec<Vec<u8>>,
}

impl Name {
    /// The root name.
    pub fn root() -> Name {
        Name::default()
    }

    /// Builds a name from dotted text (`web.dns.berth`, trailing dot optional).
    pub fn from_dotted(text: &str) -> Result<Name, WireError> {
        let text = text.strip_suffix('.').unwrap_or(text);
        let mut labels = Vec::new();
        if !text.is_empty() {
            for label in text.split('.') {
                if label.is_empty() {
                    return Err(WireError::EmptyLabel);
                }
                if label.len() > MAX_LABEL_LEN {
                    return Err(WireError::LabelTooLong);
                }
                labels.push(label.as_bytes().to_vec());
            }
        }
        let name = Name { labels };
        if name.wire_len() > MAX_NAME_LEN {
            return Err(WireError::NameTooLong);
        }
        Ok(name)
    }

    /// The raw labels, leftmost first.
    pub fn labels(&self) -> &[Vec<u8>] {
        &self.labels
    }

    /// Length of the uncompressed wire encoding.
    pub fn wire_len(&self) -> usize {
        self.labels.iter().map(|l| l.len() + 1).sum::<usize>() + 1
    }

    /// Dotted text without the trailing dot (`""` for the root); bytes that are not
    /// printable ASCII, and dots or backslashes inside labels, are escaped as `\DDD`.
    pub fn to_dotted(&self) -> String {
        let mut out = String::new();
        for (i, label) in self.labels.iter().enumerate() {
            if i > 0 {
                out.push('.');
            }
            for &b in label {
                if b.is_ascii_graphic() && b != b'.' && b != b'\\' {
                    out.push(char::from(b));
                } else {
                    out.push_str(&format!("\\{b:03}"));
                }
            }
        }
        out
    }

    /// Reads a possibly compressed name starting at `start` in the whole message `msg`;
    /// returns it and the offset just past it in the original byte stream.
    pub fn parse(msg: &[u8], start: usize) -> Result<(Name, usize), WireError> {
        let mut labels = Vec::new();
        let mut pos = start;
        let mut end = None;
        let mut wire_len = 1;
        // Every pointer must land strictly below the start of the run that holds it,
        // so the floor strictly decreases and decompression always terminates.
        let mut floor = start;
        loop {
            let len = usize::from(*msg.get(pos).ok_or(WireError::Truncated)?);
            match len & 0xC0 {
                0x00 if len == 0 => {
                    end.get_or_insert(pos + 1);
                    break;
                }
                0x00 => {
                    let label = msg
                        .get(pos + 1..pos + 1 + len)
                        .ok_or(WireError::Truncated)?;
                    wire_len += len + 1;
                    if wire_len > MAX_NAME_LEN {
                        return Err(WireError::NameTooLong);
                    }
                    labels.push(label.to_vec());
                    pos += 1 + len;
                }
                0xC0 => {
                    let low = usize::from(*msg.get(pos + 1).ok_or(WireError::Truncated)?);
                    let target = ((len & 0x3F) << 8) | low;
                    end.get_or_insert(pos + 2);
                    if target >= floor {
                        return Err(WireError::BadPointer);
                    }
                    floor = target;
                    pos = target;
                }
                _ => return Err(WireError::BadLabel),
            }
        }
        Ok((Name { labels }, end.unwrap_or(pos + 1)))
    }

    /// Appends the uncompressed wire encoding to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        for label in &self.labels {
            out.push(label.len() as u8);
            out.extend_from_slice(label);
        }
        out.push(0);
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.", self.to_dotted())
    }
}

/// One entry of the question section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The name asked about.
    pub name: Name,
    /// The type asked for.
    pub qtype: QType,
    /// The class (normally [`CLASS_IN`]).
    pub qclass: u16,
}

impl Question {
    /// Parses a question at `pos`; returns it and the offset past it.
    pub fn parse(msg: &[u8], pos: usize) -> Result<(Question, usize), WireError> {
        let (name, pos) = Name::parse(msg, pos)?;
        let qtype = read_u16(msg, pos)?;
        let qclass = read_u16(msg, pos + 2)?;
        let question = Question {
            name,
            qtype: qtype.into(),
            qclass,
        };
        Ok((question, pos + 4))
    }
}

/// Record data, decoded for the types the server uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RData {
    /// An A record.
    A(Ipv4Addr),
    /// An AAAA record.
    Aaaa(Ipv6Addr),
    /// A PTR record (decompressed).
    Ptr(Name),
    /// Any other record, raw.
    Other(Vec<u8>),
}

/// One resource record (answer, authority or additional section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Owner name.
    pub name: Name,
    /// Record type.
    pub rtype: QType,
    /// Class (for OPT: the sender's UDP payload size).
    pub class: u16,
    /// Time to live in seconds.
    pub ttl: u32,
    /// The data.
    pub data: RData,
}

impl Record {
    /// Parses a record at `pos`; returns it and the offset past it.
    pub fn parse(msg: &[u8], pos: usize) -> Result<(Record, usize), WireError> {
        let (name, pos) = Name::parse(msg, pos)?;
        let rtype = QType::from(read_u16(msg, pos)?);
        let class = read_u16(msg, pos + 2)?;
        let ttl = u32::from(read_u16(msg, pos + 4)?) << 16 | u32::from(read_u16(msg, pos + 6)?);
        let rdlen = usize::from(read_u16(msg, pos + 8)?);
        let start = pos + 10;
        let end = start + rdlen;
        let raw = msg.get(start..end).ok_or(WireError::Truncated)?;
        let data = match rtype {
            QType::A if rdlen == 4 => RData::A(Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3])),
            QType::Aaaa if rdlen == 16 => {
                let mut b = [0u8; 16];
                b.copy_from_slice(raw);
                RData::Aaaa(Ipv6Addr::from(b))
            }
            QType::Ptr => {
                // The target may be compressed, so decode against the whole message.
                let (target, after) = Name::parse(msg, start)?;
                if after != end {
                    return Err(WireError::Truncated);
                }
                RData::Ptr(target)
            }
            _ => RData::Other(raw.to_vec()),
        };
        let record = Record {
            name,
            rtype,
            class,
            ttl,
            data,
        };
        Ok((record, end))
    }
}

/// A whole DNS message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// The header; its counts are rewritten from the sections by [`Message::to_bytes`].
    pub header: Header,
    /// Question section.
    pub questions: Vec<Question>,
    /// Answer section.
    pub answers: Vec<Record>,
    /// Authority section.
    pub authorities: Vec<Record>,
    /// Additional section.
    pub additionals: Vec<Record>,
}

impl Message {
    /// Parses a complete message; trailing bytes after the last record are ignored.
    pub fn parse(msg: &[u8]) -> Result<Message, WireError> {
        let header = Header::parse(msg)?;
        let mut pos = HEADER_LEN;
        let mut questions = Vec::new();
        for _ in 0..header.qdcount {
            let (q, next) = Question::parse(msg, pos)?;
            questions.push(q);
            pos = next;
        }
        let mut sections: [Vec<Record>; 3] = Default::default();
        let counts = [header.ancount, header.nscount, header.arcount];
        for (section, count) in sections.iter_mut().zip(counts) {
            for _ in 0..count {
                let (r, next) = Record::parse(msg, pos)?;
                section.push(r);
                pos = next;
            }
        }
        let [answers, authorities, additionals] = sections;
        Ok(Message {
            header,
            questions,
            answers,
            authorities,
            additionals,
        })
    }

    /// The first question, if any.
    pub fn question(&self) -> Option<&Question> {
        self.questions.first()
    }

    /// The UDP payload size the sender advertised with EDNS(0), if it did.
    pub fn edns_payload_size(&self) -> Option<u16> {
        self.additionals
            .iter()
            .find(|r| r.rtype == QType::Other(TYPE_OPT))
            .map(|r| r.class)
    }

    /// Encodes the message. Section counts come from the section lengths; owner names
    /// equal to the first question's name are compressed to a pointer to it.
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        let mut out = Vec::with_capacity(512);
        let mut header = self.header;
        let count = |n: usize| u16::try_from(n).map_err(|_| WireError::RdataTooLong);
        header.qdcount = count(self.questions.len())?;
        header.ancount = count(self.answers.len())?;
        header.nscount = count(self.authorities.len())?;
        header.arcount = count(self.additionals.len())?;
        header.write(&mut out);
        for q in &self.questions {
            q.name.write(&mut out);
            out.extend_from_slice(&u16::from(q.qtype).to_be_bytes());
            out.extend_from_slice(&q.qclass.to_be_bytes());
        }
        let first = self.questions.first().map(|q| &q.name);
        let records = self
            .answers
            .iter()
            .chain(&self.authorities)
            .chain(&self.additionals);
        for r in records {
            match first {
                Some(n) if *n == r.name && !n.labels.is_empty() => {
                    out.extend_from_slice(&(0xC000u16 | HEADER_LEN as u16).to_be_bytes())
                }
                _ => r.name.write(&mut out),
            }
            out.extend_from_slice(&u16::from(r.rtype).to_be_bytes());
            out.extend_from_slice(&r.class.to_be_bytes());
            out.extend_from_slice(&r.ttl.to_be_bytes());
            let len_at = out.len();
            out.extend_from_slice(&[0, 0]);
            match &r.data {
                RData::A(a) => out.extend_from_slice(&a.octets()),
                RData::Aaaa(a) => out.extend_from_slice(&a.octets()),
                RData::Ptr(n) => n.write(&mut out),
                RData::Other(raw) => out.extend_from_slice(raw),
            }
            let rdlen =
                u16::try_from(out.len() - len_at - 2).map_err(|_| WireError::RdataTooLong)?;
            out[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
        }
        Ok(out)
    }
}

fn read_u16(msg: &[u8], pos: usize) -> Result<u16, WireError> {
    let b = msg.get(pos..pos + 2).ok_or(WireError::Truncated)?;
    Ok(u16::from_be_bytes([b[0], b[1]]))
}
