//! Test-only pause points, so end-to-end tests can `kill -9` a command at a known step.
//!
//! `BERTH_TEST_PAUSE_AT=<point>` makes a berth process that reaches [`pause_at`]`(<point>)`
//! print `berth: paused at <point>` on stderr and sleep until it is killed. Not for use
//! outside tests; unset (as always in production), a point costs one environment lookup.

use std::time::Duration;

/// The environment variable naming the point to pause at.
pub const PAUSE_VAR: &str = "BERTH_TEST_PAUSE_AT";

/// Pauses for good if `BERTH_TEST_PAUSE_AT` names `point` (tests kill the process there).
pub fn pause_at(point: &str) {
    if std::env::var_os(PAUSE_VAR).is_some_and(|v| v == point) {
        eprintln!("berth: paused at {point}");
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
}
