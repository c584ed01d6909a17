//! Program B: the same requests as berth-net's link API, in the same order, built and parsed
//! by netlink-packet-route 0.34 / netlink-packet-core 0.9 over a blocking netlink-sys 0.9
//! socket (no async runtime: the `rtnetlink` crate would bring tokio).
//!
//! This is what berth's crates/net/src/link/{socket,links,addr,attach}.rs would become
//! for the start path on the crate (the listing functions, names.rs and error.rs aside).

use std::fs::File;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::AsRawFd;

use netlink_packet_core::{
    DefaultNla, NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL,
    NLM_F_REPLACE, NLM_F_REQUEST,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage, AddressScope};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
    LinkProtoInfoBridge,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

use super::netns::{create_netns, in_netns, remove_netns};
use super::{Start, CONTAINER_IP, GATEWAY, PREFIX};

/// `IFLA_BRPORT_MODE` (hairpin): netlink-packet-route has no typed `IFLA_PROTINFO` variant.
const IFLA_BRPORT_MODE: u16 = 4;
const RT_TABLE_MAIN: u8 = 254;
const ENODEV: i32 = 19;
const EEXIST: i32 = 17;

/// A blocking rtnetlink socket, one request at a time.
struct Nl {
    socket: Socket,
    seq: u32,
    buf: Vec<u8>,
}

/// A kernel error (positive errno) or a local failure.
#[derive(Debug)]
enum NlError {
    Kernel {
        op: &'static str,
        target: String,
        errno: i32,
    },
    Local(String),
}

impl NlError {
    fn errno(&self) -> Option<i32> {
        match self {
            NlError::Kernel { errno, .. } => Some(*errno),
            NlError::Local(_) => None,
        }
    }
}

impl std::fmt::Display for NlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NlError::Kernel { op, target, errno } => write!(
                f,
                "{op} {target}: {}",
                std::io::Error::from_raw_os_error(*errno)
            ),
            NlError::Local(s) => f.write_str(s),
        }
    }
}

fn local(op: &str) -> impl FnOnce(std::io::Error) -> NlError + '_ {
    move |e| NlError::Local(format!("{op}: {e}"))
}

impl Nl {
    fn open() -> Result<Nl, NlError> {
        let mut socket = Socket::new(NETLINK_ROUTE).map_err(local("socket"))?;
        socket.bind_auto().map_err(local("bind"))?;
        socket
            .connect(&SocketAddr::new(0, 0))
            .map_err(local("connect"))?;
        Ok(Nl {
            socket,
            seq: 0,
            buf: vec![0; 64 * 1024],
        })
    }

