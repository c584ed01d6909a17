//! What `/version` reports about the build (dockerd's `GitCommit`, `GoVersion`,
//! `BuildTime`): the commit and its time from git (the commit time, so builds of one commit
//! agree) and the rustc version. Without git (a source tarball) the fields fall back to
//! the crate version in routes/system.rs.

use std::process::Command;

fn main() {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").args(args).output().ok()?;
        let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
        (out.status.success() && !s.is_empty()).then_some(s)
    };
    for p in ["HEAD", "logs/HEAD"] {
        if let Some(path) = git(&["rev-parse", "--git-path", p]) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    if let Some(commit) = git(&["rev-parse", "--short=7", "HEAD"]) {
        println!("cargo:rustc-env=BERTH_GIT_COMMIT={commit}");
    }
    if let Some(t) = git(&["log", "-1", "--format=%cI"]) {
        println!("cargo:rustc-env=BERTH_BUILD_TIME={t}");
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    if let Ok(out) = Command::new(rustc).arg("--version").output() {
        let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if out.status.success() && !v.is_empty() {
            println!("cargo:rustc-env=BERTH_RUSTC={v}");
        }
    }
}
