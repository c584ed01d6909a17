//! Small process and file helpers shared by the system commands.

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Whether `pid` exists and is not a zombie.
pub fn process_running(pid: i32) -> bool {
    pid > 0 && berth_runtime::state::process_matches(pid, 0)
}

/// Whether `pid` is a live berth monitor (guards against pid reuse).
pub fn is_monitor(pid: i32) -> bool {
    process_running(pid)
        && fs::read(format!("/proc/{pid}/cmdline"))
            .map(|c| c.windows(9).any(|w| w == b"__monitor"))
            .unwrap_or(false)
}

/// The pid in a work file name `<prefix><pid>-<rest>` (as `unique_suffix` makes them).
pub fn owner_pid(name: &str) -> Option<i32> {
    let rest = name.split_once('-')?.1;
    rest.split('-').next()?.parse().ok()
}

/// Whether `path` was modified less than `grace` ago (young things may be in the making).
pub fn is_recent(path: &Path, grace: Duration) -> bool {
    fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .map(|t| {
            SystemTime::now()
                .duration_since(t)
                .map(|age| age < grace)
                .unwrap_or(true)
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_pids() {
        assert_eq!(owner_pid("blob-123-456-7"), Some(123));
        assert_eq!(owner_pid("load-9-1-0"), Some(9));
        assert_eq!(owner_pid("junk"), None);
        assert!(process_running(std::process::id() as i32));
        assert!(!is_monitor(std::process::id() as i32));
    }
}
