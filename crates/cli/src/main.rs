//! The `berth` binary. It dispatches on the name it was invoked as: `berth-runc` (or `runc`)
//! is the runc-compatible OCI runtime CLI; `berth` is the Docker-style CLI, whose
//! `berth runtime ...` is that same runtime CLI.

#![forbid(unsafe_code)]

mod broken_pipe;
mod compose;
mod docker;
#[allow(dead_code)]
mod format;
mod runc;

use std::ffi::OsString;
use std::path::Path;

fn main() {
    broken_pipe::exit_quietly_on_broken_stdout();
    let mut args: Vec<OsString> = std::env::args_os().collect();
    let argv0 = args
        .first()
        .and_then(|a| {
            Path::new(a)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    let code = if argv0 == "docker-compose" {
        // `docker-compose ...` == `berth compose ...`.
        compose::main_as_docker_compose(args)
    } else if argv0 == "berth-runc" || argv0 == "runc" {
        runc::main(args)
    } else if args.get(1).is_some_and(|a| a == "__monitor") {
        // The per-container monitor, spawned by the engine (not for users).
        let rest: Vec<String> = args[2..]
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        berth_monitor::main_entry(&rest)
    } else if args.get(1).is_some_and(|a| a == "__dns") {
        // A network's DNS server, spawned by the engine (not for users).
        let rest: Vec<String> = args[2..]
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        berth_net::dns::serve_main(&rest)
    } else if args.get(1).is_some_and(|a| a == "runtime") {
        // `berth runtime <cmd>` == `berth-runc <cmd>`.
        args.remove(1);
        args[0] = OsString::from("berth runtime");
        runc::main(args)
    } else {
        berth_main(args)
    };
    std::process::exit(code);
}

/// The Docker-style CLI.
fn berth_main(args: Vec<OsString>) -> i32 {
    docker::main(args)
}
