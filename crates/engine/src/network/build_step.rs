//! Build RUN steps on the default bridge: each step gets a network namespace and a veth
//! like a container, with an address from the top of the bridge's subnet (containers take
//! theirs from the bottom), leased in a file under the network's lock so concurrent steps
//! and builds never share one.

use std::net::Ipv4Addr;
use std::path::PathBuf;

use berth_net::ipam::{Leases, Subnet};
use berth_net::link::{self, Netlink};

use crate::engine::Engine;
use crate::error::{net_err, Error, Result};

/// How many addresses at the top of the subnet build steps may use.
const BUILD_ADDRESSES: u64 = 250;

/// A build step's place on the default bridge.
#[derive(Debug)]
pub struct StepNet {
    /// The step's network namespace file.
    pub netns: PathBuf,
    /// Its address.
    pub ip: Ipv4Addr,
    /// The gateway, its DNS server.
    pub gateway: Ipv4Addr,
    key: String,
    leases: PathBuf,
    subnet: Subnet,
}

impl Engine {
    /// Plugs build step `key` (unique, hex) into the default bridge.
    pub fn attach_build_step(&self, key: &str) -> Result<StepNet> {
        let n = self.default_network()?;
        let mut nl = Netlink::open().map_err(net_err("netlink"))?;
        self.ensure_network_up(&mut nl, &n)?;
        let subnet = n.subnet()?;
        let gateway = n.gateway_ip()?;
        let leases = self.network_run_dir(&n.name).join("build-leases.json");
        let book = Leases::new(&leases, subnet);
        let top = subnet.size().saturating_sub(2);
        let mut ip = None;
        for i in 0..BUILD_ADDRESSES.min(top) {
            let Some(candidate) = u32::try_from(top - i).ok().and_then(|n| subnet.nth_host(n))
            else {
                continue;
            };
            if candidate == gateway {
                continue;
            }
            if let Ok(got) = book.allocate(key, Some(candidate)) {
                ip = Some(got);
                break;
            }
        }
        let ip = ip.ok_or_else(|| {
            Error::Conflict(format!("no free address for a build step on {}", n.name))
        })?;
        let netns = self.paths.run.join("netns").join(format!("build-{key}"));
        let made = (|| {
            if let Some(dir) = netns.parent() {
                std::fs::create_dir_all(dir).map_err(crate::error::io_err("create", dir))?;
            }
            link::create_netns(&netns).map_err(net_err("create network namespace"))?;
            let veth = format!("vb{}", &key[..key.len().min(12)]);
            link::attach(
                &mut nl,
                &n.bridge,
                &veth,
                &netns,
                ip,
                subnet.prefix,
                gateway,
            )
            .map_err(net_err("attach the build step"))
        })();
        let step = StepNet {
            netns,
            ip,
            gateway,
            key: key.to_string(),
            leases,
            subnet,
        };
        if let Err(e) = made {
            self.detach_build_step(step);
            return Err(e);
        }
        Ok(step)
    }

    /// Unplugs a build step: its namespace goes (the veth with it) and its address is freed.
    pub fn detach_build_step(&self, step: StepNet) {
        let _ = link::remove_netns(&step.netns);
        let _ = Leases::new(&step.leases, step.subnet).release(&step.key);
    }

    /// Frees the place of build step `key` when only the key is known (the build that made
    /// it was killed): its namespace and its address lease.
    pub(crate) fn release_build_step(&self, key: &str) {
        let _ = link::remove_netns(&self.paths.run.join("netns").join(format!("build-{key}")));
        let Ok(Some(n)) =
            crate::network::record::by_name(&self.db, crate::network::record::DEFAULT_NETWORK)
        else {
            return;
        };
        if let Ok(subnet) = n.subnet() {
            let leases = self.network_run_dir(&n.name).join("build-leases.json");
            let _ = Leases::new(&leases, subnet).release(key);
        }
    }
}
