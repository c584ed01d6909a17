//! Fuzz target (see tests/fuzz) for berth-runc's hand-written argument parser: an input is
//! an argument vector (arguments separated by NUL bytes, any bytes, not only UTF-8). Every
//! input must parse to a command, help text or a usage error: no panic, no hang.

use super::{args, units};
use berth_fuzz::fuzz_target;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

const ARG_TOKENS: &[&str] = &[
    "\0", "\0--", "\0-", "\0--root\0", "\0--root=", "\0--log\0", "\0--log-format\0json",
    "\0--systemd-cgroup", "\0--debug", "\0--help", "\0-h", "\0create", "\0run", "\0start",
    "\0exec", "\0kill", "\0delete", "\0state", "\0list", "\0ps", "\0pause", "\0resume",
    "\0update", "\0events", "\0features", "\0spec", "\0checkpoint", "\0--bundle\0", "\0-b\0",
    "\0--pid-file\0", "\0--console-socket\0", "\0--preserve-fds\0", "\0--force", "\0-f",
    "\0--all", "\0-a", "\0--format\0", "\0--env\0", "\0-e\0", "\0--cwd\0", "\0--user\0",
    "\0--cap\0", "\0--additional-gids\0", "\0--tty", "\0-t", "\0--detach", "\0-d", "\0--memory\0",
    "\0--cpu-quota\0", "\0--pids-limit\0", "\0--blkio-weight\0", "\0--interval\0",
    "\0--rootless\0", "\0--signal\0", "\09", "\0KILL", "\0-1", "\018446744073709551616", "=",
    "\0--version", "\0version", "\u{ff}",
];

fn seeds() -> Vec<Vec<u8>> {
    [
        "runc\0--root\0/run/x\0--log\0/l\0--log-format\0json\0create\0--bundle\0/b\0--pid-file\0/p\0--console-socket\0/s\0--no-pivot\0--preserve-fds\02\0id",
        "runc\0-root=/r\0run\0-b\0/b\0-d\0--no-new-keyring\0id",
        "runc\0exec\0-e\0A=b\0--env\0C=d\0-t\0--cwd\0/\0--user\01000:1000\0--additional-gids\05\0--cap\0CAP_NET_ADMIN\0-d\0id\0sh\0-c\0echo -n x",
        "runc\0kill\0--all\0id\09",
        "runc\0delete\0--force\0id",
        "runc\0update\0--memory\0100m\0--memory-swap\0-1\0--cpu-quota\0-1\0--cpu-period\0100000\0--pids-limit\010\0--blkio-weight\0500\0--cpuset-cpus\00-1\0id",
        "runc\0update\0-r\0-\0id",
        "runc\0state\0id",
        "runc\0list\0--format\0json\0-q",
        "runc\0ps\0--format\0table\0id\0--\0-ef",
        "runc\0events\0--stats\0--interval\05s\0id",
        "runc\0--help",
        "runc\0create\0--help",
        "runc\0--bogus",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

#[test]
fn fuzz_runc_args() {
    fuzz_target!(
        seeds = seeds(),
        max_len = 2048,
        dictionary = ARG_TOKENS,
        body = |input: &[u8]| {
            let argv: Vec<OsString> = input
                .split(|b| *b == 0)
                .map(|a| OsString::from_vec(a.to_vec()))
                .collect();
            let _ = args::parse(argv);
            let _ = units::parse_size(&String::from_utf8_lossy(input));
        },
    );
}
