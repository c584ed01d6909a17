//! Root-only tests of the rootfs steps. Each test builds a small rootfs in a fresh temporary
//! directory, then forks a child into a new mount (and pid) namespace that runs the steps and
//! checks what it sees; the child reports through a pipe and its exit code. Nothing the
//! child mounts can reach the host: it is in its own mount namespace, whose mounts are all
//! made slaves first, and the parent checks afterwards that no mount under the test directory
//! appeared in its own table.

mod devnodes;
mod finalize;
mod flow;
mod hostile;
mod userns;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use berth_sys::clone::{clone3, CloneResult};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use oci_spec::runtime::Spec;

use super::mountinfo::{self, MountInfo};

/// One forked test at a time: a fork taken while another test thread allocates could leave
/// the child with a locked allocator.
static FORK_LOCK: Mutex<()> = Mutex::new(());

/// What a child check returns: `Err` carries the failure message.
pub(super) type Check = std::result::Result<(), String>;

/// Returns early from a test when not running as root.
macro_rules! require_root {
    () => {
        if !rustix::process::geteuid().is_root() {
            eprintln!("skipping: this test needs root (mount namespaces, mount(2), mknod)");
            return;
        }
    };
}
pub(super) use require_root;

/// Fails the child check with a formatted message unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}
pub(super) use ensure;

/// Converts any displayable error into a check failure with context.
pub(super) trait OrFail<T> {
    /// Maps the error to `"{what}: {error}"`.
    fn or_fail(self, what: &str) -> std::result::Result<T, String>;
}

impl<T, E: std::fmt::Display> OrFail<T> for std::result::Result<T, E> {
    fn or_fail(self, what: &str) -> std::result::Result<T, String> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

/// A temporary bundle-like directory: `rootfs/` plus room for host-side bind sources.
pub(super) struct Fixture {
    dir: tempfile::TempDir,
    /// The rootfs directory (canonical).
    pub rootfs: PathBuf,
}

impl Fixture {
    /// A rootfs with `etc/hostname`, `bin/`, `dev/` and `tmp/`.
    pub fn new() -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("berth-rootfs-test-")
            .tempdir()
            .expect("create temp dir");
        let base = std::fs::canonicalize(dir.path()).expect("canonicalize temp dir");
        let rootfs = base.join("rootfs");
        let f = Fixture { dir, rootfs };
        for d in ["rootfs/etc", "rootfs/bin", "rootfs/dev", "rootfs/tmp"] {
            f.mkdir(d);
        }
        f.write("rootfs/etc/hostname", "container\n");
        f
    }

    /// The temporary directory (holding `rootfs/`).
    pub fn base(&self) -> PathBuf {
        self.rootfs
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.dir.path().into())
    }

    /// `base/rel`.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.base().join(rel)
    }

    /// Creates directory `base/rel` and its parents.
    pub fn mkdir(&self, rel: &str) {
        std::fs::create_dir_all(self.path(rel)).expect("mkdir");
    }

    /// Writes file `base/rel`.
    pub fn write(&self, rel: &str, content: &str) {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir parent");
        }
        std::fs::write(p, content).expect("write file");
    }

    /// Creates symlink `base/rel -> target`.
    pub fn symlink(&self, rel: &str, target: &str) {
        std::os::unix::fs::symlink(target, self.path(rel)).expect("symlink");
    }

    /// Copies the host's static busybox into `rootfs/bin/busybox`, if there is one.
    pub fn with_busybox(&self) -> bool {
        std::fs::copy("/bin/busybox", self.rootfs.join("bin/busybox")).is_ok()
    }
}

/// Parses a spec from JSON, filling `ociVersion` and `root`.
pub(super) fn spec(mut json: serde_json::Value) -> Spec {
    if let Some(obj) = json.as_object_mut() {
        obj.entry("ociVersion").or_insert("1.2.0".into());
        obj.entry("root")
            .or_insert(serde_json::json!({"path": "rootfs"}));
    }
    serde_json::from_value(json).expect("test spec parses")
}

/// The calling process's mount table.
pub(super) fn mounts() -> std::result::Result<Vec<MountInfo>, String> {
    mountinfo::read().or_fail("read mountinfo")
}

/// The last (topmost) mount at exactly `path`.
pub(super) fn mount_at(table: &[MountInfo], path: &Path) -> Option<MountInfo> {
    table.iter().rev().find(|m| m.mount_point == path).cloned()
}

/// The per-mount options of the topmost mount at `path` (read from the raw table, field 6).
pub(super) fn mount_opts(path: &Path) -> std::result::Result<Vec<String>, String> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").or_fail("read mountinfo")?;
    let want = path.to_string_lossy().replace(' ', "\\040");
    text.lines()
        .rev()
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .find(|f| f.len() > 5 && f[4] == want)
        .map(|f| f[5].split(',').map(str::to_string).collect())
        .ok_or_else(|| format!("no mount at {}", path.display()))
}

/// Runs `check` in a child cloned with `CLONE_NEWNS | extra_flags`, waits for it (at most a
/// minute) and panics with the child's message when it failed. Afterwards the host must not
/// have gained any mount under `fixture`.
pub(super) fn in_child(fixture: &Fixture, extra_flags: u64, check: impl FnOnce() -> Check) {
    let _guard = FORK_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (mut rx, tx) = {
        let (r, w) = nix::unistd::pipe().expect("pipe");
        (std::fs::File::from(r), std::fs::File::from(w))
    };
    let flags = libc::CLONE_NEWNS as u64 | extra_flags;
    match clone3(flags, None).expect("clone3") {
        CloneResult::Child => {
            drop(rx);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // Safety net: nothing mounted from here on propagates to the host.
                super::mnt::set_propagation(Path::new("/"), libc::MS_SLAVE | libc::MS_REC)
                    .or_fail("make / rslave")?;
                check()
            }));
            let msg = match result {
                Ok(Ok(())) => None,
                Ok(Err(msg)) => Some(msg),
                Err(panic) => Some(match panic.downcast_ref::<String>() {
                    Some(s) => format!("panic: {s}"),
                    None => format!("panic: {:?}", panic.downcast_ref::<&str>()),
                }),
            };
            let code = match msg {
                None => 0,
                Some(m) => {
                    let mut tx = tx;
                    let _ = tx.write_all(&m.as_bytes()[..m.len().min(8192)]);
                    1
                }
            };
            berth_sys::misc::exit_now(code)
        }
        CloneResult::Parent(pid) => {
            drop(tx);
            let status = wait_with_timeout(Pid::from_raw(pid), Duration::from_secs(60));
            let mut msg = String::new();
            let _ = rx.read_to_string(&mut msg);
            let leaked: Vec<_> = mountinfo::read()
                .expect("read host mountinfo")
                .into_iter()
                .filter(|m| m.mount_point.starts_with(fixture.base()))
                .map(|m| m.mount_point)
                .collect();
            assert!(leaked.is_empty(), "mounts leaked to the host: {leaked:?}");
            assert_eq!(status, Some(0), "child failed: {msg}");
        }
    }
}

/// Waits for `pid`, killing it after `limit`; returns its exit code (`None` if killed).
fn wait_with_timeout(pid: Pid, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    loop {
        match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(_, code)) => return Some(code),
            Ok(WaitStatus::Signaled(..)) => return None,
            Ok(_) if start.elapsed() < limit => std::thread::sleep(Duration::from_millis(5)),
            Ok(_) => {
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::SIGKILL);
                let _ = waitpid(pid, None);
                return None;
            }
            Err(e) => panic!("waitpid: {e}"),
        }
    }
}
