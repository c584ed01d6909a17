//! docker compose v2's progress lines on standard error (` Container p-web-1  Started`),
//! one line per step, safe to call from the threads that converge services in parallel.

use std::io::Write;
use std::sync::Mutex;

static LOCK: Mutex<()> = Mutex::new(());

/// Prints ` <kind> <name>  <status>`.
pub fn event(kind: &str, name: &str, status: &str) {
    let _g = LOCK.lock();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, " {kind} {name}  {status}");
}

/// A container's step.
pub fn container(name: &str, status: &str) {
    event("Container", name, status);
}

/// A network's step.
pub fn network(name: &str, status: &str) {
    event("Network", name, status);
}

/// A volume's step.
pub fn volume(name: &str, status: &str) {
    event("Volume", name, status);
}

/// A warning line, as docker compose prints them.
pub fn warn_line(msg: &str) {
    let _g = LOCK.lock();
    eprintln!("WARN[0000] {msg}");
}
