//! The runc-compatible command line: runc's global flags and commands, mapped onto
//! `berth_runtime::ops`.

mod args;
mod commands;
mod log;
mod units;

use std::ffi::OsString;

use clap::Parser;

/// Parses `args` and runs the command; returns the process exit code.
pub fn main(args: Vec<OsString>) -> i32 {
    let args = args::normalize_single_dash(args);
    let cli = match args::Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
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
