//! One container start's network work, then its teardown, timed: a bridge with an address,
//! up; a namespace (bind-mounted file); a veth pair made with its peer `eth0` already in
//! that namespace, the host end a hairpin bridge port; inside, the address, `lo` and `eth0`
//! up and the default route; then the veth, the namespace and the bridge deleted.
//!
//! Built with feature `berth` (berth-net's link API), `crate` (netlink-packet-route +
//! netlink-sys, blocking) or neither (the baseline: same main, no netlink).
//! Run it only inside a network namespace made for it (run.sh uses `ip netns exec`).
//!
//! Usage: netlink-compare <bridge> <veth> <netns-file> [keep]; prints `<engine> <wall µs> <cpu µs>`
//! (CLOCK_PROCESS_CPUTIME_ID: user and system time of all its threads, scheduler-exact).
//! With `keep` there is no teardown (run.sh inspects the result with `ip`, then deletes it).

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Instant;

use nix::time::{clock_gettime, ClockId};

#[cfg(feature = "berth")]
mod berth_engine;
#[cfg(all(feature = "crate", not(feature = "berth")))]
mod crate_engine;
#[cfg(all(feature = "crate", not(feature = "berth")))]
mod netns;

/// The bridge's gateway address, the container's address and their prefix.
const GATEWAY: Ipv4Addr = Ipv4Addr::new(10, 201, 0, 1);
const CONTAINER_IP: Ipv4Addr = Ipv4Addr::new(10, 201, 0, 2);
const PREFIX: u8 = 24;

/// The work, in terms every engine implements.
struct Start<'a> {
    bridge: &'a str,
    veth: &'a str,
    netns: &'a Path,
    /// Skip the teardown.
    keep: bool,
}

#[cfg(feature = "berth")]
const ENGINE: &str = "berth";
#[cfg(all(feature = "crate", not(feature = "berth")))]
const ENGINE: &str = "crate";
#[cfg(not(any(feature = "berth", feature = "crate")))]
const ENGINE: &str = "none";

fn run(start: &Start) -> Result<(), String> {
    #[cfg(feature = "berth")]
    return berth_engine::run(start);
    #[cfg(all(feature = "crate", not(feature = "berth")))]
    return crate_engine::run(start);
    #[cfg(not(any(feature = "berth", feature = "crate")))]
    {
        let _ = (
            start.bridge,
            start.veth,
            start.netns,
            start.keep,
            GATEWAY,
            CONTAINER_IP,
            PREFIX,
        );
        Ok(())
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (bridge, veth, netns, keep) = match args.as_slice() {
        [_, b, v, n] => (b, v, n, false),
        [_, b, v, n, k] if k == "keep" => (b, v, n, true),
        _ => {
            eprintln!("usage: netlink-compare <bridge> <veth> <netns-file> [keep]");
            std::process::exit(2);
        }
    };
    let start = Start {
        bridge,
        veth,
        netns: Path::new(netns),
        keep,
    };
    let began = Instant::now();
    if let Err(e) = run(&start) {
        eprintln!("{ENGINE}: {e}");
        std::process::exit(1);
    }
    let wall = began.elapsed().as_micros();
    let cpu = clock_gettime(ClockId::CLOCK_PROCESS_CPUTIME_ID).expect("process CPU clock");
    let cpu = cpu.tv_sec() * 1_000_000 + cpu.tv_nsec() / 1000;
    println!("{ENGINE} {wall} {cpu}");
}