    /// Sends `msg` with `flags` (plus REQUEST|ACK) and collects replies until the ACK.
    fn request(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
        op: &'static str,
        target: &str,
    ) -> Result<Vec<RouteNetlinkMessage>, NlError> {
        self.seq = self.seq.wrapping_add(1);
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        header.sequence_number = self.seq;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::from(msg));
        packet.finalize();
        let mut out = vec![0; packet.buffer_len()];
        packet.serialize(&mut out);
        self.socket.send(&out, 0).map_err(local("send"))?;
        let mut replies = Vec::new();
        loop {
            let len = self
                .socket
                .recv(&mut &mut self.buf[..], 0)
                .map_err(local("recv"))?;
            let mut offset = 0;
            while offset < len {
                let reply =
                    NetlinkMessage::<RouteNetlinkMessage>::deserialize(&self.buf[offset..len])
                        .map_err(|e| NlError::Local(format!("{op}: {e}")))?;
                if reply.header.length == 0 {
                    break;
                }
                offset += reply.header.length as usize;
                if reply.header.sequence_number != self.seq {
                    continue;
                }
                match reply.payload {
                    NetlinkPayload::Error(e) => match e.code {
                        None => return Ok(replies),
                        Some(code) => {
                            return Err(NlError::Kernel {
                                op,
                                target: target.to_string(),
                                errno: -code.get(),
                            })
                        }
                    },
                    NetlinkPayload::Done(_) => return Ok(replies),
                    NetlinkPayload::InnerMessage(m) => replies.push(m),
                    _ => {}
                }
            }
        }
    }

    /// The index of link `name` (RTM_GETLINK by name).
    fn index(&mut self, name: &str) -> Result<u32, NlError> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        let replies = self.request(RouteNetlinkMessage::GetLink(msg), 0, "get link", name)?;
        replies
            .into_iter()
            .find_map(|r| match r {
                RouteNetlinkMessage::NewLink(l) => Some(l.header.index),
                _ => None,
            })
            .ok_or_else(|| NlError::Local(format!("get link {name}: no link in reply")))
    }

    /// The kind of link `name`, if it reports one.
    fn kind(&mut self, name: &str) -> Result<Option<InfoKind>, NlError> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        let replies = self.request(RouteNetlinkMessage::GetLink(msg), 0, "get link", name)?;
        Ok(replies.into_iter().find_map(|r| match r {
            RouteNetlinkMessage::NewLink(l) => l.attributes.into_iter().find_map(|a| match a {
                LinkAttribute::LinkInfo(infos) => infos.into_iter().find_map(|i| match i {
                    LinkInfo::Kind(k) => Some(k),
                    _ => None,
                }),
                _ => None,
            }),
            _ => None,
        }))
    }

    fn create_bridge(&mut self, name: &str) -> Result<(), NlError> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        msg.attributes
            .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
                InfoKind::Bridge,
            )]));
        let flags = NLM_F_CREATE | NLM_F_EXCL;
        match self.request(
            RouteNetlinkMessage::NewLink(msg),
            flags,
            "create bridge",
            name,
        ) {
            Ok(_) => Ok(()),
            Err(e) if e.errno() == Some(EEXIST) => match self.kind(name)? {
                Some(InfoKind::Bridge) => Ok(()),
                _ => Err(NlError::Local(format!("{name} exists and is not a bridge"))),
            },
            Err(e) => Err(e),
        }
    }

    fn add_address(&mut self, name: &str, addr: Ipv4Addr, prefix: u8) -> Result<(), NlError> {
        let index = self.index(name)?;
        let mut msg = AddressMessage::default();
        msg.header.family = AddressFamily::Inet;
        msg.header.prefix_len = prefix;
        msg.header.scope = AddressScope::Universe;
        msg.header.index = index;
        msg.attributes
            .push(AddressAttribute::Local(IpAddr::V4(addr)));
        msg.attributes
            .push(AddressAttribute::Address(IpAddr::V4(addr)));
        if prefix < 31 {
            let brd = Ipv4Addr::from(u32::from(addr) | (u32::MAX >> prefix));
            msg.attributes.push(AddressAttribute::Broadcast(brd));
        }
        let target = format!("{addr}/{prefix} on {name}");
        let flags = NLM_F_CREATE | NLM_F_EXCL;
        match self.request(
            RouteNetlinkMessage::NewAddress(msg),
            flags,
            "add address",
            &target,
        ) {
            Err(e) if e.errno() == Some(EEXIST) => Ok(()),
            other => other.map(drop),
        }
    }

    fn set_up(&mut self, name: &str) -> Result<(), NlError> {
        let mut msg = LinkMessage::default();
        msg.header.index = self.index(name)?;
        msg.header.flags = LinkFlags::Up;
        msg.header.change_mask = LinkFlags::Up;
        self.request(RouteNetlinkMessage::SetLink(msg), 0, "set up", name)
            .map(drop)
    }

    /// One request: `name` up on bridge `master`, its peer `peer` made in the namespace
    /// open at `netns` with MAC `mac`.
    fn create_veth_into(
        &mut self,
        name: &str,
        master: u32,
        peer: &str,
        netns: &File,
        mac: [u8; 6],
    ) -> Result<(), NlError> {
        let mut peer_msg = LinkMessage::default();
        peer_msg
            .attributes
            .push(LinkAttribute::IfName(peer.to_string()));
        peer_msg
            .attributes
            .push(LinkAttribute::NetNsFd(netns.as_raw_fd()));
        peer_msg
            .attributes
            .push(LinkAttribute::Address(mac.to_vec()));
        let mut msg = LinkMessage::default();
        msg.header.flags = LinkFlags::Up;
        msg.header.change_mask = LinkFlags::Up;
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        msg.attributes.push(LinkAttribute::Controller(master));
        msg.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Veth),
            LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer_msg))),
        ]));
        let target = format!("{name}/{peer}");
        let flags = NLM_F_CREATE | NLM_F_EXCL;
        self.request(
            RouteNetlinkMessage::NewLink(msg),
            flags,
            "create veth",
            &target,
        )
        .map(drop)
    }

    fn set_hairpin(&mut self, name: &str) -> Result<(), NlError> {
        let mut msg = LinkMessage::default();
        msg.header.interface_family = AddressFamily::Bridge;
        msg.header.index = self.index(name)?;
        msg.attributes.push(LinkAttribute::ProtoInfoBridge(vec![
            LinkProtoInfoBridge::Other(DefaultNla::new(IFLA_BRPORT_MODE, vec![1])),
        ]));
        self.request(RouteNetlinkMessage::SetLink(msg), 0, "set hairpin", name)
            .map(drop)
    }

    fn add_default_route(&mut self, gateway: Ipv4Addr) -> Result<(), NlError> {
        let mut msg = RouteMessage::default();
        msg.header.address_family = AddressFamily::Inet;
        msg.header.table = RT_TABLE_MAIN;
        msg.header.protocol = RouteProtocol::Boot;
        msg.header.scope = RouteScope::Universe;
        msg.header.kind = RouteType::Unicast;
        msg.attributes
            .push(RouteAttribute::Gateway(RouteAddress::Inet(gateway)));
        let flags = NLM_F_CREATE | NLM_F_REPLACE;
        self.request(
            RouteNetlinkMessage::NewRoute(msg),
            flags,
            "add route",
            &gateway.to_string(),
        )
        .map(drop)
    }

    fn delete_link(&mut self, name: &str) -> Result<(), NlError> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        match self.request(RouteNetlinkMessage::DelLink(msg), 0, "delete link", name) {
            Err(e) if e.errno() == Some(ENODEV) => Ok(()),
            other => other.map(drop),
        }
    }
}

