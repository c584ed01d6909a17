//! berth's per-container monitor (conmon-like).

/// Entry point of `berth __monitor <args>`; returns the process exit code.
pub fn main_entry(_args: &[String]) -> i32 {
    1
}
