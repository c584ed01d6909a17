//! The monitor process (`berth __monitor <ctr_dir>`): detaches, creates the container with
//! its stdio, reports readiness, then supervises it until it is finished.

mod clients;
mod container;
mod health;
mod helper;
mod looper;
mod ready;
mod restart;
mod stdio;

use berth_sys::CloneResult;

pub use self::health::status as health_status;
pub use self::restart::{should_restart, Backoff};

/// Entry point of `berth __monitor <ctr_dir>`; returns the process exit code (the real
/// monitor may instead exec the configured `on_exit` command).
pub fn entry(args: &[String]) -> i32 {
    let Some(dir) = args.first() else {
        ready::early_error("usage: berth __monitor <container dir>");
        return 2;
    };
    // Fork once more so the monitor is not the spawner's child: the spawner reaps this
    // intermediate process as soon as it exits, and the monitor is reparented to init.
    match berth_sys::clone3(0, None) {
        Ok(CloneResult::Parent(_)) => return 0,
        Ok(CloneResult::Child) => {}
        Err(e) => {
            ready::early_error(&format!("fork the container monitor: {e}"));
            return 1;
        }
    }
    let _ = nix::unistd::setsid();
    // Do not pin the caller's working directory; relative paths in monitor.json are relative
    // to the container directory.
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.into());
    let _ = nix::unistd::chdir(&dir);
    let ready = match ready::Ready::from_stdout() {
        Ok(r) => r,
        Err(e) => {
            ready::early_error(&e.to_string());
            return 1;
        }
    };
    let mut mon = match looper::Monitor::setup(&dir) {
        Ok(m) => m,
        Err(e) => {
            ready.fail(&e.to_string());
            return 1;
        }
    };
    ready.ok(std::process::id() as i32, mon.init_pid());
    mon.run()
}
