//! [`Leases`]: a network's address leases, one JSON file guarded by an flock.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use super::{IpamError, Subnet};

/// The address leases of one network, persisted as a JSON file (path given by the caller)
/// and guarded by an exclusive flock on the sibling `<file>.lock`, so concurrent berth
/// processes never hand out the same address. Writes go to a temporary file that is
/// renamed over the old one, so a crash leaves either the old or the new state.
///
/// Addresses are handed out round-robin after the last one allocated (like podman), so a
/// just-released address is not reused at once.
#[derive(Debug, Clone)]
pub struct Leases {
    path: PathBuf,
    subnet: Subnet,
}

/// The file's content.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// The network's subnet, checked on every open.
    subnet: Option<Subnet>,
    /// The address handed out last; the next search starts after it.
    #[serde(default)]
    last: Option<Ipv4Addr>,
    /// Container id to address.
    #[serde(default)]
    leases: BTreeMap<String, Ipv4Addr>,
}

impl Leases {
    /// The leases of the network `subnet`, kept in the file `path` (created on first
    /// allocation; its directory must exist).
    pub fn new(path: impl Into<PathBuf>, subnet: Subnet) -> Leases {
        Leases {
            path: path.into(),
            subnet,
        }
    }

    /// The lease file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The network's subnet.
    pub fn subnet(&self) -> Subnet {
        self.subnet
    }

    /// Leases an address to `container_id`: `requested` if given (an error when outside the
    /// subnet, reserved or leased to another container), else the next free host address.
    /// The network, gateway and broadcast addresses are never handed out. A container that
    /// already holds a lease keeps it unless it requests another address.
    pub fn allocate(
        &self,
        container_id: &str,
        requested: Option<Ipv4Addr>,
    ) -> Result<Ipv4Addr, IpamError> {
        self.update(|state| {
            if let Some(&held) = state.leases.get(container_id) {
                if requested.is_none_or(|r| r == held) {
                    return Ok(held);
                }
            }
            let addr = match requested {
                Some(ip) => self.check_requested(state, container_id, ip)?,
                None => self.next_free(state)?,
            };
            state.leases.insert(container_id.to_string(), addr);
            state.last = Some(addr);
            Ok(addr)
        })
    }

    /// Releases the lease of `container_id`, if any; returns the address it held.
    pub fn release(&self, container_id: &str) -> Result<Option<Ipv4Addr>, IpamError> {
        self.update(|state| Ok(state.leases.remove(container_id)))
    }

    /// All leases, container id to address.
    pub fn list(&self) -> Result<BTreeMap<String, Ipv4Addr>, IpamError> {
        let _lock = self.lock()?;
        Ok(self.read()?.leases)
    }

