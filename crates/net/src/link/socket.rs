//! The synchronous rtnetlink socket: one request at a time, replies matched by sequence
//! number, kernel errors turned into [`LinkError::Netlink`].

use std::os::fd::{AsRawFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::socket::{
    bind, recv, send, setsockopt, socket, sockopt, AddressFamily, MsgFlags, NetlinkAddr, SockFlag,
    SockProtocol, SockType,
};
use nix::sys::time::{TimeVal, TimeValLike};

use super::consts::{NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};
use super::message::{messages, Request};
use super::LinkError;

/// How long to wait for the kernel's answer before giving up.
const REPLY_TIMEOUT_SECS: i64 = 10;
/// Receive buffer: the kernel caps dump datagrams at 32 KiB.
const RECV_BUF_LEN: usize = 64 * 1024;

/// A synchronous rtnetlink connection in the calling thread's network namespace.
///
/// The namespace is fixed when the socket is opened: requests keep going to that namespace
/// even if the connection is later used from another thread.
pub struct Netlink {
    /// The bound `NETLINK_ROUTE` socket.
    fd: OwnedFd,
    /// The sequence number of the last request.
    seq: u32,
    /// Receive buffer, reused across requests.
    buf: Vec<u8>,
}

/// One reply message: its type and payload (after the netlink header).
pub(crate) struct Reply {
    /// `nlmsg_type`, e.g. `RTM_NEWLINK`.
    pub msg_type: u16,
    /// The family header and attributes.
    pub payload: Vec<u8>,
}

impl Netlink {
    /// Opens a `NETLINK_ROUTE` socket in the calling thread's network namespace.
    pub fn open() -> Result<Netlink, LinkError> {
        let fd = socket(
            AddressFamily::Netlink,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::NetlinkRoute,
        )
        .map_err(|errno| LinkError::Socket {
            op: "socket",
            errno,
        })?;
        bind(fd.as_raw_fd(), &NetlinkAddr::new(0, 0))
            .map_err(|errno| LinkError::Socket { op: "bind", errno })?;
        let timeout = TimeVal::seconds(REPLY_TIMEOUT_SECS);
        setsockopt(&fd, sockopt::ReceiveTimeout, &timeout).map_err(|errno| LinkError::Socket {
            op: "set receive timeout",
            errno,
        })?;
        Ok(Netlink {
            fd,
            seq: 0,
            buf: vec![0; RECV_BUF_LEN],
        })
    }

    /// Sends `req` and collects the replies: for a dump until `NLMSG_DONE`, otherwise until
    /// the kernel's acknowledgement. A kernel error becomes [`LinkError::Netlink`] with `op`
    /// and `target` as context.
    pub(crate) fn exchange(
        &mut self,
        mut req: Request,
        op: &'static str,
        target: &str,
    ) -> Result<Vec<Reply>, LinkError> {
        let dump = req.flags() & NLM_F_DUMP == NLM_F_DUMP;
        req.add_flags(NLM_F_REQUEST | if dump { 0 } else { NLM_F_ACK });
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let bytes = req.finish(seq);
        loop {
            match send(self.fd.as_raw_fd(), &bytes, MsgFlags::empty()) {
                Ok(_) => break,
                Err(Errno::EINTR) => continue,
                Err(errno) => return Err(LinkError::Socket { op: "send", errno }),
            }
        }
        let netlink_error = |errno| LinkError::Netlink {
            op,
            target: target.to_string(),
            errno,
        };
        let mut replies = Vec::new();
        loop {
            let len = match recv(self.fd.as_raw_fd(), &mut self.buf, MsgFlags::empty()) {
                Ok(len) => len,
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => {
                    return Err(LinkError::Socket {
                        op: "receive (no reply in time)",
                        errno: Errno::EAGAIN,
                    })
                }
                Err(errno) => {
                    return Err(LinkError::Socket {
                        op: "receive",
                        errno,
                    })
                }
            };
            let msgs =
                messages(&self.buf[..len]).map_err(|detail| LinkError::Malformed { op, detail })?;
            for msg in msgs {
                if msg.seq != seq {
                    continue;
                }
                match msg.msg_type {
                    NLMSG_ERROR | NLMSG_DONE => {
                        // Both carry an `int error` first: 0 is success, else -errno.
                        let code = crate::link::message::error_code(msg.payload);
                        if code != 0 {
                            return Err(netlink_error(Errno::from_raw(-code)));
                        }
                        return Ok(replies);
                    }
                    msg_type => replies.push(Reply {
                        msg_type,
                        payload: msg.payload.to_vec(),
                    }),
                }
            }
        }
    }
}
