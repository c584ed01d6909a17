//! Driving Debian's `criu` program for `checkpoint` and `restore` (as runc drives it, but
//! through its command line rather than its RPC socket): finding it, the arguments every
//! call shares, and an error that quotes criu's own log when it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use oci_spec::runtime::Spec;

use crate::error::{Error, Result};

/// The criu program: `explicit` (`--criu`), else `criu` on `PATH`.
pub fn program(explicit: Option<&Path>) -> Result<PathBuf> {
    let name = explicit.unwrap_or(Path::new("criu"));
    if name.components().count() > 1 {
        return if name.is_file() {
            Ok(name.to_path_buf())
        } else {
            Err(Error::Criu(format!("{} does not exist", name.display())))
        };
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::Criu(
                "checkpoint and restore need CRIU: no `criu` program on PATH (Debian: apt-get \
                 install criu)"
                    .into(),
            )
        })
}

/// `--ext-mount-map` pairs for the bind mounts of `spec`: criu cannot dump or recreate a
/// bind mount of a host path, so each is declared external (dump: `DEST:DEST`) and given its
/// source again on restore (`DEST:SOURCE`).
pub fn external_mounts(spec: &Spec, restore: bool) -> Vec<String> {
    let mut out = Vec::new();
    for m in spec.mounts().iter().flatten() {
        let bind = m.typ().as_deref() == Some("bind")
            || m.options()
                .iter()
                .flatten()
                .any(|o| o == "bind" || o == "rbind");
        let Some(source) = m.source().as_ref().filter(|_| bind) else {
            continue;
        };
        let dest = m.destination().display().to_string();
        let value = if restore {
            source.display().to_string()
        } else {
            dest.clone()
        };
        out.push("--ext-mount-map".into());
        out.push(format!("{dest}:{value}"));
    }
    out
}

/// Runs `criu <args>`, which logs to `work/<log>`; a failure quotes the log's errors.
pub fn run(criu: &Path, action: &str, args: &[String], work: &Path, log: &str) -> Result<()> {
    let out = Command::new(criu)
        .arg(action)
        .args(args)
        .args(["--work-dir".as_ref(), work.as_os_str()])
        .args(["--log-file", log, "-v4"])
        .output()
        .map_err(|e| Error::Criu(format!("run {}: {e}", criu.display())))?;
    if out.status.success() {
        return Ok(());
    }
    let log_path = work.join(log);
    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    let mut errors: Vec<&str> = text
        .lines()
        .chain(std::str::from_utf8(&out.stderr).unwrap_or("").lines())
        .filter(|l| l.contains("Error") || l.contains("error"))
        .collect();
    errors.dedup();
    let tail = errors[errors.len().saturating_sub(3)..].join("; ");
    Err(Error::Criu(format!(
        "criu {action} failed ({}): {} (log: {})",
        out.status,
        if tail.is_empty() {
            "no error in its log"
        } else {
            &tail
        },
        log_path.display()
    )))
}
