//! `berth info` and `berth version`: what the engine and its host are, in Docker's field
//! names (so `--format '{{.ServerVersion}}'` works as with Docker).

use std::fs;
use std::path::Path;

use serde::Serialize;

use crate::engine::Engine;
use crate::error::Result;
use crate::images::index;

/// The API version berth speaks in Docker's terms (shown by `version`).
pub const API_VERSION: &str = "1.43";

/// Docker's `info` object (the fields berth can fill).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Info {
    /// Host name.
    pub name: String,
    /// Every container.
    pub containers: usize,
    /// Running (not paused) containers.
    pub containers_running: usize,
    /// Paused containers.
    pub containers_paused: usize,
    /// The rest.
    pub containers_stopped: usize,
    /// Images in the index.
    pub images: usize,
    /// berth's version.
    pub server_version: String,
    /// Always `overlay`.
    pub driver: String,
    /// Always `k8s-file` (CRI log lines written by the monitor).
    pub logging_driver: String,
    /// Always `cgroupfs`.
    pub cgroup_driver: String,
    /// `1` or `2`, detected.
    pub cgroup_version: String,
    /// `uname -r`.
    pub kernel_version: String,
    /// PRETTY_NAME from /etc/os-release.
    pub operating_system: String,
    /// Always `linux`.
    #[serde(rename = "OSType")]
    pub os_type: String,
    /// `uname -m`.
    pub architecture: String,
    /// Online CPUs.
    #[serde(rename = "NCPU")]
    pub ncpu: usize,
    /// Total memory in bytes.
    pub mem_total: u64,
    /// The state root.
    pub docker_root_dir: String,
    /// The run directory (berth's own field).
    pub run_dir: String,
    /// Always `runc`-compatible berth's own runtime.
    pub default_runtime: String,
}

/// Docker's `version` object: `Client` and `Server`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Version {
    /// The CLI.
    pub client: Component,
    /// The engine (the same binary: there is no daemon).
    pub server: Component,
}

/// One side of `version`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Component {
    /// Product name.
    pub platform: Platform,
    /// berth's version.
    pub version: String,
    /// The Docker API version berth follows.
    pub api_version: String,
    /// Go's name for the OS (`linux`).
    pub os: String,
    /// Go's name for the architecture (`amd64`, `arm64`).
    pub arch: String,
    /// `uname -r` (server only in Docker; filled on both here).
    pub kernel_version: String,
}

/// The product name in `version`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Platform {
    /// `berth`.
    pub name: String,
}

impl Engine {
    /// Counts and host facts for `info`.
    pub fn info(&self) -> Result<Info> {
        let (mut running, mut paused, mut stopped) = (0, 0, 0);
        for (_, s) in self.containers()? {
            match s.status.as_str() {
                "running" => running += 1,
                "paused" => paused += 1,
                _ => stopped += 1,
            }
        }
        let uts = nix::sys::utsname::uname().ok();
        let field = |f: fn(&nix::sys::utsname::UtsName) -> &std::ffi::OsStr| {
            uts.as_ref()
                .map(|u| f(u).to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        Ok(Info {
            name: field(|u| u.nodename()),
            containers: running + paused + stopped,
            containers_running: running,
            containers_paused: paused,
            containers_stopped: stopped,
            images: index::list(&self.db)?.len(),
            server_version: env!("CARGO_PKG_VERSION").to_string(),
            driver: "overlay".into(),
            logging_driver: "k8s-file".into(),
            cgroup_driver: "cgroupfs".into(),
            cgroup_version: cgroup_version(Path::new("/sys/fs/cgroup")).to_string(),
            kernel_version: field(|u| u.release()),
            operating_system: operating_system(),
            os_type: "linux".into(),
            architecture: field(|u| u.machine()),
            ncpu: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            mem_total: mem_total(),
            docker_root_dir: self.paths.root.display().to_string(),
            run_dir: self.paths.run.display().to_string(),
            default_runtime: "berth".into(),
        })
    }
}

/// The client and server versions (one binary, so they match).
pub fn version() -> Version {
    let kernel = nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default();
    let side = |name: &str| Component {
        platform: Platform { name: name.into() },
        version: env!("CARGO_PKG_VERSION").to_string(),
        api_version: API_VERSION.into(),
        os: "linux".into(),
        arch: go_arch(std::env::consts::ARCH).into(),
        kernel_version: kernel.clone(),
    };
    Version {
        client: side("berth"),
        server: side("berth engine (daemonless)"),
    }
}

/// Go's `GOARCH` for a Rust target architecture.
pub fn go_arch(arch: &str) -> &str {
    match arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// 2 when `cgroup_root` is a unified (cgroup2) hierarchy, else 1 (also hybrid layouts).
pub fn cgroup_version(cgroup_root: &Path) -> u8 {
    if cgroup_root.join("cgroup.controllers").exists() {
        2
    } else {
        1
    }
}

/// PRETTY_NAME from /etc/os-release.
fn operating_system() -> String {
    let text = fs::read_to_string("/etc/os-release")
        .or_else(|_| fs::read_to_string("/usr/lib/os-release"))
        .unwrap_or_default();
    pretty_name(&text).unwrap_or_else(|| "Linux".into())
}

fn pretty_name(os_release: &str) -> Option<String> {
    os_release
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim().trim_matches('"').to_string())
}

/// MemTotal from /proc/meminfo, in bytes.
fn mem_total() -> u64 {
    let text = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    meminfo_total(&text)
}

fn meminfo_total(meminfo: &str) -> u64 {
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_files() {
        assert_eq!(
            pretty_name("NAME=x\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n").as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(
            meminfo_total("MemTotal:        4028464 kB\nMemFree: 1 kB\n"),
            4028464 * 1024
        );
        assert_eq!(go_arch("x86_64"), "amd64");
        let v = serde_json::to_value(version()).unwrap();
        assert_eq!(v["Server"]["Version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(v["Client"]["ApiVersion"], API_VERSION);
    }
}
