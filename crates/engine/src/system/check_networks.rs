//! `system check` for networking: network namespaces no container owns (a killed `rm`),
//! DNS servers and run-time directories of networks that no longer exist, and berth's
//! firewall table rebuilt from the records (dropping rules of containers that are gone).

use std::collections::HashSet;
use std::fs;

use crate::engine::Engine;
use crate::error::Result;
use crate::system::check::Findings;

impl Engine {
    /// Cross-checks `<run>/netns` and `<run>/net` against the records.
    pub(crate) fn check_networks(&self, f: &mut Findings) -> Result<()> {
        let containers: HashSet<String> = crate::containers::record::list(&self.db)?
            .into_iter()
            .filter(|r| r.net.is_some())
            .map(|r| r.id)
            .collect();
        let netns_dir = self.paths.run.join("netns");
        for id in unknown_entries(&netns_dir, &containers) {
            let path = netns_dir.join(&id);
            f.fixable(
                "network namespace without container",
                id,
                "unmounted and removed (its veth pair goes with it)",
                move || {
                    berth_net::link::remove_netns(&path)
                        .map_err(crate::error::net_err("remove network namespace"))
                },
            );
        }
        let networks: HashSet<String> = crate::network::record::list(&self.db)?
            .into_iter()
            .map(|n| n.name)
            .collect();
        let net_dir = self.paths.run.join("net");
        for name in unknown_entries(&net_dir, &networks) {
            let dir = net_dir.join(&name);
            f.fixable(
                "run-time files of a removed network",
                name,
                "its DNS server is stopped and its files removed",
                move || {
                    stop_dns_in(&dir);
                    fs::remove_dir_all(&dir).map_err(crate::error::io_err("remove", &dir))
                },
            );
        }
        if f.repairing() && !networks.is_empty() {
            self.apply_firewall()?;
        }
        Ok(())
    }
}

/// The names in `dir` that `known` lacks, sorted (none when `dir` does not exist).
fn unknown_entries(dir: &std::path::Path, known: &HashSet<String>) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !known.contains(n))
        .collect();
    out.sort();
    out
}

/// Stops the DNS server whose pid file is in `dir`, if it is still a berth DNS server.
fn stop_dns_in(dir: &std::path::Path) {
    let Ok(pid) = fs::read_to_string(dir.join("dns.pid")) else {
        return;
    };
    let Ok(pid) = pid.trim().parse::<i32>() else {
        return;
    };
    let ours = fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| c.split(|b| *b == 0).any(|a| a == b"__dns"))
        .unwrap_or(false);
    if ours {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
}
