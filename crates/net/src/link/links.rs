//! Link operations: create bridges and veth pairs, change a link's state, move, rename,
//! delete, and list links.

use std::os::fd::{AsRawFd, BorrowedFd};

use nix::errno::Errno;

use super::consts::*;
use super::message::{attrs, ifinfomsg, str_of, u32_at, Request};
use super::names::check_name;
use super::socket::Reply;
use super::{LinkError, Netlink};

/// What the kernel reports about one link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    /// The interface index.
    pub index: u32,
    /// The interface name.
    pub name: String,
    /// The link kind (`bridge`, `veth`, ...), absent for plain devices such as `lo`.
    pub kind: Option<String>,
    /// The index of the bridge (or other master) the link is enslaved to.
    pub master: Option<u32>,
    /// Whether the link is administratively up (`IFF_UP`).
    pub up: bool,
    /// The MTU.
    pub mtu: u32,
    /// The hardware address, when it is a 6-byte MAC.
    pub mac: Option<[u8; 6]>,
}

impl LinkInfo {
    /// Decodes an `RTM_NEWLINK` payload (`ifinfomsg` plus attributes).
    fn parse(payload: &[u8]) -> Option<LinkInfo> {
        let index = u32_at(payload, 4)?;
        let flags = u32_at(payload, 8)?;
        let mut info = LinkInfo {
            index,
            name: String::new(),
            kind: None,
            master: None,
            up: flags & IFF_UP != 0,
            mtu: 0,
            mac: None,
        };
        for (kind, data) in attrs(payload.get(16..)?) {
            match kind {
                IFLA_IFNAME => info.name = str_of(data),
                IFLA_MTU => info.mtu = u32_at(data, 0).unwrap_or(0),
                IFLA_MASTER => info.master = u32_at(data, 0).filter(|&m| m != 0),
                IFLA_ADDRESS => info.mac = data.try_into().ok(),
                IFLA_LINKINFO => {
                    info.kind = attrs(data)
                        .find(|&(k, _)| k == IFLA_INFO_KIND)
                        .map(|(_, d)| str_of(d));
                }
                _ => {}
            }
        }
        Some(info)
    }
}

/// The first `RTM_NEWLINK` reply decoded, or a [`LinkError::Malformed`].
fn first_link(replies: &[Reply], op: &'static str) -> Result<LinkInfo, LinkError> {
    replies
        .iter()
        .find(|r| r.msg_type == RTM_NEWLINK)
        .and_then(|r| LinkInfo::parse(&r.payload))
        .ok_or_else(|| LinkError::Malformed {
            op,
            detail: "no link in reply".to_string(),
        })
}

