//! Harness for berth's root-only end-to-end tests.
//!
//! Each test starts with `let Some(t) = Test::new("name") else { return };` — `None` means the
//! test is skipped (not root, or no static /bin/busybox); the reason is printed past the test
//! runner's output capture, and turns into a failure when `CI` or `BERTH_E2E_REQUIRE` is set.
//! A [`Test`] owns a temp dir holding its bundles, a fresh `--root` and host-side dirs; when
//! dropped (also on panic) it force-deletes every container it created, checks that nothing
//! was left behind (state, mounts, cgroup dirs, processes), cleans up, and fails the test if
//! something leaked.

#![forbid(unsafe_code)]

pub mod api;
pub mod api_clients;
mod bundle;
pub mod cgroup;
pub mod cmd;
pub mod compose;
mod console;
pub mod containerd;
pub mod engine;
pub mod image_archive;
pub mod leaks;
pub mod outside;
pub mod peers;
pub mod registry;
pub mod runtime;

use std::env;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

pub use bundle::{make_busybox_rootfs, Bundle, BUSYBOX};
pub use cmd::Output;
pub use console::{Console, ConsoleSocket};
pub use engine::{cached_and_run, Berth};
pub use runtime::{Runtime, CMD_TIMEOUT};
pub use serde_json::{json, Value};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// One test's world: temp dir, runtime with a private `--root`, and the cleanup guard.
pub struct Test {
    /// The test's name (for ids and messages).
    pub name: String,
    /// The test's temp dir; everything it makes on the host lives below it.
    pub dir: PathBuf,
    /// The runtime under test.
    pub rt: Runtime,
}

/// Why the tests cannot run here, if they cannot.
pub fn skip_reason() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("needs root".into());
    }
    match fs::read(BUSYBOX) {
        Err(_) => Some(format!(
            "{BUSYBOX} is missing (apt-get install busybox-static)"
        )),
        Ok(b) if dynamically_linked(&b) => Some(format!(
            "{BUSYBOX} is dynamically linked (apt-get install busybox-static)"
        )),
        Ok(_) => None,
    }
}

/// An ELF naming a dynamic loader near its start (the PT_INTERP string) is not static.
fn dynamically_linked(elf: &[u8]) -> bool {
    let head = &elf[..elf.len().min(8192)];
    [&b"/ld-linux"[..], b"/ld-musl-"]
        .iter()
        .any(|n| head.windows(n.len()).any(|w| w == *n))
}

fn skips_are_failures() -> bool {
    let set = |k: &str| {
        env::var(k)
            .map(|v| !v.is_empty() && v != "0" && v != "false")
            .unwrap_or(false)
    };
    set("CI") || set("BERTH_E2E_REQUIRE")
}

/// Whether test `name` must be skipped for `reason` (`None`: it can run). A skip is printed
/// past the test runner's output capture; when `CI` or `BERTH_E2E_REQUIRE` is set it panics
/// instead.
pub(crate) fn skipped(name: &str, reason: Option<String>) -> bool {
    let Some(reason) = reason else {
        return false;
    };
    if skips_are_failures() {
        panic!("{name}: cannot run ({reason}) and CI/BERTH_E2E_REQUIRE forbids skipping");
    }
    // Straight to the stderr handle: the test runner's capture only sees print macros.
    let _ = writeln!(std::io::stderr(), "SKIPPED e2e test {name}: {reason}");
    true
}

