//! A podman on a private store, for the interop tests (included with `#[path]`).

use std::path::Path;
use std::process::Command;

/// A podman command on a private vfs store under `dir` (never the host's).
pub fn podman(dir: &Path) -> Command {
    let mut c = Command::new("podman");
    c.arg("--root")
        .arg(dir.join("root"))
        .arg("--runroot")
        .arg(dir.join("runroot"))
        .args(["--storage-driver", "vfs", "--events-backend", "none"]);
    c
}
