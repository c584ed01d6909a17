//! The per-network DNS server (`berth __dns`): its records file, written from the
//! containers on the network, and its process, started with the network and stopped with it.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::record::NetworkRecord;
use crate::engine::Engine;
use crate::error::{io_err, Error, Result};

/// The records file of a network's DNS server.
pub fn records_path(e: &Engine, n: &NetworkRecord) -> PathBuf {
    e.network_run_dir(&n.name).join("records.json")
}

fn pid_path(e: &Engine, n: &NetworkRecord) -> PathBuf {
    e.network_run_dir(&n.name).join("dns.pid")
}

/// The pid of the network's running DNS server, if it runs.
fn running_pid(e: &Engine, n: &NetworkRecord) -> Option<i32> {
    let pid: i32 = fs::read_to_string(pid_path(e, n))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let is_ours = cmdline.split(|b| *b == 0).any(|a| a == b"__dns")
        && cmdline
            .windows(n.name.len().max(1))
            .any(|w| w == n.name.as_bytes());
    is_ours.then_some(pid)
}

impl Engine {
    /// Writes the network's DNS records: every attached container's name, short ID and
    /// aliases (user networks only; the default bridge resolves no names, as in Docker).
    pub fn write_dns_records(&self, n: &NetworkRecord) -> Result<()> {
        // One writer at a time, each reading the containers under the lock: the last file
        // written is from the newest state, whichever process or thread wrote it.
        let _lock = crate::lock::Lock::exclusive(&self.paths.locks(), &format!("dns-{}", n.name))?;
        let dir = self.network_run_dir(&n.name);
        fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
        let mut records = berth_net::dns::Records::new(None);
        if n.dns_names {
            for r in crate::containers::record::list(&self.db)? {
                let Some(a) = r.attachments().find(|a| a.network == n.name) else {
                    continue;
                };
                let Ok(ip) = a.ip.parse::<std::net::IpAddr>() else {
                    continue;
                };
                records.insert(&r.name, ip);
                records.insert(&r.id[..12], ip);
                for alias in &a.aliases {
                    records.insert(alias, ip);
                }
            }
        }
        records
            .save(&records_path(self, n))
            .map_err(|e| Error::Invalid(format!("DNS records of network {}: {e}", n.name)))
    }

    /// Whether the network's DNS server runs.
    pub fn dns_running(&self, n: &NetworkRecord) -> bool {
        running_pid(self, n).is_some()
    }
}

/// Starts the network's DNS server (listening on the gateway, port 53) unless it runs.
pub fn ensure_server(e: &Engine, n: &NetworkRecord) -> Result<()> {
    if running_pid(e, n).is_some() {
        return Ok(());
    }
    let pid_file = pid_path(e, n);
    let _ = fs::remove_file(&pid_file);
    let log = e.network_run_dir(&n.name).join("dns.log");
    let out = fs::File::create(&log).map_err(io_err("create", &log))?;
    let err = out.try_clone().map_err(io_err("create", &log))?;
    use std::os::unix::process::CommandExt;
    Command::new(e.exe())
        .arg("__dns")
        .arg("--network")
        .arg(&n.name)
        .arg("--listen")
        .arg(format!("{}:53", n.gateway))
        .arg("--records")
        .arg(records_path(e, n))
        .arg("--pid-file")
        .arg(&pid_file)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(io_err("start the DNS server", e.exe()))?;
    // It writes its pid file once it listens.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if running_pid(e, n).is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let why = fs::read_to_string(&log).unwrap_or_default();
    Err(Error::Invalid(format!(
        "the DNS server of network {} did not start: {}",
        n.name,
        why.trim()
    )))
}

/// Stops the network's DNS server, if it runs.
pub fn stop_server(e: &Engine, n: &NetworkRecord) {
    if let Some(pid) = running_pid(e, n) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
        crate::containers::state::wait_pid_exit(pid, Duration::from_secs(2));
    }
    let _ = fs::remove_file(pid_path(e, n));
}
