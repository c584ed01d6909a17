//! A real server on 127.0.0.1 with real UDP clients and a fake upstream.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::XorShift;
use crate::dns::response::{address, query, reply};
use crate::dns::wire::{
    dotted, parse, Message, MessageType, Name, OpCode, RData, RecordType, ResponseCode,
};
use crate::dns::{serve, DnsError, Records};

const UPSTREAM_ANSWER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<(), DnsError>>>,
}

impl Server {
    fn start(records: &Path, upstreams: Vec<SocketAddr>) -> Server {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let path = records.to_path_buf();
        let thread = thread::spawn(move || serve(socket, &path, upstreams, &flag));
        Server {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    fn running(&self) -> bool {
        !self.thread.as_ref().unwrap().is_finished()
    }

    fn shutdown(mut self) -> Result<(), DnsError> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A fake upstream answering every question with an A record for [`UPSTREAM_ANSWER`].
struct Upstream {
    addr: SocketAddr,
    seen: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Upstream {
    fn start(answer: bool) -> Upstream {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let addr = socket.local_addr().unwrap();
        let seen = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (Arc::clone(&seen), Arc::clone(&stop));
        thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while !stop2.load(Ordering::Relaxed) {
                let Ok((n, from)) = recv_retrying(&socket, &mut buf) else {
                    continue;
                };
                seen2.fetch_add(1, Ordering::Relaxed);
                if !answer {
                    continue;
                }
                let q = parse(&buf[..n]).unwrap();
                let r = reply(
                    &q,
                    ResponseCode::NoError,
                    false,
                    vec![address(IpAddr::V4(UPSTREAM_ANSWER))],
                );
                socket.send_to(&r.to_vec().unwrap(), from).unwrap();
            }
        });
        Upstream { addr, seen, stop }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn ask_raw(server: SocketAddr, packet: &[u8], timeout: Duration) -> Option<Vec<u8>> {
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(timeout)).unwrap();
    client.send_to(packet, server).unwrap();
    let mut buf = [0u8; 4096];
    let (n, _) = recv_retrying(&client, &mut buf).ok()?;
    Some(buf[..n].to_vec())
}

/// `recv_from`, waiting on when a signal (another test's SIGCHLD) interrupts it.
fn recv_retrying(sock: &UdpSocket, buf: &mut [u8]) -> std::io::Result<(usize, SocketAddr)> {
    loop {
        match sock.recv_from(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

fn ask(server: SocketAddr, name: &str, qtype: RecordType) -> Message {
    let id = (name.len() as u16).wrapping_mul(977) ^ u16::from(qtype);
    let mut fqdn = Name::from_ascii(name).unwrap();
    fqdn.set_fqdn(true);
    let q = query(id, fqdn, qtype);
    let bytes = ask_raw(server, &q.to_vec().unwrap(), Duration::from_secs(8))
        .unwrap_or_else(|| panic!("no reply for {name}"));
    let m = parse(&bytes).unwrap();
    assert_eq!(m.id(), id, "reply for {name} carries the client's ID");
    assert_eq!(m.message_type(), MessageType::Response);
    assert_eq!(m.queries(), q.queries(), "question echoed for {name}");
    m
}

fn addrs(m: &Message) -> Vec<IpAddr> {
    m.answers()
        .iter()
        .filter_map(|r| match r.data() {
            RData::A(a) => Some(IpAddr::V4(a.0)),
            RData::AAAA(a) => Some(IpAddr::V6(a.0)),
            _ => None,
        })
        .collect()
}

fn write_records(dir: &Path, names: &[(&str, &str)]) -> PathBuf {
    let path = dir.join("records.json");
    let mut r = Records::new(Some("dns.berth".into()));
    for (n, a) in names {
        r.insert(n, a.parse().unwrap());
    }
    r.save(&path).unwrap();
    path
}

fn web_records(dir: &Path) -> PathBuf {
    write_records(
        dir,
        &[
            ("web", "10.89.0.2"),
            ("alias1", "10.89.0.2"),
            ("db", "10.89.0.3"),
            ("db", "fd00::3"),
        ],
    )
}

#[test]
fn answers_local_names_and_forwards_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = Upstream::start(true);
    let server = Server::start(&web_records(dir.path()), vec![upstream.addr]);
    let web: IpAddr = "10.89.0.2".parse().unwrap();

    for name in [
        "web",
        "alias1",
        "WeB",
        "web.",
        "web.dns.berth",
        "ALIAS1.DNS.BERTH.",
    ] {
        let m = ask(server.addr, name, RecordType::A);
        assert_eq!(m.response_code(), ResponseCode::NoError, "{name}");
        assert!(m.authoritative(), "{name}");
        assert_eq!(addrs(&m), vec![web], "{name}");
        assert_eq!(m.answers()[0].ttl(), 60);
    }
    let m = ask(server.addr, "web", RecordType::AAAA);
    assert_eq!(
        (m.response_code(), m.answers().len()),
        (ResponseCode::NoError, 0)
    );
    let m = ask(server.addr, "db", RecordType::AAAA);
    assert_eq!(addrs(&m), vec!["fd00::3".parse::<IpAddr>().unwrap()]);
    let m = ask(server.addr, "web", RecordType::MX);
    assert_eq!(
        (m.response_code(), m.answers().len()),
        (ResponseCode::NoError, 0)
    );

    let m = ask(server.addr, "2.0.89.10.in-addr.arpa", RecordType::PTR);
    let ptrs: Vec<String> = m
        .answers()
        .iter()
        .map(|r| match r.data() {
            RData::PTR(n) => dotted(&n.0),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ptrs, ["web.dns.berth.", "alias1.dns.berth."]);

    let m = ask(server.addr, "missing.dns.berth", RecordType::A);
    assert_eq!(m.response_code(), ResponseCode::NXDomain);
    assert_eq!(
        upstream.seen.load(Ordering::Relaxed),
        0,
        "local names never forwarded"
    );

    let m = ask(server.addr, "example.com", RecordType::A);
    assert_eq!(m.response_code(), ResponseCode::NoError);
    assert!(!m.authoritative());
    assert_eq!(addrs(&m), vec![IpAddr::V4(UPSTREAM_ANSWER)]);
    let m = ask(server.addr, "9.9.9.9.in-addr.arpa", RecordType::PTR);
    assert_eq!(addrs(&m), vec![IpAddr::V4(UPSTREAM_ANSWER)]);
    assert_eq!(upstream.seen.load(Ordering::Relaxed), 2);

    server.shutdown().unwrap();
}

#[test]
fn servfail_when_no_upstream_answers() {
    let dir = tempfile::tempdir().unwrap();
    let records = web_records(dir.path());

    // No upstreams at all: immediate SERVFAIL.
    let server = Server::start(&records, Vec::new());
    let t = Instant::now();
    assert_eq!(
        ask(server.addr, "example.com", RecordType::A).response_code(),
        ResponseCode::ServFail
    );
    assert!(t.elapsed() < Duration::from_secs(1));
    server.shutdown().unwrap();

    // A closed port (ICMP unreachable) is skipped quickly, a silent one after 2 s.
    let closed = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let silent = Upstream::start(false);
    let server = Server::start(&records, vec![closed, silent.addr]);
    let t = Instant::now();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(6)))
        .unwrap();
    let q = query(42, Name::from_ascii("example.com").unwrap(), RecordType::A);
    client.send_to(&q.to_vec().unwrap(), server.addr).unwrap();
    // Meanwhile local names are still answered promptly.
    let m = ask(server.addr, "web", RecordType::A);
    assert_eq!(m.answers().len(), 1);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "local answer not blocked by forwarding"
    );
    let mut buf = [0u8; 512];
    let (n, _) = recv_retrying(&client, &mut buf).expect("SERVFAIL within a bounded time");
    let m = parse(&buf[..n]).unwrap();
    assert_eq!((m.id(), m.response_code()), (42, ResponseCode::ServFail));
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(1900) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
    assert_eq!(silent.seen.load(Ordering::Relaxed), 1);
    server.shutdown().unwrap();
}

#[test]
fn first_answering_upstream_wins() {
    let dir = tempfile::tempdir().unwrap();
    let silent = Upstream::start(false);
    let good = Upstream::start(true);
    let spare = Upstream::start(true);
    let server = Server::start(
        &web_records(dir.path()),
        vec![silent.addr, good.addr, spare.addr],
    );
    let m = ask(server.addr, "example.org", RecordType::A);
    assert_eq!(addrs(&m), vec![IpAddr::V4(UPSTREAM_ANSWER)]);
    assert_eq!(silent.seen.load(Ordering::Relaxed), 1);
    assert_eq!(good.seen.load(Ordering::Relaxed), 1);
    assert_eq!(spare.seen.load(Ordering::Relaxed), 0);
    server.shutdown().unwrap();
}

#[test]
fn records_are_reloaded_when_the_file_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = web_records(dir.path());
    let server = Server::start(&path, Vec::new());
    assert_eq!(
        ask(server.addr, "newbox", RecordType::A).response_code(),
        ResponseCode::ServFail
    );

    write_records(dir.path(), &[("web", "10.89.0.2"), ("newbox", "10.89.0.9")]);
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let m = ask(server.addr, "newbox", RecordType::A);
        if m.response_code() == ResponseCode::NoError {
            assert_eq!(addrs(&m), vec!["10.89.0.9".parse::<IpAddr>().unwrap()]);
            break;
        }
        assert!(Instant::now() < deadline, "records never reloaded");
        thread::sleep(Duration::from_millis(50));
    }
    // alias1 went away with the rewrite.
    assert_eq!(
        ask(server.addr, "alias1.dns.berth", RecordType::A).response_code(),
        ResponseCode::NXDomain
    );

    // A broken file keeps the last good records.
    std::fs::write(&path, "{oops").unwrap();
    thread::sleep(Duration::from_millis(400));
    assert_eq!(addrs(&ask(server.addr, "web", RecordType::A)).len(), 1);
    server.shutdown().unwrap();
}

#[test]
fn missing_file_is_empty_and_broken_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("none.json"), Vec::new());
    assert_eq!(
        ask(server.addr, "web", RecordType::A).response_code(),
        ResponseCode::ServFail
    );
    server.shutdown().unwrap();

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "[1,2").unwrap();
    let server = Server::start(&broken, Vec::new());
    assert!(matches!(server.shutdown(), Err(DnsError::Json { .. })));
}

