//! The per-network DNS server (`berth __dns`) does not outlive its network: deleted behind
//! the engine's back, its bridge or its whole state root (as every test does at the end)
//! makes it exit within a few seconds, instead of listening on the bridge address for good.

use std::time::{Duration, Instant};

use berth_e2e::engine::dns_pids;
use berth_e2e::{leaks, Berth};
use berth_net::link::{self, Netlink};

/// How long a DNS server may take to notice (it checks twice a second).
const NOTICE: Duration = Duration::from_secs(5);

/// The pid of network `name`'s DNS server (there must be exactly one).
#[track_caller]
fn dns_pid_of(b: &Berth, name: &str) -> i32 {
    let mine: Vec<i32> = dns_pids(&b.root)
        .into_iter()
        .filter(|p| {
            let args = fs_cmdline(*p);
            args.windows(2).any(|w| w[0] == "--network" && w[1] == name)
        })
        .collect();
    assert_eq!(mine.len(), 1, "DNS servers of network {name}: {mine:?}");
    mine[0]
}

fn fs_cmdline(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// Waits up to [`NOTICE`] for `pid` to exit; returns how long it took, or None.
fn exits_within(pid: i32) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < NOTICE {
        if !leaks::alive(pid) {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The bridge of network `name`, from `network inspect`.
fn bridge_of(b: &Berth, name: &str) -> String {
    let id = b
        .cmd(&["network", "inspect", "-f", "{{.Id}}", name])
        .ok()
        .out()
        .trim()
        .to_string();
    assert!(id.len() >= 12, "network id {id:?}");
    format!("br-{}", &id[..12])
}

/// Deletes link `name` in the test's network namespace.
fn delete_link(b: &Berth, name: &str) {
    link::in_netns(&b.netns, || {
        Netlink::open().and_then(|mut nl| nl.delete_link(name))
    })
    .expect("enter the test namespace")
    .unwrap_or_else(|e| panic!("delete link {name}: {e}"));
}

#[test]
fn dns_server_exits_when_its_bridge_or_its_state_root_goes() {
    let Some(b) = Berth::new("dns-exit") else {
        return;
    };
    b.cmd(&["network", "create", "dnskeep"]).ok();
    b.cmd(&["network", "create", "dnsbr"]).ok();
    let keep = dns_pid_of(&b, "dnskeep");
    let br = dns_pid_of(&b, "dnsbr");
    let keep_bridge = bridge_of(&b, "dnskeep");
    let br_bridge = bridge_of(&b, "dnsbr");

    // The bridge goes behind the engine's back: its server exits, the other one stays.
    delete_link(&b, &br_bridge);
    assert!(
        exits_within(br).is_some(),
        "the DNS server of network dnsbr still runs {NOTICE:?} after its bridge went"
    );
    assert!(
        leaks::alive(keep),
        "the other network's DNS server exited too"
    );
    b.cmd(&["network", "rm", "dnsbr"]).ok();
    assert!(leaks::alive(keep));

    // The whole state root goes (no container runs, so nothing is mounted below it).
    std::fs::remove_dir_all(&b.root).expect("delete the state root");
    let took = exits_within(keep);
    // The engine cannot take that network down any more: remove what it left in the
    // namespace (the bridge, berth's nftables table) before judging, so a failure here
    // does not leave them for the harness.
    delete_link(&b, &keep_bridge);
    let _ = link::in_netns(&b.netns, || berth_net::firewall::delete_table("berth"));
    if took.is_none() {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(keep),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    assert!(
        took.is_some(),
        "the DNS server of network dnskeep still runs {NOTICE:?} after the state root went"
    );
    assert!(
        dns_pids(&b.root).is_empty(),
        "DNS servers left: {:?}",
        dns_pids(&b.root)
    );
}