    /// Deletes the lease file and its lock file (when the network is removed).
    pub fn remove_files(&self) -> Result<(), IpamError> {
        for path in [self.path.clone(), self.lock_path()] {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(io_err("removing", &path, e));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Checks a requested address against the subnet, reserved addresses and leases.
    fn check_requested(
        &self,
        state: &State,
        container_id: &str,
        ip: Ipv4Addr,
    ) -> Result<Ipv4Addr, IpamError> {
        if !self.subnet.contains(ip) {
            return Err(IpamError::NotInSubnet {
                addr: ip,
                subnet: self.subnet,
            });
        }
        let reserved = [
            self.subnet.addr,
            self.subnet.gateway(),
            self.subnet.broadcast(),
        ];
        let taken = state
            .leases
            .iter()
            .any(|(id, a)| *a == ip && id != container_id);
        if reserved.contains(&ip) || taken {
            return Err(IpamError::InUse(ip));
        }
        Ok(ip)
    }

    /// The first free host address after the last one allocated, wrapping around; the
    /// gateway (host 1) is skipped.
    fn next_free(&self, state: &State) -> Result<Ipv4Addr, IpamError> {
        let hosts = self.subnet.size().saturating_sub(2); // without network and broadcast
        if hosts < 2 {
            return Err(IpamError::Exhausted(self.subnet));
        }
        let hosts = hosts as u32;
        let used: std::collections::HashSet<Ipv4Addr> = state.leases.values().copied().collect();
        let start = state
            .last
            .and_then(|l| self.subnet.index_of(l))
            .filter(|i| (1..=hosts).contains(i))
            .unwrap_or(1);
        // Host indexes 2..=hosts, starting after `start`.
        (0..hosts - 1)
            .map(|k| 2 + (start - 1 + k) % (hosts - 1))
            .filter_map(|n| self.subnet.nth_host(n))
            .find(|a| !used.contains(a))
            .ok_or(IpamError::Exhausted(self.subnet))
    }

    /// Runs `change` on the state under the lock and saves the result.
    fn update<T>(
        &self,
        change: impl FnOnce(&mut State) -> Result<T, IpamError>,
    ) -> Result<T, IpamError> {
        let _lock = self.lock()?;
        let mut state = self.read()?;
        let out = change(&mut state)?;
        state.subnet = Some(self.subnet);
        self.write(&state)?;
        Ok(out)
    }

    /// The sibling lock file: `<file>.lock`.
    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the exclusive flock, held until the returned guard is dropped.
    fn lock(&self) -> Result<Flock<File>, IpamError> {
        let path = self.lock_path();
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_err("opening lock file", &path, e))?;
        Flock::lock(file, FlockArg::LockExclusive)
            .map_err(|(_, errno)| io_err("locking", &path, errno.into()))
    }

    /// Reads the state (empty when the file does not exist yet).
    fn read(&self) -> Result<State, IpamError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(State::default()),
            Err(e) => return Err(io_err("reading lease file", &self.path, e)),
        };
        let state: State = serde_json::from_slice(&bytes).map_err(|source| IpamError::Corrupt {
            path: self.path.clone(),
            source,
        })?;
        match state.subnet {
            Some(found) if found != self.subnet => Err(IpamError::SubnetMismatch {
                path: self.path.clone(),
                found,
                expected: self.subnet,
            }),
            _ => Ok(state),
        }
    }

    /// Writes the state crash-safely: a temporary file, fsync, rename over the old one.
    fn write(&self, state: &State) -> Result<(), IpamError> {
        let mut tmp_name = self.path.as_os_str().to_owned();
        tmp_name.push(".tmp");
        let tmp = PathBuf::from(tmp_name);
        let json = serde_json::to_vec_pretty(state).map_err(|source| IpamError::Corrupt {
            path: self.path.clone(),
            source,
        })?;
        let result = (|| {
            let mut file = File::create(&tmp)?;
            file.write_all(&json)?;
            file.sync_all()
        })();
        result.map_err(|e| io_err("writing", &tmp, e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| io_err("renaming into", &self.path, e))
    }
}

