//! Building rtnetlink requests and walking the kernel's replies: `nlmsghdr`, fixed family
//! headers and 4-byte aligned `rtattr` attributes, nested where the kernel expects it.

use super::consts::NLA_TYPE_MASK;

/// Size of `struct nlmsghdr`.
const HEADER_LEN: usize = 16;
/// Size of `struct rtattr` / `struct nlattr`.
const ATTR_HEADER_LEN: usize = 4;

/// Rounds `len` up to netlink's 4-byte alignment.
fn align(len: usize) -> usize {
    (len + 3) & !3
}

/// One request under construction: header, family header, attributes.
pub struct Request {
    /// The message so far, header placeholder first.
    buf: Vec<u8>,
    /// Offsets of the nested attributes still open.
    nests: Vec<usize>,
    /// `nlmsg_type`.
    msg_type: u16,
    /// `nlmsg_flags`.
    flags: u16,
}

impl Request {
    /// Starts a message of `msg_type` with `flags` (`NLM_F_REQUEST` is added on sending).
    pub fn new(msg_type: u16, flags: u16) -> Request {
        Request {
            buf: vec![0; HEADER_LEN],
            nests: Vec::new(),
            msg_type,
            flags,
        }
    }

    /// The header flags the message will be sent with.
    pub fn flags(&self) -> u16 {
        self.flags
    }

    /// Adds `flags` to the header flags.
    pub fn add_flags(&mut self, flags: u16) {
        self.flags |= flags;
    }

    /// Appends raw bytes (a family header such as `ifinfomsg`), padded to alignment.
    pub fn push(&mut self, bytes: &[u8]) -> &mut Request {
        self.buf.extend_from_slice(bytes);
        self.buf.resize(align(self.buf.len()), 0);
        self
    }

    /// Appends attribute `kind` carrying `data`.
    pub fn attr(&mut self, kind: u16, data: &[u8]) -> &mut Request {
        let len = u16::try_from(ATTR_HEADER_LEN + data.len()).unwrap_or(u16::MAX);
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.push(data)
    }

    /// Appends a `u32` attribute in host byte order.
    pub fn attr_u32(&mut self, kind: u16, value: u32) -> &mut Request {
        self.attr(kind, &value.to_ne_bytes())
    }

    /// Appends a NUL-terminated string attribute.
    pub fn attr_str(&mut self, kind: u16, value: &str) -> &mut Request {
        let mut data = Vec::with_capacity(value.len() + 1);
        data.extend_from_slice(value.as_bytes());
        data.push(0);
        self.attr(kind, &data)
    }

    /// Opens a nested attribute `kind`; close it with [`Request::end_nest`].
    pub fn begin_nest(&mut self, kind: u16) -> &mut Request {
        self.nests.push(self.buf.len());
        self.attr(kind, &[])
    }

    /// Closes the innermost nested attribute, fixing up its length.
    pub fn end_nest(&mut self) -> &mut Request {
        if let Some(start) = self.nests.pop() {
            let len = u16::try_from(self.buf.len() - start).unwrap_or(u16::MAX);
            self.buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
        }
        self
    }

    /// Finishes the message with sequence number `seq`, returning its bytes.
    pub fn finish(mut self, seq: u32) -> Vec<u8> {
        while !self.nests.is_empty() {
            self.end_nest();
        }
        let len = u32::try_from(self.buf.len()).unwrap_or(u32::MAX);
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        self.buf[4..6].copy_from_slice(&self.msg_type.to_ne_bytes());
        self.buf[6..8].copy_from_slice(&self.flags.to_ne_bytes());
        self.buf[8..12].copy_from_slice(&seq.to_ne_bytes());
        // nlmsg_pid 0: the kernel fills in our port.
        self.buf
    }
}

