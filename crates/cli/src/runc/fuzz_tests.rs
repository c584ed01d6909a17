//! Fuzz target (see tests/fuzz) for berth-runc's hand-written argument parser: an input is
//! an argument vector (arguments separated by NUL bytes, any bytes, not only UTF-8). Every
//! input must parse to a command, help text or a usage error: no panic, no hang.

use super::{args, units};
use berth_fuzz::fuzz_target;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// Tokens, with `|` standing for the NUL between arguments.
const ARG_TOKENS: &[&str] = &[
    "|",
    "|--",
    "|-",
    "|--root|",
    "|--root=",
    "|--log|",
    "|--log-format|json",
    "|--systemd-cgroup",
    "|--debug",
    "|--help",
    "|-h",
    "|create",
    "|run",
    "|start",
    "|exec",
    "|kill",
    "|delete",
    "|state",
    "|list",
    "|ps",
    "|pause",
    "|resume",
    "|update",
    "|events",
    "|features",
    "|spec",
    "|checkpoint",
    "|--bundle|",
    "|-b|",
    "|--pid-file|",
    "|--console-socket|",
    "|--preserve-fds|",
    "|--force",
    "|-f",
    "|--all",
    "|-a",
    "|--format|",
    "|--env|",
    "|-e|",
    "|--cwd|",
    "|--user|",
    "|--cap|",
    "|--additional-gids|",
    "|--tty",
    "|-t",
    "|--detach",
    "|-d",
    "|--memory|",
    "|--cpu-quota|",
    "|--pids-limit|",
    "|--blkio-weight|",
    "|--interval|",
    "|--rootless|",
    "|--signal|",
    "|9",
    "|KILL",
    "|-1",
    "|18446744073709551616",
    "=",
    "|--version",
    "|version",
    "\u{ff}",
];

/// Argument vectors, `|` between arguments.
fn seeds() -> Vec<Vec<u8>> {
    [
        "runc|--root|/run/x|--log|/l|--log-format|json|create|--bundle|/b|--pid-file|/p|--console-socket|/s|--no-pivot|--preserve-fds|2|id",
        "runc|-root=/r|run|-b|/b|-d|--no-new-keyring|id",
        "runc|exec|-e|A=b|--env|C=d|-t|--cwd|/|--user|1000:1000|--additional-gids|5|--cap|CAP_NET_ADMIN|-d|id|sh|-c|echo -n x",
        "runc|kill|--all|id|9",
        "runc|delete|--force|id",
        "runc|update|--memory|100m|--memory-swap|-1|--cpu-quota|-1|--cpu-period|100000|--pids-limit|10|--blkio-weight|500|--cpuset-cpus|0-1|id",
        "runc|update|-r|-|id",
        "runc|state|id",
        "runc|list|--format|json|-q",
        "runc|ps|--format|table|id|--|-ef",
        "runc|events|--stats|--interval|5s|id",
        "runc|--help",
        "runc|create|--help",
        "runc|--bogus",
    ]
    .iter()
    .map(|s| nul_separated(s))
    .collect()
}

/// `s` with every `|` turned into the NUL that separates arguments.
fn nul_separated(s: &str) -> Vec<u8> {
    s.bytes().map(|b| if b == b'|' { 0 } else { b }).collect()
}

#[test]
fn fuzz_runc_args() {
    fuzz_target!(
        seeds = seeds(),
        max_len = 2048,
        dictionary = &ARG_TOKENS
            .iter()
            .map(|t| nul_separated(t))
            .collect::<Vec<_>>(),
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
