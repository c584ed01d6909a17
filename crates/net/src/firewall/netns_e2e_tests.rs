//! End-to-end: real bridges, veths and "containers" (threads in network namespaces of
//! their own) inside a private network namespace, checking that published ports reach a
//! container from 127.0.0.1 and the gateway address and that bridges are isolated. Needs
//! root, `nft` and `ip` (iproute2, tests only); skips otherwise.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::mpsc::{self, TryRecvError};
use std::time::{Duration, Instant};

use nix::sched::{setns, unshare, CloneFlags};

use super::netns_tests::in_private_netns;
use super::*;
use crate::ipam::Proto;

/// Runs `ip args` in the calling thread's namespace.
fn ip(args: &str) {
    let out = Command::new("ip")
        .args(args.split_whitespace())
        .output()
        .expect("running ip");
    assert!(
        out.status.success(),
        "ip {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A "container": a thread in a new network namespace, wired to `bridge` by a veth, with
/// address `addr`/`prefix` and a default route via `gw`. When `serve` is set it answers
/// each TCP connection on port 80 with the peer address it saw, for `secs` seconds.
/// The container lives until the returned [`Ctr`] is dropped.
fn container(
    name: &str,
    bridge: &str,
    addr: Ipv4Addr,
    prefix: u8,
    gw: Ipv4Addr,
    serve: bool,
) -> Ctr {
    let (tid_tx, tid_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let (moved_tx, moved_rx) = mpsc::channel::<()>();
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let handle = std::thread::spawn(move || {
        unshare(CloneFlags::CLONE_NEWNET).unwrap();
        tid_tx.send(nix::unistd::gettid().as_raw()).unwrap();
        moved_rx.recv().unwrap();
        ip("link set lo up");
        ip(&format!("addr add {addr}/{prefix} dev ceth"));
        ip("link set ceth up");
        ip(&format!("route add default via {gw}"));
        let listener = serve.then(|| TcpListener::bind((Ipv4Addr::UNSPECIFIED, 80)).unwrap());
        if let Some(l) = &listener {
            l.set_nonblocking(true).unwrap();
        }
        ready_tx.send(()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline && stop_rx.try_recv() == Err(TryRecvError::Empty) {
            match listener.as_ref().map(|l| l.accept()) {
                Some(Ok((mut conn, peer))) => {
                    let _ = conn.write_all(peer.ip().to_string().as_bytes());
                }
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    let tid: i32 = tid_rx.recv().unwrap();
    ip(&format!(
        "link add {name} type veth peer name ceth netns {tid}"
    ));
    ip(&format!("link set {name} master {bridge} up"));
    moved_tx.send(()).unwrap();
    ready_rx.recv().unwrap();
    Ctr {
        tid,
        _stop: stop_tx,
        _handle: handle,
    }
}

/// A running "container" thread; dropping it ends the thread (and its namespace).
struct Ctr {
    /// The thread's id: `/proc/<tid>/ns/net` is its namespace.
    tid: i32,
    /// Dropped to stop the thread.
    _stop: mpsc::Sender<()>,
    /// The thread.
    _handle: std::thread::JoinHandle<()>,
}

impl Ctr {
    /// Runs `f` on a thread that joined this container's network namespace.
    fn run<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> R {
        let ns = std::fs::File::open(format!("/proc/{}/ns/net", self.tid)).unwrap();
        std::thread::spawn(move || {
            setns(ns, CloneFlags::CLONE_NEWNET).unwrap();
            f()
        })
        .join()
        .unwrap()
    }
}

/// Connects to `addr` and returns what the server sent, or `None` on failure/timeout.
fn fetch(addr: SocketAddr) -> Option<String> {
    let mut conn = TcpStream::connect_timeout(&addr, Duration::from_millis(1500)).ok()?;
    conn.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    let mut text = String::new();
    conn.read_to_string(&mut text).ok()?;
    Some(text)
}

#[test]
fn published_port_reaches_container_in_private_netns() {
    if Command::new("ip").arg("-V").output().is_err() {
        eprintln!("skipping: ip (iproute2) not found");
        return;
    }
    in_private_netns(|| {
        ip("link set lo up");
        ip("link add bt0 type bridge");
        ip("addr add 10.88.0.1/16 dev bt0");
        ip("link set bt0 up");
        ip("link add bt1 type bridge");
        ip("addr add 10.89.0.1/24 dev bt1");
        ip("link set bt1 up");
        let gw0 = Ipv4Addr::new(10, 88, 0, 1);
        let gw1 = Ipv4Addr::new(10, 89, 0, 1);
        let ctr_ip = Ipv4Addr::new(10, 88, 0, 2);
        let server = container("vb0", "bt0", ctr_ip, 16, gw0, true);
        let other = container("vb1", "bt1", Ipv4Addr::new(10, 89, 0, 2), 24, gw1, false);

        let r = Ruleset {
            table: "berth_e2e".into(),
            networks: vec![
                NetworkRules {
                    bridge: "bt0".into(),
                    subnet: "10.88.0.0/16".parse().unwrap(),
                    internal: false,
                },
                NetworkRules {
                    bridge: "bt1".into(),
                    subnet: "10.89.0.0/24".parse().unwrap(),
                    internal: false,
                },
            ],
            ports: vec![PortRule {
                network_bridge: "bt0".into(),
                host_ip: None,
                host_port: 8080,
                proto: Proto::Tcp,
                container_ip: ctr_ip,
                container_port: 80,
                id: "e2e".into(),
            }],
        };
        apply(&r).unwrap();
        enable_forwarding("bt0").unwrap();
        enable_forwarding("bt1").unwrap();

        // Straight to the container from the host.
        assert_eq!(fetch((ctr_ip, 80).into()).as_deref(), Some("10.88.0.1"));
        // Published on every local address: the gateway, and localhost (masqueraded so
        // the container can answer).
        assert_eq!(fetch((gw0, 8080).into()).as_deref(), Some("10.88.0.1"));
        assert_eq!(
            fetch((Ipv4Addr::LOCALHOST, 8080).into()).as_deref(),
            Some("10.88.0.1")
        );
        assert_eq!(fetch((gw1, 8080).into()).as_deref(), Some("10.88.0.1"));

        // From another network: the container's own address is isolated, the published
        // port is not (and the source is masqueraded on the way).
        let (direct, published) =
            other.run(move || (fetch((ctr_ip, 80).into()), fetch((gw1, 8080).into())));
        assert_eq!(direct, None, "bridges not isolated");
        assert_eq!(published.as_deref(), Some("10.88.0.1"));
        // Another container reaches a published port of its own network (hairpin).
        let peer = container("vb2", "bt0", Ipv4Addr::new(10, 88, 0, 3), 16, gw0, false);
        let hairpin = peer.run(move || fetch((gw0, 8080).into()));
        assert_eq!(hairpin.as_deref(), Some("10.88.0.1"));

        // Once the port is gone, nothing answers on 8080.
        let mut closed = r.clone();
        closed.remove_ports_of("e2e");
        apply(&closed).unwrap();
        assert_eq!(fetch((Ipv4Addr::LOCALHOST, 8080).into()), None);
        apply(&r).unwrap();
        assert!(fetch((Ipv4Addr::LOCALHOST, 8080).into()).is_some());

        apply(&Ruleset::new("berth_e2e")).unwrap();
        assert!(!table_exists("berth_e2e").unwrap());
        drop(server);
    });
}
