//! Relaying a question to the upstream resolvers.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::ErrorKind;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use super::tcp::{read_message, write_message};
use super::wire::{parse_header, MessageType};

/// How long each upstream gets to answer.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(2);
/// The largest upstream reply relayed.
const MAX_REPLY: usize = 65535;

/// Sends the raw query `packet` to each upstream in order and returns the first reply,
/// with its ID set back to the client's, or `None` if no upstream answers within
/// `timeout` each. The query goes out with a fresh random ID, and only a reply from the
/// upstream's address carrying that ID is accepted.
pub fn forward(packet: &[u8], upstreams: &[SocketAddr], timeout: Duration) -> Option<Vec<u8>> {
    let client_id = parse_header(packet).ok()?.id();
    upstreams
        .iter()
        .find_map(|upstream| ask(packet, client_id, *upstream, timeout))
}

fn ask(packet: &[u8], client_id: u16, upstream: SocketAddr, timeout: Duration) -> Option<Vec<u8>> {
    let local: SocketAddr = match upstream {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local).ok()?;
    // Connecting filters replies by source and turns ICMP "port unreachable" into an
    // immediate error, so a dead upstream is skipped without waiting for the timeout.
    socket.connect(upstream).ok()?;
    let id = random_id();
    let mut query = packet.to_vec();
    query[..2].copy_from_slice(&id.to_be_bytes());
    socket.send(&query).ok()?;
    let deadline = Instant::now() + timeout;
    let mut buf = vec![0u8; MAX_REPLY];
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        if left.is_zero() {
            return None;
        }
        socket.set_read_timeout(Some(left)).ok()?;
        match socket.recv(&mut buf) {
            Ok(n) => {
                let reply = &mut buf[..n];
                match parse_header(reply) {
                    Ok(h) if h.id() == id && h.message_type() == MessageType::Response => {
                        reply[..2].copy_from_slice(&client_id.to_be_bytes());
                        return Some(reply.to_vec());
                    }
                    _ => continue,
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
}

/// Like [`forward`], over TCP (for clients that came over TCP, typically after a
/// truncated UDP reply); `timeout` bounds the connect and each read and write.
pub fn forward_tcp(packet: &[u8], upstreams: &[SocketAddr], timeout: Duration) -> Option<Vec<u8>> {
    let client_id = parse_header(packet).ok()?.id();
    upstreams
        .iter()
        .find_map(|upstream| ask_tcp(packet, client_id, *upstream, timeout))
}

fn ask_tcp(
    packet: &[u8],
    client_id: u16,
    upstream: SocketAddr,
    timeout: Duration,
) -> Option<Vec<u8>> {
    let mut stream = TcpStream::connect_timeout(&upstream, timeout).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream.set_write_timeout(Some(timeout)).ok()?;
    let id = random_id();
    let mut query = packet.to_vec();
    query[..2].copy_from_slice(&id.to_be_bytes());
    write_message(&mut stream, &query).ok()?;
    let mut reply = read_message(&mut stream).ok()?;
    let header = parse_header(&reply).ok()?;
    if header.id() != id || header.message_type() != MessageType::Response {
        return None;
    }
    reply[..2].copy_from_slice(&client_id.to_be_bytes());
    Some(reply)
}

fn random_id() -> u16 {
    // RandomState is seeded from the OS once per process and advanced per instance.
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish() as u16
}