#[test]
fn garbage_does_not_stop_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&web_records(dir.path()), Vec::new());
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    let valid = query(5, Name::from_ascii("web").unwrap(), RecordType::A)
        .to_vec()
        .unwrap();

    let mut packets: Vec<Vec<u8>> = vec![
        vec![],
        vec![0],
        valid[..11].to_vec(),
        valid[..valid.len() - 1].to_vec(),
        // Question name that is a pointer to itself, and two pointers to each other.
        [&valid[..12], &[0xC0, 12, 0, 1, 0, 1][..]].concat(),
        [
            &valid[..12],
            &[1, b'a', 0xC0, 16, 1, b'b', 0xC0, 12, 0, 1, 0, 1][..],
        ]
        .concat(),
        // A huge question count with nothing behind it.
        [
            &valid[..4],
            &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF][..],
        ]
        .concat(),
        // A response (QR set) must not be answered.
        reply(&parse(&valid).unwrap(), ResponseCode::NoError, true, vec![])
            .to_vec()
            .unwrap(),
        vec![0xAB; 4000],
    ];
    let mut rng = XorShift(12345);
    for _ in 0..300 {
        let len = (rng.next() % 120) as usize;
        packets.push(rng.bytes(len));
    }
    for p in &packets {
        client.send_to(p, server.addr).unwrap();
    }
    // Whatever came back for the garbage, the server still answers real queries. The
    // flood may overflow the socket's receive buffer, so a lost query is retried.
    let answered = (0..10).find_map(|_| ask_raw(server.addr, &valid, Duration::from_millis(500)));
    let m = parse(&answered.expect("server still answers")).unwrap();
    assert_eq!((m.id(), m.response_code()), (5, ResponseCode::NoError));
    assert_eq!(addrs(&m), vec!["10.89.0.2".parse::<IpAddr>().unwrap()]);
    assert!(server.running());

    // Two questions get FORMERR, a non-query opcode NOTIMP.
    let mut two = query(6, Name::from_ascii("web").unwrap(), RecordType::A);
    let first = two.queries()[0].clone();
    two.add_query(first);
    let r = ask_raw(server.addr, &two.to_vec().unwrap(), Duration::from_secs(2)).unwrap();
    assert_eq!(parse(&r).unwrap().response_code(), ResponseCode::FormErr);
    let mut status = query(7, Name::from_ascii("web").unwrap(), RecordType::A);
    status.set_op_code(OpCode::Status);
    let r = ask_raw(
        server.addr,
        &status.to_vec().unwrap(),
        Duration::from_secs(2),
    )
    .unwrap();
    assert_eq!(parse(&r).unwrap().response_code(), ResponseCode::NotImp);
    // A response packet gets no reply at all.
    assert!(ask_raw(server.addr, &packets[7], Duration::from_millis(300)).is_none());

    let t = Instant::now();
    server.shutdown().unwrap();
    assert!(t.elapsed() < Duration::from_secs(1));
}
