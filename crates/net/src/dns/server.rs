//! The serving loop: local answers, forwarding, records file reloads.

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::error::DnsError;
use super::forward::{forward, UPSTREAM_TIMEOUT};
use super::handle::{decide, Action, Transport};
use super::response::{encode_within, servfail, udp_limit};
use super::watch::RecordsWatch;
use super::wire::Message;

/// How long a receive waits before the loop looks at `stop` and the records file again.
const POLL: Duration = Duration::from_millis(100);
/// Most forwarded queries in flight at once; beyond that clients get SERVFAIL at once.
const MAX_FORWARDS: usize = 64;
/// Receive buffer size (larger queries are cut short and then dropped as malformed).
const MAX_QUERY: usize = 4096;

/// Serves DNS on `socket` until `stop` is set: A and AAAA queries for known names are
/// answered authoritatively (TTL 60; AAAA for a v4-only name gives an empty NOERROR
/// answer), PTR for known addresses (in-addr.arpa, ip6.arpa) answered, unknown names
/// inside the search domain get NXDOMAIN, and everything else is forwarded to the
/// upstreams in order (first answer wins, 2 s timeout each, the reply relayed with the
/// client's ID), SERVFAIL if none answers. The records file at `records_path` is
/// reloaded when it changes (checked at most every 200 ms); a missing file means no
/// records, a file that fails to parse keeps the previous records (but is an error at
/// start-up). Malformed packets are dropped. Returns once `stop` is set and the
/// in-flight forwards have finished, or on a socket error other than a timeout.
pub fn serve(
    socket: UdpSocket,
    records_path: &Path,
    upstreams: Vec<SocketAddr>,
    stop: &AtomicBool,
) -> Result<(), DnsError> {
    socket
        .set_read_timeout(Some(POLL))
        .map_err(DnsError::Socket)?;
    let mut watch = RecordsWatch::open(records_path)?;
    let upstreams = Arc::new(upstreams);
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    let mut buf = vec![0u8; MAX_QUERY];
    let result = loop {
        if stop.load(Ordering::Relaxed) {
            break Ok(());
        }
        workers.retain(|w| !w.is_finished());
        let (n, client) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(e) if is_transient(&e) => continue,
            Err(e) => break Err(DnsError::Socket(e)),
        };
        // After the query arrived: it sees every record written before it was sent.
        watch.refresh();
        match decide(&buf[..n], watch.records(), Transport::Udp) {
            Action::Drop => {}
            Action::Reply(bytes) => {
                let _ = socket.send_to(&bytes, client);
            }
            Action::Forward(query) => {
                if upstreams.is_empty() || workers.len() >= MAX_FORWARDS {
                    if let Some(bytes) = encode_within(&servfail(&query), udp_limit(&query)) {
                        let _ = socket.send_to(&bytes, client);
                    }
                    continue;
                }
                let Ok(reply_socket) = socket.try_clone() else {
                    continue;
                };
                let packet = buf[..n].to_vec();
                let upstreams = Arc::clone(&upstreams);
                let spawned = thread::Builder::new()
                    .name("berth-dns-fwd".into())
                    .spawn(move || relay(&reply_socket, client, &packet, &query, &upstreams));
                if let Ok(worker) = spawned {
                    workers.push(worker);
                }
            }
        }
    };
    for worker in workers {
        let _ = worker.join();
    }
    result
}

fn is_transient(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::WouldBlock
            | ErrorKind::TimedOut
            | ErrorKind::Interrupted
            | ErrorKind::ConnectionRefused
            | ErrorKind::ConnectionReset
    )
}

/// Forwards one query and sends the upstream's reply (or SERVFAIL) to the client.
fn relay(
    socket: &UdpSocket,
    client: SocketAddr,
    packet: &[u8],
    query: &Message,
    upstreams: &[SocketAddr],
) {
    let bytes = forward(packet, upstreams, UPSTREAM_TIMEOUT)
        .or_else(|| encode_within(&servfail(query), udp_limit(query)));
    if let Some(bytes) = bytes {
        let _ = socket.send_to(&bytes, client);
    }
}
