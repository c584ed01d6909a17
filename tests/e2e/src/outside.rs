//! An "outside" network namespace for the networking tests (`300_network`,
//! `510_compose_network`): joined to a [`Berth`] test's namespace by a veth pair, it stands
//! for the rest of the world. The test namespace's default route points at it, and it has no
//! route back to container subnets, so reaching it from a container proves masquerading.

use std::net::Ipv4Addr;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use berth_net::link::{self, Netlink};

use crate::cmd::Output;
use crate::engine::Berth;

/// The test namespace's address on the uplink to the outside namespace.
pub const HOST_IP: &str = "192.0.2.1";
/// The outside namespace's address on the uplink (the test namespace's default gateway).
pub const OUTSIDE_IP: &str = "192.0.2.2";

/// An "outside" network namespace joined to a test's by a veth pair (`up0` in the test
/// namespace at [`HOST_IP`], `down0` outside at [`OUTSIDE_IP`]); the test namespace's default
/// route points at it. Dropping it removes the pair and the namespace.
pub struct Outside {
    ns: PathBuf,
    test_ns: PathBuf,
}

impl Outside {
    /// Creates the outside namespace of test `b` (below its dir) and wires it up.
    pub fn new(b: &Berth) -> Outside {
        let ns = b.dir.join("outside-netns");
        link::create_netns(&ns).expect("create the outside namespace");
        let outside_fd = std::fs::File::open(&ns).expect("open the outside namespace");
        link::in_netns(&b.netns, || {
            let mut nl = Netlink::open().unwrap();
            nl.create_veth("up0", "down0").unwrap();
            nl.move_to_netns("down0", outside_fd.as_fd()).unwrap();
            nl.add_address("up0", HOST_IP.parse().unwrap(), 24).unwrap();
            nl.set_up("up0").unwrap();
            nl.add_default_route(OUTSIDE_IP.parse::<Ipv4Addr>().unwrap())
                .unwrap();
        })
        .unwrap();
        link::in_netns(&ns, || {
            let mut nl = Netlink::open().unwrap();
            nl.add_address("down0", OUTSIDE_IP.parse().unwrap(), 24)
                .unwrap();
            nl.set_up("down0").unwrap();
        })
        .unwrap();
        Outside {
            ns,
            test_ns: b.netns.clone(),
        }
    }

    /// Runs a shell command in the outside namespace (output files below `b`'s dir).
    pub fn sh(&self, b: &Berth, script: &str) -> Output {
        let net = format!("--net={}", self.ns.display());
        Output::run_program(
            Path::new("/usr/bin/nsenter"),
            &[net, "sh".into(), "-c".into(), script.into()],
            &b.dir.join("out"),
        )
    }
}

impl Drop for Outside {
    fn drop(&mut self) {
        let _ = link::in_netns(&self.test_ns, || {
            if let Ok(mut nl) = Netlink::open() {
                let _ = nl.delete_link("up0");
            }
        });
        let _ = link::remove_netns(&self.ns);
    }
}
