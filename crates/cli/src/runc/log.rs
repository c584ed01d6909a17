//! runc's error reporting: a message on stderr and, with `--log`, a line in the log file in
//! text or JSON form (containerd's shim reads the last JSON error from that file).

use std::io::Write;
use std::path::PathBuf;

/// Where errors go.
#[derive(Clone)]
pub struct Logger {
    file: Option<PathBuf>,
    json: bool,
}

impl Logger {
    /// A logger for `--log FILE --log-format text|json`. The file is created at once (as runc
    /// does), so a caller that reads it after a failure always finds it.
    pub fn new(file: Option<PathBuf>, format: String) -> Self {
        if let Some(path) = &file {
            let _ = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path);
        }
        Self {
            file,
            json: format == "json",
        }
    }

    /// Reports a panic (a bug) through the same channel as errors, so containerd shows it.
    pub fn install_panic_hook(&self) {
        let me = self.clone();
        std::panic::set_hook(Box::new(move |info| {
            me.error(&format!("internal error (please report): {info}"));
        }));
    }

    /// Reports an error.
    pub fn error(&self, msg: &str) {
        eprintln!("berth-runc: {msg}");
        let Some(path) = &self.file else { return };
        let time = berth_runtime::state::now_rfc3339();
        let line = if self.json {
            serde_json::json!({ "level": "error", "msg": msg, "time": time }).to_string()
        } else {
            format!("time=\"{time}\" level=error msg={msg:?}")
        };
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{line}");
        }
    }
}