/// An [`IpamError::Io`] with context.
fn io_err(context: &'static str, path: &Path, source: io::Error) -> IpamError {
    IpamError::Io {
        context,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net() -> Subnet {
        "10.89.5.0/24".parse().unwrap()
    }

    fn ip(text: &str) -> Ipv4Addr {
        text.parse().unwrap()
    }

    #[test]
    fn allocates_sequentially_and_persists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("net.json");
        let leases = Leases::new(&path, net());
        assert_eq!(leases.allocate("a", None).unwrap(), ip("10.89.5.2"));
        assert_eq!(leases.allocate("b", None).unwrap(), ip("10.89.5.3"));
        // Idempotent for a container that already holds a lease.
        assert_eq!(leases.allocate("a", None).unwrap(), ip("10.89.5.2"));
        // Another handle on the same file sees the same state.
        let again = Leases::new(&path, net());
        let list = again.list().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list["b"], ip("10.89.5.3"));
        assert!(!dir.path().join("net.json.tmp").exists());
        assert!(dir.path().join("net.json.lock").exists());
    }

    #[test]
    fn release_and_round_robin() {
        let dir = tempfile::tempdir().unwrap();
        let leases = Leases::new(dir.path().join("n.json"), net());
        leases.allocate("a", None).unwrap();
        leases.allocate("b", None).unwrap();
        assert_eq!(leases.release("a").unwrap(), Some(ip("10.89.5.2")));
        assert_eq!(leases.release("a").unwrap(), None);
        // Not reused at once: allocation continues after the last one.
        assert_eq!(leases.allocate("c", None).unwrap(), ip("10.89.5.4"));
        assert_eq!(leases.list().unwrap().len(), 2);
    }

    #[test]
    fn requested_addresses() {
        let dir = tempfile::tempdir().unwrap();
        let leases = Leases::new(dir.path().join("n.json"), net());
        assert_eq!(
            leases.allocate("a", Some(ip("10.89.5.77"))).unwrap(),
            ip("10.89.5.77")
        );
        let err = leases.allocate("b", Some(ip("10.89.5.77"))).unwrap_err();
        assert_eq!(err.to_string(), "address already in use: 10.89.5.77");
        for reserved in ["10.89.5.0", "10.89.5.1", "10.89.5.255"] {
            let err = leases.allocate("b", Some(ip(reserved))).unwrap_err();
            assert!(matches!(err, IpamError::InUse(_)), "{reserved}: {err}");
        }
        let err = leases.allocate("b", Some(ip("10.89.6.3"))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "address 10.89.6.3 is not in subnet 10.89.5.0/24"
        );
        // Next automatic allocation continues after the requested one.
        assert_eq!(leases.allocate("b", None).unwrap(), ip("10.89.5.78"));
        // A container may move to another address.
        assert_eq!(
            leases.allocate("a", Some(ip("10.89.5.9"))).unwrap(),
            ip("10.89.5.9")
        );
        assert_eq!(leases.list().unwrap()["a"], ip("10.89.5.9"));
    }

    #[test]
    fn exhaustion_and_wraparound() {
        let dir = tempfile::tempdir().unwrap();
        let leases = Leases::new(dir.path().join("n.json"), "10.0.0.0/29".parse().unwrap());
        // Hosts .1 (gateway) to .6: five leasable.
        let got: Vec<Ipv4Addr> = (0..5)
            .map(|i| leases.allocate(&format!("c{i}"), None).unwrap())
            .collect();
        assert_eq!(got.first(), Some(&ip("10.0.0.2")));
        assert_eq!(got.last(), Some(&ip("10.0.0.6")));
        assert!(matches!(
            leases.allocate("x", None),
            Err(IpamError::Exhausted(_))
        ));
        leases.release("c1").unwrap();
        assert_eq!(leases.allocate("x", None).unwrap(), ip("10.0.0.3"));
        let tiny = Leases::new(dir.path().join("t.json"), "10.0.0.0/31".parse().unwrap());
        assert!(matches!(
            tiny.allocate("x", None),
            Err(IpamError::Exhausted(_))
        ));
    }

    #[test]
    fn subnet_mismatch_and_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.json");
        Leases::new(&path, net()).allocate("a", None).unwrap();
        let other = Leases::new(&path, "10.89.6.0/24".parse().unwrap());
        assert!(matches!(
            other.list(),
            Err(IpamError::SubnetMismatch { .. })
        ));
        std::fs::write(&path, b"{not json").unwrap();
        assert!(matches!(
            Leases::new(&path, net()).list(),
            Err(IpamError::Corrupt { .. })
        ));
        Leases::new(&path, net()).remove_files().unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn concurrent_allocations_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.json");
        let threads: Vec<_> = (0..2)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let leases = Leases::new(path, net());
                    (0..60)
                        .map(|i| leases.allocate(&format!("t{t}-{i}"), None).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<Ipv4Addr> = threads
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 120);
        assert_eq!(Leases::new(&path, net()).list().unwrap().len(), 120);
    }
}
