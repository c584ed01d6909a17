//! rtnetlink numbers from the kernel's uapi headers (`linux/netlink.h`, `linux/rtnetlink.h`,
//! `linux/if_link.h`, `linux/if_addr.h`, `linux/veth.h`), kept here so the wire format is
//! visible in one place.

/// Message type: error, or acknowledgement when the error is 0.
pub const NLMSG_ERROR: u16 = 2;
/// Message type: end of a dump.
pub const NLMSG_DONE: u16 = 3;
/// Message type: create or modify a link; also a link in replies.
pub const RTM_NEWLINK: u16 = 16;
/// Message type: delete a link.
pub const RTM_DELLINK: u16 = 17;
/// Message type: get one link or dump all.
pub const RTM_GETLINK: u16 = 18;
/// Message type: modify an existing link.
pub const RTM_SETLINK: u16 = 19;
/// Message type: add an address; also an address in replies.
pub const RTM_NEWADDR: u16 = 20;
/// Message type: dump addresses.
pub const RTM_GETADDR: u16 = 22;
/// Message type: add a route; also a route in replies.
pub const RTM_NEWROUTE: u16 = 24;
/// Message type: dump routes.
pub const RTM_GETROUTE: u16 = 26;

/// Header flag: this is a request.
pub const NLM_F_REQUEST: u16 = 0x1;
/// Header flag: acknowledge success too.
pub const NLM_F_ACK: u16 = 0x4;
/// Header flag: replace an existing object.
pub const NLM_F_REPLACE: u16 = 0x100;
/// Header flag: fail if the object exists.
pub const NLM_F_EXCL: u16 = 0x200;
/// Header flag: create the object if missing.
pub const NLM_F_CREATE: u16 = 0x400;
/// Header flag: dump all objects (`NLM_F_ROOT | NLM_F_MATCH`).
pub const NLM_F_DUMP: u16 = 0x300;

/// Link attribute: hardware address.
pub const IFLA_ADDRESS: u16 = 1;
/// Link attribute: interface name.
pub const IFLA_IFNAME: u16 = 3;
/// Link attribute: MTU.
pub const IFLA_MTU: u16 = 4;
/// Link attribute: master (bridge) index.
pub const IFLA_MASTER: u16 = 10;
/// Link attribute: nested kind and kind-specific data.
pub const IFLA_LINKINFO: u16 = 18;
/// Link attribute: namespace fd to move the link into.
pub const IFLA_NET_NS_FD: u16 = 28;
/// `IFLA_LINKINFO` member: the kind string (`bridge`, `veth`).
pub const IFLA_INFO_KIND: u16 = 1;
/// `IFLA_LINKINFO` member: kind-specific nested data.
pub const IFLA_INFO_DATA: u16 = 2;
/// veth data: the peer's `ifinfomsg` and attributes.
pub const VETH_INFO_PEER: u16 = 1;

/// Address attribute: the prefix address (peer on point-to-point links).
pub const IFA_ADDRESS: u16 = 1;
/// Address attribute: the local address.
pub const IFA_LOCAL: u16 = 2;
/// Address attribute: the broadcast address.
pub const IFA_BROADCAST: u16 = 4;

/// Route attribute: destination.
pub const RTA_DST: u16 = 1;
/// Route attribute: outgoing interface index.
pub const RTA_OIF: u16 = 4;
/// Route attribute: gateway.
pub const RTA_GATEWAY: u16 = 5;
/// Route attribute: table id (when above 255).
pub const RTA_TABLE: u16 = 15;
/// The `main` routing table.
pub const RT_TABLE_MAIN: u8 = 254;
/// Route protocol `boot`, what `ip route add` uses.
pub const RTPROT_BOOT: u8 = 3;
/// Scope `universe`: global.
pub const RT_SCOPE_UNIVERSE: u8 = 0;
/// Route type: a gateway or direct route.
pub const RTN_UNICAST: u8 = 1;

/// Address family IPv4.
pub const AF_INET: u8 = 2;
/// Interface flag: administratively up.
pub const IFF_UP: u32 = 0x1;

/// Attribute type bits that are flags, not part of the type number.
pub const NLA_TYPE_MASK: u16 = 0x3fff;
/// `IFLA_PROTINFO`: protocol-specific link data (a bridge port's settings with AF_BRIDGE).
pub const IFLA_PROTINFO: u16 = 12;
/// `IFLA_BRPORT_MODE`: a bridge port's hairpin mode.
pub const IFLA_BRPORT_MODE: u16 = 4;
/// `NLA_F_NESTED`: the attribute holds attributes.
pub const NLA_F_NESTED: u16 = 0x8000;
/// `AF_BRIDGE`.
pub const AF_BRIDGE: u8 = 7;
