//! Noticing that a DNS server's network is gone, so that `berth __dns` exits instead of
//! outliving it (listening on the bridge address for good once its state root is deleted).
//!
//! The network is gone when its run directory (the records file's directory) was removed or
//! replaced, when the records file was removed after it existed, or when the interface that
//! held the listen address at start-up (the bridge) was removed or replaced. A check is a
//! `stat` or two and one `if_nametoindex`: cheap enough to run every half second.

use std::net::IpAddr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How often [`watch`] checks.
pub const CHECK_EVERY: Duration = Duration::from_millis(500);

/// What a server's network consists of, as seen at start-up.
#[derive(Debug, Clone)]
pub struct Lifeline {
    records: PathBuf,
    /// (device, inode) of the records file's directory, if it existed.
    dir: Option<(u64, u64)>,
    /// Whether the records file has existed.
    records_seen: bool,
    /// The interface holding the listen address: (name, index).
    link: Option<(String, u32)>,
}

/// (device, inode) of `p`.
fn identity(p: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

/// The index of interface `name` in this network namespace.
fn link_index(name: &str) -> Option<u32> {
    nix::net::if_::if_nametoindex(name).ok().filter(|i| *i != 0)
}

/// The interface that has address `ip` (none for an unspecified address).
fn link_with(ip: IpAddr) -> Option<(String, u32)> {
    if ip.is_unspecified() {
        return None;
    }
    let name = nix::ifaddrs::getifaddrs().ok()?.find_map(|a| {
        let addr = a.address?;
        let found = match ip {
            IpAddr::V4(v4) => addr.as_sockaddr_in().is_some_and(|s| s.ip() == v4),
            IpAddr::V6(v6) => addr.as_sockaddr_in6().is_some_and(|s| s.ip() == v6),
        };
        found.then_some(a.interface_name)
    })?;
    let index = link_index(&name)?;
    Some((name, index))
}

impl Lifeline {
    /// Notes the directory of `records`, whether the file exists, and which interface has
    /// `listen` (the bridge's gateway address), to tell later whether they are gone.
    pub fn new(records: &Path, listen: IpAddr) -> Lifeline {
        Lifeline {
            records: records.to_path_buf(),
            dir: records.parent().and_then(identity),
            records_seen: records.exists(),
            link: link_with(listen),
        }
    }

    /// The interface watched, if the listen address was found on one.
    pub fn link(&self) -> Option<&str> {
        self.link.as_ref().map(|(n, _)| n.as_str())
    }

    /// Watches interface `name` with index `index` instead of what [`Lifeline::new`] found.
    pub fn with_link(mut self, name: &str, index: u32) -> Lifeline {
        self.link = Some((name.to_string(), index));
        self
    }

    /// Why the network is gone, or None while it is there.
    pub fn gone(&mut self) -> Option<String> {
        if let (Some(dir), Some(id)) = (self.records.parent(), self.dir) {
            match identity(dir) {
                None => return Some(format!("its run directory {} was removed", dir.display())),
                Some(now) if now != id => {
                    return Some(format!("its run directory {} was replaced", dir.display()))
                }
                Some(_) => {}
            }
        }
        if self.records.exists() {
            self.records_seen = true;
        } else if self.records_seen {
            return Some(format!(
                "its records file {} was removed",
                self.records.display()
            ));
        }
        if let Some((name, index)) = &self.link {
            match link_index(name) {
                None => return Some(format!("its bridge {name} is gone")),
                Some(now) if now != *index => {
                    return Some(format!("its bridge {name} was replaced"))
                }
                Some(_) => {}
            }
        }
        None
    }
}

/// Checks `lifeline` every `every` on a thread of its own until `stop` is set (by anyone):
/// once the network is gone it sets `stop` itself, so that [`super::serve`] returns. The
/// thread returns why it stopped the server (None when someone else did).
pub fn watch(
    mut lifeline: Lifeline,
    stop: Arc<AtomicBool>,
    every: Duration,
) -> std::io::Result<JoinHandle<Option<String>>> {
    thread::Builder::new()
        .name("berth-dns-lifeline".into())
        .spawn(move || loop {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            if let Some(why) = lifeline.gone() {
                stop.store(true, Ordering::Relaxed);
                return Some(why);
            }
            thread::sleep(every);
        })
}