/// berth-net's `attach`: the veth with `eth0` in the namespace, hairpin, then inside the
/// namespace the address, `lo` and `eth0` up and the default route.
fn attach(nl: &mut Nl, s: &Start) -> Result<(), NlError> {
    let ns = File::open(s.netns).map_err(local("open netns"))?;
    let master = nl.index(s.bridge)?;
    let [a, b, c, d] = CONTAINER_IP.octets();
    nl.create_veth_into(s.veth, master, "eth0", &ns, [0x02, 0x42, a, b, c, d])?;
    let plugged = nl.set_hairpin(s.veth).and_then(|()| {
        in_netns(s.netns, || -> Result<(), NlError> {
            let mut inner = Nl::open()?;
            inner.add_address("eth0", CONTAINER_IP, PREFIX)?;
            inner.set_up("lo")?;
            inner.set_up("eth0")?;
            inner.add_default_route(GATEWAY)
        })
        .map_err(NlError::Local)?
    });
    if plugged.is_err() {
        let _ = nl.delete_link(s.veth);
    }
    plugged
}

/// Bring-up then teardown, as program A.
pub fn run(s: &Start) -> Result<(), String> {
    let mut nl = Nl::open().map_err(|e| e.to_string())?;
    (|| {
        nl.create_bridge(s.bridge)?;
        nl.add_address(s.bridge, GATEWAY, PREFIX)?;
        nl.set_up(s.bridge)
    })()
    .map_err(|e| e.to_string())?;
    create_netns(s.netns, || {
        Nl::open()?.set_up("lo").map_err(|e| e.to_string())
    })?;
    let up = attach(&mut nl, s).map_err(|e| e.to_string());
    if s.keep {
        return up;
    }
    // As berth's removal: the namespace goes (the kernel destroys the veth pair in the
    // background), then the bridge (berth: `network prune`).
    let _ = remove_netns(s.netns);
    let _ = nl.delete_link(s.bridge);
    up
}

impl From<NlError> for String {
    fn from(e: NlError) -> String {
        e.to_string()
    }
}
