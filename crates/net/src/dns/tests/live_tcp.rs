//! The TCP listener with real TCP clients and a fake TCP upstream.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::dns::records::Records;
use crate::dns::response::{address, query, reply};
use crate::dns::tcp::{read_message, write_message};
use crate::dns::wire::{parse, Message, Name, RecordType, ResponseCode};
use crate::dns::{serve_tcp, DnsError};

const UPSTREAM_ANSWER: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);

fn start(
    records: &Path,
    upstreams: Vec<SocketAddr>,
) -> (
    SocketAddr,
    Arc<AtomicBool>,
    JoinHandle<Result<(), DnsError>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let path = records.to_path_buf();
    let thread = thread::spawn(move || serve_tcp(listener, &path, upstreams, &flag));
    (addr, stop, thread)
}

fn fake_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            while let Ok(q) = read_message(&mut stream) {
                let q = parse(&q).unwrap();
                let r = reply(
                    &q,
                    ResponseCode::NoError,
                    false,
                    vec![address(IpAddr::V4(UPSTREAM_ANSWER))],
                );
                write_message(&mut stream, &r.to_vec().unwrap()).unwrap();
            }
        }
    });
    addr
}

fn ask(stream: &mut TcpStream, id: u16, name: &str, qtype: RecordType) -> Message {
    let q = query(id, Name::from_ascii(name).unwrap(), qtype);
    write_message(stream, &q.to_vec().unwrap()).unwrap();
    let m = parse(&read_message(stream).unwrap()).unwrap();
    assert_eq!(m.id(), id);
    m
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
    s
}

#[test]
fn tcp_answers_forwards_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.json");
    let mut records = Records::new(Some("dns.berth".into()));
    // More addresses than fit in 512 bytes: TCP must return them all.
    for i in 1..=60 {
        records.insert("big", IpAddr::V4(Ipv4Addr::new(10, 89, 1, i)));
    }
    records.insert("web", "10.89.0.2".parse().unwrap());
    records.save(&path).unwrap();

    let (addr, stop, thread) = start(&path, vec![fake_upstream()]);
    let mut c = connect(addr);
    // Several queries on one connection.
    let m = ask(&mut c, 1, "Web.dns.berth.", RecordType::A);
    assert_eq!(m.answers().len(), 1);
    assert!(m.authoritative());
    let m = ask(&mut c, 2, "big", RecordType::A);
    assert_eq!(m.answers().len(), 60);
    assert!(!m.truncated());
    let m = ask(&mut c, 3, "example.net", RecordType::A);
    assert_eq!(m.answers()[0].data(), &address(IpAddr::V4(UPSTREAM_ANSWER)));

    // Garbage closes that connection only.
    let mut bad = connect(addr);
    write_message(&mut bad, &[0xFF; 20]).unwrap();
    assert!(read_message(&mut bad).is_err());
    let m = ask(&mut c, 4, "web", RecordType::AAAA);
    assert_eq!(
        (m.response_code(), m.answers().len()),
        (ResponseCode::NoError, 0)
    );

    // Stopping closes the idle connection and returns promptly.
    let t = Instant::now();
    stop.store(true, Ordering::Relaxed);
    thread.join().unwrap().unwrap();
    assert!(t.elapsed() < Duration::from_secs(2));
    assert!(read_message(&mut c).is_err());
}

#[test]
fn tcp_servfail_without_upstreams() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, stop, thread) = start(&dir.path().join("missing.json"), Vec::new());
    let mut c = connect(addr);
    let m = ask(&mut c, 9, "example.net", RecordType::A);
    assert_eq!(m.response_code(), ResponseCode::ServFail);
    stop.store(true, Ordering::Relaxed);
    thread.join().unwrap().unwrap();
}