impl Netlink {
    /// Everything the kernel reports about link `name`, or `None` when there is none.
    pub fn link_info(&mut self, name: &str) -> Result<Option<LinkInfo>, LinkError> {
        check_name(name)?;
        let mut req = Request::new(RTM_GETLINK, 0);
        req.push(&ifinfomsg(0, 0, 0)).attr_str(IFLA_IFNAME, name);
        match self.exchange(req, "get link", name) {
            Ok(replies) => first_link(&replies, "get link").map(Some),
            Err(e) if e.errno() == Some(Errno::ENODEV) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The interface index of `name`, or `None` when there is no such link.
    pub fn link_index(&mut self, name: &str) -> Result<Option<u32>, LinkError> {
        Ok(self.link_info(name)?.map(|info| info.index))
    }

    /// The index of `name`, which the operation `op` needs to exist.
    pub(crate) fn require_index(&mut self, name: &str, op: &'static str) -> Result<u32, LinkError> {
        self.link_index(name)?.ok_or_else(|| LinkError::NoSuchLink {
            op,
            name: name.to_string(),
        })
    }

    /// Creates bridge `name` (down). Succeeds when a bridge of that name already exists;
    /// fails with [`LinkError::NotABridge`] when another kind of link has the name.
    pub fn create_bridge(&mut self, name: &str) -> Result<(), LinkError> {
        check_name(name)?;
        let mut req = Request::new(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
        req.push(&ifinfomsg(0, 0, 0)).attr_str(IFLA_IFNAME, name);
        req.begin_nest(IFLA_LINKINFO)
            .attr_str(IFLA_INFO_KIND, "bridge")
            .end_nest();
        match self.exchange(req, "create bridge", name) {
            Ok(_) => Ok(()),
            Err(e) if e.errno() == Some(Errno::EEXIST) => {
                match self.link_info(name)?.and_then(|info| info.kind) {
                    Some(kind) if kind == "bridge" => Ok(()),
                    _ => Err(LinkError::NotABridge(name.to_string())),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Creates the veth pair `name` / `peer`, both down, in this namespace.
    pub fn create_veth(&mut self, name: &str, peer: &str) -> Result<(), LinkError> {
        check_name(name)?;
        check_name(peer)?;
        let mut req = Request::new(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
        req.push(&ifinfomsg(0, 0, 0)).attr_str(IFLA_IFNAME, name);
        req.begin_nest(IFLA_LINKINFO)
            .attr_str(IFLA_INFO_KIND, "veth");
        req.begin_nest(IFLA_INFO_DATA).begin_nest(VETH_INFO_PEER);
        req.push(&ifinfomsg(0, 0, 0)).attr_str(IFLA_IFNAME, peer);
        req.end_nest().end_nest().end_nest();
        self.exchange(req, "create veth", &format!("{name}/{peer}"))
            .map(drop)
    }

    /// Creates a veth pair in one request: `name` here, up and enslaved to bridge index
    /// `master`; its peer `peer` directly in the network namespace open at `peer_netns`
    /// with MAC `peer_mac`. Nothing is moved between namespaces afterwards, which spares
    /// the kernel's `synchronize_net` (tens of ms) of a move.
    pub fn create_veth_into(
        &mut self,
        name: &str,
        master: u32,
        peer: &str,
        peer_netns: std::os::fd::BorrowedFd<'_>,
        peer_mac: [u8; 6],
    ) -> Result<(), LinkError> {
        check_name(name)?;
        check_name(peer)?;
        let fd = u32::try_from(peer_netns.as_raw_fd()).map_err(|_| LinkError::Malformed {
            op: "create veth",
            detail: "negative namespace fd".into(),
        })?;
        let mut req = Request::new(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
        req.push(&ifinfomsg(0, IFF_UP, IFF_UP))
            .attr_str(IFLA_IFNAME, name)
            .attr_u32(IFLA_MASTER, master);
        req.begin_nest(IFLA_LINKINFO)
            .attr_str(IFLA_INFO_KIND, "veth");
        req.begin_nest(IFLA_INFO_DATA).begin_nest(VETH_INFO_PEER);
        req.push(&ifinfomsg(0, 0, 0))
            .attr_str(IFLA_IFNAME, peer)
            .attr_u32(IFLA_NET_NS_FD, fd)
            .attr(IFLA_ADDRESS, &peer_mac);
        req.end_nest().end_nest().end_nest();
        self.exchange(req, "create veth", &format!("{name}/{peer}"))
            .map(drop)
    }

    /// Sends an `RTM_SETLINK` for `name` with `flags`/`change` and the attributes `add` puts.
    fn set_link(
        &mut self,
        name: &str,
        op: &'static str,
        flags: u32,
        change: u32,
        add: impl FnOnce(&mut Request),
    ) -> Result<(), LinkError> {
        let index = self.require_index(name, op)?;
        let mut req = Request::new(RTM_SETLINK, 0);
        req.push(&ifinfomsg(index, flags, change));
        add(&mut req);
        self.exchange(req, op, name).map(drop)
    }

    /// Enslaves `name` to bridge `bridge`.
    pub fn set_master(&mut self, name: &str, bridge: &str) -> Result<(), LinkError> {
        let master = self.require_index(bridge, "set master")?;
        self.set_link(name, "set master", 0, 0, |req| {
            req.attr_u32(IFLA_MASTER, master);
        })
    }

    /// Turns on hairpin mode on bridge port `name`: the bridge may send a frame back out
    /// of the port it came in on, so a container reaches its own published port through a
    /// host address (the DNAT'ed packet returns to the same veth).
    pub fn set_hairpin(&mut self, name: &str) -> Result<(), LinkError> {
        let index = self.require_index(name, "set hairpin")?;
        let mut req = Request::new(RTM_SETLINK, 0);
        let mut msg = ifinfomsg(index, 0, 0);
        msg[0] = AF_BRIDGE;
        req.push(&msg);
        req.begin_nest(IFLA_PROTINFO | NLA_F_NESTED)
            .attr(IFLA_BRPORT_MODE, &[1]);
        req.end_nest();
        self.exchange(req, "set hairpin", name).map(drop)
    }

    /// Sets `name` administratively up.
    pub fn set_up(&mut self, name: &str) -> Result<(), LinkError> {
        self.set_link(name, "set up", IFF_UP, IFF_UP, |_| {})
    }

    /// Sets the MTU of `name`.
    pub fn set_mtu(&mut self, name: &str, mtu: u32) -> Result<(), LinkError> {
        self.set_link(name, "set mtu", 0, 0, |req| {
            req.attr_u32(IFLA_MTU, mtu);
        })
    }

    /// Sets the hardware address of `name`.
    pub fn set_mac(&mut self, name: &str, mac: [u8; 6]) -> Result<(), LinkError> {
        self.set_link(name, "set mac", 0, 0, |req| {
            req.attr(IFLA_ADDRESS, &mac);
        })
    }

    /// Renames `name` to `new_name` (the link must be down).
    pub fn rename(&mut self, name: &str, new_name: &str) -> Result<(), LinkError> {
        check_name(new_name)?;
        self.set_link(name, "rename", 0, 0, |req| {
            req.attr_str(IFLA_IFNAME, new_name);
        })
    }

    /// Moves `name` into the network namespace open at `netns` (`IFLA_NET_NS_FD`).
    pub fn move_to_netns(&mut self, name: &str, netns: BorrowedFd) -> Result<(), LinkError> {
        let fd = u32::try_from(netns.as_raw_fd()).unwrap_or(u32::MAX);
        self.set_link(name, "move to netns", 0, 0, |req| {
            req.attr_u32(IFLA_NET_NS_FD, fd);
        })
    }

    /// Deletes link `name` (for a veth, both ends); a missing link is not an error.
    pub fn delete_link(&mut self, name: &str) -> Result<(), LinkError> {
        check_name(name)?;
        let mut req = Request::new(RTM_DELLINK, 0);
        req.push(&ifinfomsg(0, 0, 0)).attr_str(IFLA_IFNAME, name);
        match self.exchange(req, "delete link", name) {
            Err(e) if e.errno() == Some(Errno::ENODEV) => Ok(()),
            other => other.map(drop),
        }
    }

    /// All links of the namespace as `(index, name)`.
    pub fn links(&mut self) -> Result<Vec<(u32, String)>, LinkError> {
        Ok(self
            .link_infos()?
            .into_iter()
            .map(|info| (info.index, info.name))
            .collect())
    }

    /// Everything the kernel reports about every link of the namespace.
    pub fn link_infos(&mut self) -> Result<Vec<LinkInfo>, LinkError> {
        let mut req = Request::new(RTM_GETLINK, NLM_F_DUMP);
        req.push(&ifinfomsg(0, 0, 0));
        let replies = self.exchange(req, "list links", "all links")?;
        Ok(replies
            .iter()
            .filter(|r| r.msg_type == RTM_NEWLINK)
            .filter_map(|r| LinkInfo::parse(&r.payload))
            .collect())
    }
}
