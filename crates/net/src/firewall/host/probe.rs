//! The cheap check every bridged container start makes: does a `filter` table FORWARD chain drop by
//! default? Asked of the kernel directly, without running a program: nftables over
//! nfnetlink (`NFT_MSG_GETCHAIN` of `ip filter FORWARD`), iptables-legacy with the
//! `IPT_SO_GET_INFO`/`IPT_SO_GET_ENTRIES` socket options, only when
//! `/proc/net/ip_tables_names` says the legacy table exists (asking would make it).

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::socket::{
    bind, recv, send, setsockopt, socket, sockopt, AddressFamily, MsgFlags, NetlinkAddr, SockFlag,
    SockProtocol, SockType,
};
use nix::sys::time::{TimeVal, TimeValLike};

use crate::link::consts::{NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, NLM_F_REQUEST};
use crate::link::message::{attrs, messages, Request};

/// What a `filter` table's FORWARD chain does with packets no rule decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// There is no such chain (or table).
    Absent,
    /// It accepts them.
    Accept,
    /// It drops them: berth's bridges need accept rules.
    Drop,
    /// The kernel could not be asked; listing the table will tell.
    Unknown,
}

/// The FORWARD chains of the host's `filter` tables, in the calling thread's network
/// namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostForward {
    /// nftables' `ip filter FORWARD` (iptables-nft's, and Docker's through it).
    pub nft: Policy,
    /// iptables-legacy's `filter` FORWARD.
    pub legacy: Policy,
}

impl HostForward {
    /// Whether a FORWARD chain drops (or may: the kernel could not be asked), so berth's
    /// bridges need accept rules there.
    pub fn drops(&self) -> bool {
        [self.nft, self.legacy]
            .iter()
            .any(|p| matches!(p, Policy::Drop | Policy::Unknown))
    }
}

/// Asks the kernel about both FORWARD chains: a netlink round trip, a `/proc` read, and
/// two socket options when the legacy table exists. Runs no program.
pub fn probe_host_forward() -> HostForward {
    HostForward {
        nft: nft_forward_policy().unwrap_or(Policy::Unknown),
        legacy: legacy_forward_policy(),
    }
}

/// `nfgenmsg.nfgen_family` of the `ip` family.
const NFPROTO_IPV4: u8 = 2;
/// The nftables subsystem of nfnetlink (the high byte of the message type).
const NFNL_SUBSYS_NFTABLES: u16 = 10;
/// Message: a chain (in replies).
const NFT_MSG_NEWCHAIN: u16 = 3;
/// Message: get a chain.
const NFT_MSG_GETCHAIN: u16 = 4;
/// Chain attribute: the table's name.
const NFTA_CHAIN_TABLE: u16 = 1;
/// Chain attribute: the chain's name.
const NFTA_CHAIN_NAME: u16 = 3;
/// Chain attribute: the hook (nested), base chains only.
const NFTA_CHAIN_HOOK: u16 = 4;
/// Chain attribute: the policy (big-endian `u32`), base chains only.
const NFTA_CHAIN_POLICY: u16 = 5;
/// Hook attribute: the hook number (big-endian `u32`).
const NFTA_HOOK_HOOKNUM: u16 = 1;
/// The forward hook's number.
const NF_INET_FORWARD: u32 = 2;
/// The drop verdict.
const NF_DROP: u32 = 0;

