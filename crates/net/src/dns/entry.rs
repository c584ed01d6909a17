//! The `berth __dns` entry point: a network's DNS server, spawned by the engine when the network comes up
//! and stopped (SIGTERM) when it goes. Answers container names from the records file the
//! engine keeps; forwards everything else to the host's resolvers. It also stops by itself
//! when the network's state is gone without the engine stopping it (the run directory or
//! the records file removed, as when a whole state root is deleted, or the bridge deleted):
//! see [`lifeline`]. The CLI only dispatches `__dns` here.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::lifeline::{self, Lifeline};

/// Runs the server with `--network NAME --listen IP:PORT --records FILE --pid-file FILE`;
/// returns the exit code.
pub fn serve_main(args: &[String]) -> i32 {
    match run(args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("berth dns: {e}");
            1
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let mut listen = None;
    let mut records = None;
    let mut pid_file = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--network" => {
                value()?;
            }
            "--listen" => listen = Some(value()?),
            "--records" => records = Some(PathBuf::from(value()?)),
            "--pid-file" => pid_file = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let listen: SocketAddr = listen
        .ok_or("--listen is required")?
        .parse()
        .map_err(|e| format!("--listen: {e}"))?;
    let records = records.ok_or("--records is required")?;
    let socket = UdpSocket::bind(listen).map_err(|e| format!("listen on {listen}: {e}"))?;
    let resolv = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let exclude: Vec<IpAddr> = vec![listen.ip()];
    let upstreams = super::upstreams_from_resolv_conf(&resolv, &exclude);
    if let Some(p) = &pid_file {
        std::fs::write(p, std::process::id().to_string())
            .map_err(|e| format!("write {}: {e}", p.display()))?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = lifeline::watch(
        Lifeline::new(&records, listen.ip()),
        Arc::clone(&stop),
        lifeline::CHECK_EVERY,
    )
    .map_err(|e| format!("start the network watch: {e}"))?;
    super::serve(socket, &records, upstreams, &stop).map_err(|e| e.to_string())?;
    if let Ok(Some(why)) = watcher.join() {
        eprintln!("berth dns: stopping: {why}");
    }
    Ok(())
}