/// `struct ifinfomsg`: family, type, index, flags and the mask of flags to change.
pub fn ifinfomsg(index: u32, flags: u32, change: u32) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[4..8].copy_from_slice(&index.to_ne_bytes());
    out[8..12].copy_from_slice(&flags.to_ne_bytes());
    out[12..16].copy_from_slice(&change.to_ne_bytes());
    out
}

/// One message of a reply datagram.
pub struct Message<'a> {
    /// `nlmsg_type`.
    pub msg_type: u16,
    /// `nlmsg_seq`.
    pub seq: u32,
    /// Everything after the header.
    pub payload: &'a [u8],
}

/// The `int error` an NLMSG_ERROR or NLMSG_DONE payload starts with: 0 is success, else
/// -errno (0 when the payload is too short).
pub fn error_code(payload: &[u8]) -> i32 {
    payload
        .get(0..4)
        .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        .unwrap_or(0)
}

/// Splits a datagram into messages; `Err` describes a truncated or inconsistent header.
pub fn messages(mut buf: &[u8]) -> Result<Vec<Message<'_>>, String> {
    let mut out = Vec::new();
    while buf.len() >= HEADER_LEN {
        let len = u32_at(buf, 0).unwrap_or(0) as usize;
        if len < HEADER_LEN || len > buf.len() {
            return Err(format!(
                "message length {len} with {} bytes left",
                buf.len()
            ));
        }
        out.push(Message {
            msg_type: u16_at(buf, 4).unwrap_or(0),
            seq: u32_at(buf, 8).unwrap_or(0),
            payload: &buf[HEADER_LEN..len],
        });
        buf = &buf[align(len).min(buf.len())..];
    }
    Ok(out)
}

/// Walks the attributes in `buf`, yielding `(type, data)`; stops at the first malformed one.
pub fn attrs(mut buf: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let len = usize::from(u16_at(buf, 0)?);
        if len < ATTR_HEADER_LEN || len > buf.len() {
            return None;
        }
        let kind = u16_at(buf, 2)? & NLA_TYPE_MASK;
        let data = &buf[ATTR_HEADER_LEN..len];
        buf = &buf[align(len).min(buf.len())..];
        Some((kind, data))
    })
}

/// The `u16` in host byte order at `offset`, if present.
pub fn u16_at(buf: &[u8], offset: usize) -> Option<u16> {
    let bytes = buf.get(offset..offset + 2)?;
    Some(u16::from_ne_bytes([bytes[0], bytes[1]]))
}

/// The `u32` in host byte order at `offset`, if present.
pub fn u32_at(buf: &[u8], offset: usize) -> Option<u32> {
    let bytes = buf.get(offset..offset + 4)?;
    Some(u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// A NUL-terminated (or unterminated) string attribute's text.
pub fn str_of(data: &[u8]) -> String {
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    String::from_utf8_lossy(&data[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_attributes_round_trip() {
        let mut req = Request::new(16, 0x400);
        req.push(&ifinfomsg(7, 1, 1)).attr_str(3, "veth0");
        req.begin_nest(18).attr(1, b"veth").end_nest();
        let bytes = req.finish(42);
        let msgs = messages(&bytes).unwrap();
        assert_eq!(msgs.len(), 1);
        assert_eq!((msgs[0].msg_type, msgs[0].seq), (16, 42));
        assert_eq!(u32_at(msgs[0].payload, 4), Some(7));
        let found: Vec<_> = attrs(&msgs[0].payload[16..]).collect();
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].0, str_of(found[0].1)), (3, "veth0".to_string()));
        assert_eq!(found[1].0, 18);
        let inner: Vec<_> = attrs(found[1].1).collect();
        assert_eq!(inner, vec![(1, &b"veth"[..])]);
    }

    #[test]
    fn truncated_datagram_is_an_error() {
        let bytes = Request::new(16, 0).finish(1);
        assert!(messages(&bytes[..bytes.len() - 1]).is_ok_and(|m| m.is_empty()));
        let mut bad = bytes.clone();
        bad[0] = 200;
        assert!(messages(&bad).is_err());
    }
}
