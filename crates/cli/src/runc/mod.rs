//! The runc-compatible command line: runc's global flags and commands, mapped onto
//! `berth_runtime::ops`.

mod args;
mod commands;
mod flags;
#[cfg(test)]
mod fuzz_tests;
mod help;
mod log;
mod units;

use std::ffi::OsString;

/// Parses `args` and runs the command; returns the process exit code.
pub fn main(args: Vec<OsString>) -> i32 {
    let cli = match args::parse(args) {
        Ok(c) => c,
        Err(args::Exit::Info(text)) => {
            print!("{text}");
            return 0;
        }
        Err(args::Exit::Usage(msg)) => {
            eprintln!("berth-runc: {msg}");
            return 1;
        }
    };
    let logger = log::Logger::new(cli.log.clone(), cli.log_format.clone());
    logger.install_panic_hook();
    match commands::dispatch(&cli) {
        Ok(code) => code,
        Err(e) => {
            logger.error(&format!("{e:#}"));
            1
        }
    }
}