impl Test {
    /// Sets up a test, or returns `None` (after printing why) when it must be skipped.
    /// Panics if the runtime binary cannot be found: that is a setup error, not a skip.
    pub fn new(name: &str) -> Option<Test> {
        if skipped(name, skip_reason()) {
            return None;
        }
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = env::temp_dir().join(format!("berth-e2e-{}-{n}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create test dir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod test dir");
        let bin = match runtime::locate(&dir.join("bin")) {
            Ok(b) => b,
            Err(e) => {
                let _ = fs::remove_dir_all(&dir);
                panic!("{name}: {e}");
            }
        };
        let root = dir.join("root");
        fs::create_dir_all(&root).expect("create --root dir");
        let rt = Runtime::new(bin, root, dir.join("out"));
        Some(Test {
            name: name.to_string(),
            dir,
            rt,
        })
    }

    /// A fresh, unique container id: `e2e-<pid>-<counter>-<name>`.
    pub fn id(&self, name: &str) -> String {
        format!(
            "e2e-{}-{}-{name}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// A busybox bundle with its own unique container id (`bundle.id`); config.json comes
    /// from the runtime's `spec`, with the harness defaults (see [`Bundle`]).
    pub fn bundle(&self, name: &str) -> Bundle {
        let id = self.id(name);
        let dir = self.dir.join(format!("bundle-{id}"));
        fs::create_dir_all(&dir).expect("create bundle dir");
        make_busybox_rootfs(&dir.join("rootfs"));
        let o = self.rt.spec(&dir);
        assert!(
            o.success() && dir.join("config.json").is_file(),
            "`spec` did not write config.json:\n{o}"
        );
        Bundle::from_spec(id, dir)
    }

    /// A [`Test::bundle`] whose process is `sleep 1000`: a container that runs until killed.
    pub fn sleeper(&self, name: &str) -> Bundle {
        let mut b = self.bundle(name);
        b.args(&["sleep", "1000"]);
        b
    }

    /// A directory on the host, below the test dir, for bind mounts and hook output.
    pub fn host_dir(&self, name: &str) -> PathBuf {
        let d = self.dir.join("host").join(name);
        fs::create_dir_all(&d).expect("create host dir");
        fs::set_permissions(&d, fs::Permissions::from_mode(0o777)).expect("chmod host dir");
        d
    }

    /// Leftovers of container `id` right now (state, cgroup dirs, processes, mounts).
    pub fn leaks_of(&self, id: &str) -> Vec<String> {
        let tracked = self.rt.tracked.borrow();
        match tracked.iter().find(|t| t.id == id) {
            Some(t) => leaks::of_container(&self.rt.root, t).items,
            None => Vec::new(),
        }
    }

    /// Asserts that container `id` left nothing behind: no state entry in --root, no cgroup
    /// dir, no process, no mount naming its bundle. Waits briefly for exiting processes.
    #[track_caller]
    pub fn assert_nothing_left(&self, id: &str) {
        let mut left = self.leaks_of(id);
        for _ in 0..25 {
            if left.is_empty() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
            left = self.leaks_of(id);
        }
        panic!(
            "container {id} left things behind:\n  {}",
            left.join("\n  ")
        );
    }

    /// `delete <id>`, which must succeed, then [`Test::assert_nothing_left`].
    #[track_caller]
    pub fn delete_and_check(&self, id: &str) {
        self.rt.delete(id).ok();
        self.assert_nothing_left(id);
    }

    /// Host-side namespace inode link of a process, e.g. `ns_of(pid, "net")` -> `net:[4026...]`.
    pub fn ns_of(pid: i32, ns: &str) -> String {
        fs::read_link(format!("/proc/{pid}/ns/{ns}"))
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    }
}

impl Drop for Test {
    fn drop(&mut self) {
        let tracked = self.rt.tracked.borrow().clone();
        for t in tracked.iter().rev() {
            let _ = self
                .rt
                .cmd_timeout(&["delete", "--force", &t.id], Duration::from_secs(15));
        }
        // Give exiting processes a moment before judging.
        let mut l = leaks::of_test(&self.rt.root, &tracked, &self.dir);
        for _ in 0..25 {
            if l.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
            l = leaks::of_test(&self.rt.root, &tracked, &self.dir);
        }
        leaks::clean(&l);
        leaks::remove_dir_unless_mounted(&self.name, &self.dir);
        if !l.is_empty() && !std::thread::panicking() {
            panic!(
                "{}: left behind after `delete --force` of every container:\n  {}",
                self.name,
                l.items.join("\n  ")
            );
        }
    }
}

/// Converts a capability list into the mask /proc/<pid>/status prints (`CapEff:` etc.).
pub fn cap_mask(names: &[&str]) -> u64 {
    names.iter().fold(0u64, |m, n| {
        m | (1u64 << cap_number(n).unwrap_or_else(|| panic!("unknown capability {n}")))
    })
}

/// The kernel's number for a capability name (`CAP_CHOWN` -> 0).
pub fn cap_number(name: &str) -> Option<u32> {
    const CAPS: [&str; 41] = [
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT",
        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_MKNOD",
        "CAP_LEASE",
        "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN",
        "CAP_SYSLOG",
        "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ",
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ];
    CAPS.iter().position(|c| *c == name).map(|p| p as u32)
}

/// The value of a `Key:\tvalue` line of a /proc/<pid>/status text.
pub fn status_field(status: &str, key: &str) -> Option<String> {
    status.lines().find_map(|l| {
        l.strip_prefix(&format!("{key}:"))
            .map(|v| v.trim().to_string())
    })
}

/// Polls `cond` every 20 ms until it holds or `timeout` passes; returns whether it held.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    loop {
        if cond() {
            return true;
        }
        if start.elapsed() > timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
