//! The lifeline: a server notices its run directory, records file or bridge going away,
//! and stops serving.

use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::dns::lifeline::{watch, Lifeline};
use crate::dns::{serve, Records};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A network run directory holding an (empty) records file.
fn run_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = dir.path().join("net");
    std::fs::create_dir(&net).expect("mkdir");
    let records = net.join("records.json");
    Records::new(None).save(&records).expect("save");
    (dir, records)
}

#[test]
fn alive_while_everything_is_there_and_the_link_is_found() {
    let (_d, records) = run_dir();
    let mut l = Lifeline::new(&records, LOOPBACK);
    assert_eq!(l.link(), Some("lo"), "127.0.0.1 is on lo");
    assert_eq!(l.gone(), None);
    // Rewrites (write to a temporary file, rename over) are no reason to stop.
    Records::new(None).save(&records).expect("save");
    assert_eq!(l.gone(), None);
    assert_eq!(
        Lifeline::new(&records, "0.0.0.0".parse().unwrap()).link(),
        None
    );
}

#[test]
fn gone_with_the_records_file() {
    let (_d, records) = run_dir();
    let mut l = Lifeline::new(&records, LOOPBACK);
    std::fs::remove_file(&records).expect("rm");
    let why = l.gone().expect("gone");
    assert!(
        why.contains("records file") && why.contains("removed"),
        "{why}"
    );
}

#[test]
fn a_records_file_that_never_existed_is_waited_for() {
    let (_d, records) = run_dir();
    std::fs::remove_file(&records).expect("rm");
    let mut l = Lifeline::new(&records, LOOPBACK);
    assert_eq!(l.gone(), None, "not there yet");
    Records::new(None).save(&records).expect("save");
    assert_eq!(l.gone(), None);
    std::fs::remove_file(&records).expect("rm");
    assert!(l.gone().is_some(), "seen, then removed");
}

#[test]
fn gone_with_the_run_directory_or_its_root() {
    let (d, records) = run_dir();
    let mut l = Lifeline::new(&records, LOOPBACK);
    std::fs::remove_dir_all(d.path()).expect("rm -r the root");
    let why = l.gone().expect("gone");
    assert!(
        why.contains("run directory") && why.contains("removed"),
        "{why}"
    );
}

#[test]
fn gone_when_the_run_directory_is_replaced() {
    let (_d, records) = run_dir();
    let mut l = Lifeline::new(&records, LOOPBACK);
    let net = records.parent().unwrap();
    // Keep the old inode busy so the new directory cannot reuse it.
    let moved = net.with_file_name("old");
    std::fs::rename(net, &moved).expect("mv");
    std::fs::create_dir(net).expect("mkdir");
    Records::new(None).save(&records).expect("save");
    let why = l.gone().expect("gone");
    assert!(why.contains("replaced"), "{why}");
}

#[test]
fn gone_with_the_bridge() {
    let (_d, records) = run_dir();
    let mut l = Lifeline::new(&records, LOOPBACK).with_link("berth-nosuch0", 4242);
    let why = l.gone().expect("gone");
    assert!(why.contains("bridge berth-nosuch0 is gone"), "{why}");
    let lo = nix::net::if_::if_nametoindex("lo").expect("lo");
    let mut l = Lifeline::new(&records, LOOPBACK).with_link("lo", lo + 1000);
    assert!(l.gone().expect("gone").contains("bridge lo was replaced"));
    let mut l = Lifeline::new(&records, LOOPBACK).with_link("lo", lo);
    assert_eq!(l.gone(), None);
}

#[test]
fn the_watch_stops_a_serving_server_once_the_directory_goes() {
    let (d, records) = run_dir();
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let stop = Arc::new(AtomicBool::new(false));
    let lifeline = Lifeline::new(&records, LOOPBACK);
    let watcher = watch(lifeline, Arc::clone(&stop), Duration::from_millis(20)).expect("watch");
    let flag = Arc::clone(&stop);
    let path = records.clone();
    let server = thread::spawn(move || serve(socket, &path, Vec::new(), &flag));
    thread::sleep(Duration::from_millis(150));
    assert!(!server.is_finished(), "serves while the network is there");
    std::fs::remove_dir_all(d.path()).expect("rm -r");
    let start = Instant::now();
    while !server.is_finished() && start.elapsed() < Duration::from_secs(5) {
        thread::sleep(Duration::from_millis(10));
    }
    assert!(
        server.is_finished(),
        "still serving 5 s after its directory went"
    );
    server.join().expect("join").expect("serve returns Ok");
    let why = watcher.join().expect("join");
    assert!(why.is_some_and(|w| w.contains("run directory")));
    assert!(stop.load(Ordering::Relaxed));
}

#[test]
fn the_watch_returns_quietly_when_someone_else_stops_the_server() {
    let (_d, records) = run_dir();
    let stop = Arc::new(AtomicBool::new(false));
    let w = watch(
        Lifeline::new(&records, LOOPBACK),
        Arc::clone(&stop),
        Duration::from_millis(10),
    )
    .expect("watch");
    stop.store(true, Ordering::Relaxed);
    assert_eq!(w.join().expect("join"), None);
}