/// The policy of nftables' `ip filter FORWARD`, over nfnetlink.
fn nft_forward_policy() -> Result<Policy, Errno> {
    let fd = socket(
        AddressFamily::Netlink,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkNetFilter,
    )?;
    bind(fd.as_raw_fd(), &NetlinkAddr::new(0, 0))?;
    setsockopt(&fd, sockopt::ReceiveTimeout, &TimeVal::seconds(2))?;
    let mut req = Request::new(
        (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN,
        NLM_F_REQUEST | NLM_F_ACK,
    );
    // nfgenmsg: family, version 0, resource id 0.
    req.push(&[NFPROTO_IPV4, 0, 0, 0])
        .attr_str(NFTA_CHAIN_TABLE, "filter")
        .attr_str(NFTA_CHAIN_NAME, "FORWARD");
    let seq = 1;
    let bytes = req.finish(seq);
    loop {
        match send(fd.as_raw_fd(), &bytes, MsgFlags::empty()) {
            Err(Errno::EINTR) => continue,
            other => {
                other?;
                break;
            }
        }
    }
    let mut buf = vec![0u8; 16 * 1024];
    let mut found = None;
    loop {
        let len = match recv(fd.as_raw_fd(), &mut buf, MsgFlags::empty()) {
            Err(Errno::EINTR) => continue,
            other => other?,
        };
        let msgs = messages(&buf[..len]).map_err(|_| Errno::EBADMSG)?;
        if msgs.is_empty() {
            return Err(Errno::EBADMSG);
        }
        for msg in msgs.iter().filter(|m| m.seq == seq) {
            match msg.msg_type {
                NLMSG_ERROR | NLMSG_DONE => {
                    let code = crate::link::message::error_code(msg.payload);
                    return match code {
                        0 => Ok(found.unwrap_or(Policy::Unknown)),
                        c if -c == Errno::ENOENT as i32 => Ok(Policy::Absent),
                        c => Err(Errno::from_raw(-c)),
                    };
                }
                t if t == (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWCHAIN => {
                    found = Some(chain_policy(msg.payload.get(4..).unwrap_or_default()));
                }
                _ => {}
            }
        }
    }
}

/// A chain's policy from its attributes: [`Policy::Drop`] for a base chain on the forward
/// hook dropping by default, else [`Policy::Accept`].
pub(super) fn chain_policy(chain_attrs: &[u8]) -> Policy {
    let be32 = |d: &[u8]| {
        d.get(0..4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (mut hook, mut policy) = (None, None);
    for (kind, data) in attrs(chain_attrs) {
        match kind {
            NFTA_CHAIN_HOOK => {
                hook = attrs(data)
                    .find(|(k, _)| *k == NFTA_HOOK_HOOKNUM)
                    .and_then(|(_, d)| be32(d));
            }
            NFTA_CHAIN_POLICY => policy = be32(data),
            _ => {}
        }
    }
    match (hook, policy) {
        (Some(NF_INET_FORWARD), Some(NF_DROP)) => Policy::Drop,
        _ => Policy::Accept,
    }
}

/// `IPT_SO_GET_INFO`: a table's hook offsets and size.
const IPT_SO_GET_INFO: libc::c_int = 64;
/// `IPT_SO_GET_ENTRIES`: a table's rules.
const IPT_SO_GET_ENTRIES: libc::c_int = 65;
/// `struct ipt_getinfo`: name[32], valid_hooks, hook_entry[5], underflow[5], num_entries,
/// size.
const GETINFO_LEN: usize = 84;
/// Where `struct ipt_get_entries`'s entries start: after name[32] and size, aligned for
/// the `u64` counters of `struct ipt_entry`.
const ENTRIES_OFFSET: usize =
    (36 + std::mem::align_of::<u64>() - 1) & !(std::mem::align_of::<u64>() - 1);
/// `struct ipt_entry`'s `target_offset`: after `struct ipt_ip` (84) and `nfcache`.
const TARGET_OFFSET_AT: usize = 88;
/// `struct xt_entry_target`'s size: the standard target's verdict follows it.
const XT_TARGET_LEN: usize = 32;
/// The largest legacy table read (64 MiB); beyond it the policy is [`Policy::Unknown`] and
/// `iptables-legacy -S` tells.
const MAX_TABLE_LEN: u32 = 64 << 20;

/// The policy of iptables-legacy's `filter` FORWARD: [`Policy::Absent`] unless
/// `/proc/net/ip_tables_names` lists `filter` in this namespace (asking the kernel about a
/// missing table would make it).
fn legacy_forward_policy() -> Policy {
    // The calling thread's namespace (`/proc/net` is the process's).
    let listed = std::fs::read_to_string("/proc/thread-self/net/ip_tables_names")
        .map(|names| names.lines().any(|l| l.trim() == "filter"))
        .unwrap_or(false);
    if !listed {
        return Policy::Absent;
    }
    legacy_blob_policy().unwrap_or(Policy::Unknown)
}

/// Reads the legacy `filter` table's rules and the verdict of FORWARD's policy rule.
fn legacy_blob_policy() -> Option<Policy> {
    let fd = socket(
        AddressFamily::Inet,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::Raw,
    )
    .ok()?;
    let mut info = [0u8; GETINFO_LEN];
    info[..6].copy_from_slice(b"filter");
    getsockopt(&fd, IPT_SO_GET_INFO, &mut info)?;
    let u32_at = |b: &[u8], at: usize| {
        b.get(at..at + 4)
            .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
    };
    let valid_hooks = u32_at(&info, 32)?;
    if valid_hooks & (1 << NF_INET_FORWARD) == 0 {
        return Some(Policy::Absent);
    }
    let underflow = u32_at(&info, 32 + 4 + 20 + 4 * NF_INET_FORWARD as usize)? as usize;
    let size = u32_at(&info, GETINFO_LEN - 4)?;
    if size > MAX_TABLE_LEN {
        return None;
    }
    let mut entries = vec![0u8; ENTRIES_OFFSET + size as usize];
    entries[..6].copy_from_slice(b"filter");
    entries[32..36].copy_from_slice(&size.to_ne_bytes());
    getsockopt(&fd, IPT_SO_GET_ENTRIES, &mut entries)?;
    policy_of_blob(&entries[ENTRIES_OFFSET..], underflow)
}

/// The policy in a legacy table's rules `blob`, from the standard target of the entry at
/// `underflow` (a chain's policy rule).
pub(super) fn policy_of_blob(blob: &[u8], underflow: usize) -> Option<Policy> {
    let entry = blob.get(underflow..)?;
    let target_offset = usize::from(u16::from_ne_bytes(
        entry
            .get(TARGET_OFFSET_AT..TARGET_OFFSET_AT + 2)?
            .try_into()
            .ok()?,
    ));
    let target = entry.get(target_offset..)?;
    // The standard target: its name is empty, its verdict follows the header.
    if target.get(2).copied()? != 0 {
        return None;
    }
    let verdict = i32::from_ne_bytes(
        target
            .get(XT_TARGET_LEN..XT_TARGET_LEN + 4)?
            .try_into()
            .ok()?,
    );
    // Verdicts are stored as -verdict - 1.
    Some(match verdict {
        v if v == -(NF_DROP as i32) - 1 => Policy::Drop,
        _ => Policy::Accept,
    })
}

/// `getsockopt(fd, SOL_IP, opt, buf)`, `buf` both the request and the answer.
fn getsockopt(fd: &OwnedFd, opt: libc::c_int, buf: &mut [u8]) -> Option<()> {
    berth_sys::sockopt::getsockopt_in_out(fd.as_fd(), libc::SOL_IP, opt, buf)
        .ok()
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An attribute: length, type, data, padding.
    fn attr(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&u16::try_from(4 + data.len()).unwrap().to_ne_bytes());
        v.extend_from_slice(&kind.to_ne_bytes());
        v.extend_from_slice(data);
        v.resize(v.len().div_ceil(4) * 4, 0);
        v
    }

    fn chain(hook: Option<u32>, policy: Option<u32>) -> Vec<u8> {
        let mut v = attr(NFTA_CHAIN_TABLE, b"filter\0");
        v.extend(attr(NFTA_CHAIN_NAME, b"FORWARD\0"));
        if let Some(h) = hook {
            let mut nest = attr(NFTA_HOOK_HOOKNUM, &h.to_be_bytes());
            nest.extend(attr(2, &0u32.to_be_bytes()));
            v.extend(attr(NFTA_CHAIN_HOOK | 0x8000, &nest));
        }
        if let Some(p) = policy {
            v.extend(attr(NFTA_CHAIN_POLICY, &p.to_be_bytes()));
        }
        v
    }

    #[test]
    fn nft_chain_policies() {
        assert_eq!(chain_policy(&chain(Some(2), Some(0))), Policy::Drop);
        assert_eq!(chain_policy(&chain(Some(2), Some(1))), Policy::Accept);
        // Not on the forward hook, or not a base chain.
        assert_eq!(chain_policy(&chain(Some(1), Some(0))), Policy::Accept);
        assert_eq!(chain_policy(&chain(None, None)), Policy::Accept);
    }

    /// A legacy entry with a standard target of `verdict` at offset `at` of a blob.
    fn blob(at: usize, verdict: i32) -> Vec<u8> {
        let mut b = vec![0u8; at + 112 + 40];
        b[at + TARGET_OFFSET_AT..at + TARGET_OFFSET_AT + 2].copy_from_slice(&112u16.to_ne_bytes());
        let t = at + 112;
        b[t..t + 2].copy_from_slice(&36u16.to_ne_bytes());
        b[t + 32..t + 36].copy_from_slice(&verdict.to_ne_bytes());
        b
    }

    #[test]
    fn legacy_policy_rule() {
        assert_eq!(policy_of_blob(&blob(152, -1), 152), Some(Policy::Drop));
        assert_eq!(policy_of_blob(&blob(0, -2), 0), Some(Policy::Accept));
        assert_eq!(policy_of_blob(&blob(0, -1), 500), None);
        let mut named = blob(0, -1);
        named[112 + 2] = b'X';
        assert_eq!(policy_of_blob(&named, 0), None);
    }

    #[test]
    fn drops() {
        let h = |nft, legacy| HostForward { nft, legacy };
        assert!(!h(Policy::Absent, Policy::Accept).drops());
        assert!(h(Policy::Drop, Policy::Absent).drops());
        assert!(h(Policy::Accept, Policy::Unknown).drops());
    }
}
