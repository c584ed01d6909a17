//! `berth ps | head`: when the reader of standard output goes away, end quietly as Go
//! programs (docker, runc) do, instead of panicking.
//!
//! Rust ignores SIGPIPE, so a write to a closed pipe fails with EPIPE and `print!` panics.
//! Restoring SIGPIPE's default would also kill berth on a write to any closed socket (the
//! monitor's control socket is a Unix stream written with write(2)); Go dies only for
//! standard output and error. So berth keeps SIGPIPE ignored and turns exactly that panic
//! (printing to stdout or stderr failed with a broken pipe) into the exit a SIGPIPE death
//! reports to shells, 141, without a message.

use std::panic;

/// The exit code of a process killed by SIGPIPE, as shells report it (128 + 13).
const SIGPIPE_EXIT: i32 = 141;

/// Installs the panic hook that ends the process quietly on a broken standard output.
pub fn exit_quietly_on_broken_stdout() {
    let default = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if is_broken_stdout(message) {
            std::process::exit(SIGPIPE_EXIT);
        }
        default(info);
    }));
}

/// Whether a panic message is std's for a print to a closed pipe.
fn is_broken_stdout(message: &str) -> bool {
    (message.starts_with("failed printing to stdout")
        || message.starts_with("failed printing to stderr"))
        && message.contains("Broken pipe")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_broken_pipe_on_stdout_or_stderr_is_quiet() {
        assert!(is_broken_stdout(
            "failed printing to stdout: Broken pipe (os error 32)"
        ));
        assert!(is_broken_stdout(
            "failed printing to stderr: Broken pipe (os error 32)"
        ));
        assert!(!is_broken_stdout(
            "failed printing to stdout: No space left on device (os error 28)"
        ));
        assert!(!is_broken_stdout("index out of bounds"));
    }
}
