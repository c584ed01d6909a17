//! The optional TCP listener: the same answers as over UDP, without the size limit.
//!
//! Clients fall back to TCP when a UDP reply comes back truncated. Each connection gets
//! a thread and may carry several length-prefixed queries (RFC 7766); idle connections
//! are closed after a while, and all of them when the server stops.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::error::DnsError;
use super::forward::{forward_tcp, UPSTREAM_TIMEOUT};
use super::handle::{decide, Action, Transport};
use super::records::Records;
use super::response::{encode_within, servfail};
use super::watch::RecordsWatch;
use super::wire::HEADER_LEN;

/// How long the accept loop sleeps when no connection is waiting.
const POLL: Duration = Duration::from_millis(50);
/// A connection with no complete query for this long is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// Most connections served at once; more are closed right away.
const MAX_CONNECTIONS: usize = 32;

/// Reads one length-prefixed DNS message (too short to hold a header is an error).
pub fn read_message(stream: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len)?;
    let len = usize::from(u16::from_be_bytes(len));
    if len < HEADER_LEN {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            "dns message too short",
        ));
    }
    let mut msg = vec![0u8; len];
    stream.read_exact(&mut msg)?;
    Ok(msg)
}

/// Writes one length-prefixed DNS message.
pub fn write_message(stream: &mut impl Write, msg: &[u8]) -> io::Result<()> {
    let len = u16::try_from(msg.len())
        .map_err(|_| io::Error::new(ErrorKind::InvalidInput, "dns message too long"))?;
    let mut framed = Vec::with_capacity(msg.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(msg);
    stream.write_all(&framed)
}

type Shared = Arc<Mutex<Arc<Records>>>;

/// Serves DNS over TCP on `listener` until `stop` is set, with the same answers,
/// forwarding (over TCP to the upstreams) and records reloading as [`super::serve`].
/// Open connections are shut down when `stop` is seen.
pub fn serve_tcp(
    listener: TcpListener,
    records_path: &Path,
    upstreams: Vec<SocketAddr>,
    stop: &AtomicBool,
) -> Result<(), DnsError> {
    listener.set_nonblocking(true).map_err(DnsError::Socket)?;
    let mut watch = RecordsWatch::open(records_path)?;
    let shared: Shared = Arc::new(Mutex::new(Arc::clone(watch.records())));
    let upstreams = Arc::new(upstreams);
    let mut workers: Vec<(JoinHandle<()>, TcpStream)> = Vec::new();
    let result = loop {
        if stop.load(Ordering::Relaxed) {
            break Ok(());
        }
        watch.refresh();
        {
            let mut current = shared.lock().unwrap_or_else(PoisonError::into_inner);
            if !Arc::ptr_eq(&current, watch.records()) {
                *current = Arc::clone(watch.records());
            }
        }
        workers.retain(|(w, _)| !w.is_finished());
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                thread::sleep(POLL);
                continue;
            }
            Err(e) if e.kind() == ErrorKind::InvalidInput => break Err(DnsError::Socket(e)),
            // Aborted handshakes, fd exhaustion and the like: try again shortly.
            Err(_) => {
                thread::sleep(POLL);
                continue;
            }
        };
        if workers.len() >= MAX_CONNECTIONS {
            continue;
        }
        let Ok(handle) = stream.try_clone() else {
            continue;
        };
        let (shared, upstreams) = (Arc::clone(&shared), Arc::clone(&upstreams));
        let spawned = thread::Builder::new()
            .name("berth-dns-tcp".into())
            .spawn(move || connection(stream, &shared, &upstreams));
        if let Ok(worker) = spawned {
            workers.push((worker, handle));
        }
    };
    for (_, stream) in &workers {
        let _ = stream.shutdown(Shutdown::Both);
    }
    for (worker, _) in workers {
        let _ = worker.join();
    }
    result
}

/// Answers queries on one connection until the client closes it, sends garbage, goes
/// idle, or the server shuts the socket down.
fn connection(mut stream: TcpStream, shared: &Shared, upstreams: &[SocketAddr]) {
    if stream.set_nonblocking(false).is_err()
        || stream.set_read_timeout(Some(IDLE_TIMEOUT)).is_err()
        || stream.set_write_timeout(Some(IDLE_TIMEOUT)).is_err()
    {
        return;
    }
    while let Ok(packet) = read_message(&mut stream) {
        let records = Arc::clone(&shared.lock().unwrap_or_else(PoisonError::into_inner));
        let reply = match decide(&packet, &records, Transport::Tcp) {
            Action::Drop => return,
            Action::Reply(bytes) => Some(bytes),
            Action::Forward(query) => forward_tcp(&packet, upstreams, UPSTREAM_TIMEOUT)
                .or_else(|| encode_within(&servfail(&query), usize::from(u16::MAX))),
        };
        let Some(reply) = reply else {
            return;
        };
        if write_message(&mut stream, &reply).is_err() {
            return;
        }
    }
}
