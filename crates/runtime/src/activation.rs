//! Socket activation through the runtime, as runc does it: when systemd (or another
//! activator) started the runtime with `LISTEN_FDS=n` and `LISTEN_PID` naming the runtime,
//! fds 3..3+n go to the container process too, before the `--preserve-fds` ones, and its
//! environment says `LISTEN_FDS=n` and `LISTEN_PID=1` (it is pid 1 of its namespace).

use oci_spec::runtime::Spec;

use crate::error::{Error, Result};

/// The number of fds passed to this process by an activator: `LISTEN_FDS` when
/// `LISTEN_PID` is our pid (sd_listen_fds(3)'s rule), else 0.
pub fn listen_fds() -> u32 {
    let ours = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|p| p.parse::<u32>().ok())
        .is_some_and(|p| p == std::process::id());
    if !ours {
        return 0;
    }
    std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Adds `LISTEN_FDS` and `LISTEN_PID=1` to the process environment when `n` fds are passed.
pub fn add_env(spec: &mut Spec, n: u32) {
    if n == 0 {
        return;
    }
    if let Some(p) = spec.process_mut().as_mut() {
        let mut env = p.env().clone().unwrap_or_default();
        env.push(format!("LISTEN_FDS={n}"));
        env.push("LISTEN_PID=1".into());
        p.set_env(Some(env));
    }
}

/// Checks that the `count` fds from `first` are open, so a wrong `--preserve-fds` fails with
/// a message instead of a process missing its fds.
pub fn check_open(first: u32, count: u32) -> Result<()> {
    for (i, fd) in (first..first + count).enumerate() {
        if std::fs::metadata(format!("/proc/self/fd/{fd}")).is_err() {
            return Err(Error::Usage(format!(
                "--preserve-fds {count}: fd {fd} (preserved fd {i}) is not open"
            )));
        }
    }
    Ok(())
}
