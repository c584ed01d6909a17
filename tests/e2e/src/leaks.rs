//! What a container may leave behind on the host, and how the harness finds and removes it:
//! a state entry under `--root`, mounts naming the test's directories, cgroup directories,
//! and processes (in the container's cgroup, or with a cwd/root inside the test directory).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use nix::mount::{umount2, MntFlags};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::cgroup;
use crate::runtime::Tracked;

/// Leftovers found, with enough detail to remove them.
#[derive(Default, Debug)]
pub struct Leaks {
    /// Human-readable descriptions, one per leftover.
    pub items: Vec<String>,
    pids: Vec<i32>,
    mounts: Vec<PathBuf>,
    cgroups: Vec<PathBuf>,
}

impl Leaks {
    /// Nothing was left behind.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn merge(&mut self, o: Leaks) {
        self.items.extend(o.items);
        self.pids.extend(o.pids);
        self.mounts.extend(o.mounts);
        self.cgroups.extend(o.cgroups);
    }
}

/// Mount points in this mount namespace whose mountinfo line names `dir` (as mount point,
/// root or source).
pub fn mounts_naming(dir: &Path) -> Vec<(PathBuf, String)> {
    let needle = dir.display().to_string();
    let below = format!("{needle}/");
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    info.lines()
        .filter_map(|l| {
            let names = l
                .split_whitespace()
                .map(cgroup::unescape)
                .any(|f| f == needle || f.starts_with(&below));
            if !names {
                return None;
            }
            let mnt = l.split_whitespace().nth(4)?;
            Some((PathBuf::from(cgroup::unescape(mnt)), l.to_string()))
        })
        .collect()
}

/// True when `pid` exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => {
            let state = s
                .rsplit_once(')')
                .and_then(|(_, r)| r.split_whitespace().next())
                .unwrap_or("");
            state != "Z" && state != "X"
        }
        Err(_) => false,
    }
}

fn all_pids() -> Vec<i32> {
    let me = std::process::id() as i32;
    fs::read_dir("/proc")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .filter(|p| *p != me)
                .collect()
        })
        .unwrap_or_default()
}

/// Live processes whose cgroup (any hierarchy) is `cg` or below it.
pub fn pids_in_cgroup(cg: &str) -> Vec<i32> {
    let cg = cg.trim_end_matches('/');
    if cg.is_empty() || cg == "/" {
        return Vec::new();
    }
    let below = format!("{cg}/");
    all_pids()
        .into_iter()
        .filter(|p| {
            fs::read_to_string(format!("/proc/{p}/cgroup"))
                .map(|s| {
                    s.lines().any(|l| {
                        let path = l.splitn(3, ':').nth(2).unwrap_or("");
                        path == cg || path.starts_with(&below)
                    })
                })
                .unwrap_or(false)
        })
        .filter(|p| alive(*p))
        .collect()
}

/// Live processes whose command line contains `needle`.
pub fn pids_with_cmdline(needle: &str) -> Vec<i32> {
    all_pids()
        .into_iter()
        .filter(|p| cmdline(*p).contains(needle))
        .filter(|p| alive(*p))
        .collect()
}

/// Live processes whose cwd or root is `dir` or inside it.
pub fn pids_inside(dir: &Path) -> Vec<i32> {
    all_pids()
        .into_iter()
        .filter(|p| {
            ["cwd", "root"].iter().any(|w| {
                fs::read_link(format!("/proc/{p}/{w}"))
                    .map(|l| l.starts_with(dir))
                    .unwrap_or(false)
            })
        })
        .filter(|p| alive(*p))
        .collect()
}

/// Leftovers of one container: state entry, cgroup dirs, processes in its cgroup or bundle,
/// mounts naming its bundle.
pub(crate) fn of_container(root: &Path, t: &Tracked) -> Leaks {
    let mut l = Leaks::default();
    let state = root.join(&t.id);
    if state.exists() {
        l.items
            .push(format!("state entry left in --root: {}", state.display()));
    }
    if let Some(cg) = &t.cgroup {
        for d in cgroup::existing_dirs(cg) {
            l.items
                .push(format!("cgroup directory left: {}", d.display()));
            l.cgroups.push(d);
        }
        for p in pids_in_cgroup(cg) {
            l.items
                .push(format!("process {p} left in cgroup {cg}: {}", cmdline(p)));
            l.pids.push(p);
        }
    }
    for p in pids_inside(&t.bundle) {
        if !l.pids.contains(&p) {
            l.items.push(format!(
                "process {p} left with cwd/root in the bundle: {}",
                cmdline(p)
            ));
            l.pids.push(p);
        }
    }
    for (mnt, line) in mounts_naming(&t.bundle) {
        l.items.push(format!("mount left: {line}"));
        l.mounts.push(mnt);
    }
    l
}

/// Leftovers of every tracked container plus anything else naming the test directory.
pub(crate) fn of_test(root: &Path, tracked: &[Tracked], test_dir: &Path) -> Leaks {
    let mut l = Leaks::default();
    for t in tracked {
        l.merge(of_container(root, t));
    }
    if let Ok(rd) = fs::read_dir(root) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            // Hidden entries are runtime-wide (a lock, a seccomp filter cache), not a
            // container's state; everything else must belong to a container we know of.
            if !name.starts_with('.') && !tracked.iter().any(|t| t.id == name) {
                l.items.push(format!(
                    "unexpected entry left in --root: {}",
                    e.path().display()
                ));
            }
        }
    }
    for p in pids_inside(test_dir) {
        if !l.pids.contains(&p) {
            l.items.push(format!(
                "process {p} left with cwd/root in the test dir: {}",
                cmdline(p)
            ));
            l.pids.push(p);
        }
    }
    for (mnt, line) in mounts_naming(test_dir) {
        if !l.mounts.contains(&mnt) {
            l.items.push(format!("mount left: {line}"));
            l.mounts.push(mnt);
        }
    }
    l
}

/// The command line of `pid`, NULs as spaces (empty if it is gone).
pub(crate) fn cmdline(pid: i32) -> String {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            String::from_utf8_lossy(&b)
                .replace('\0', " ")
                .trim()
                .to_string()
        })
        .unwrap_or_default()
}

/// Removes leftovers: SIGKILL to the leaked pids (all of them started by this test's
/// containers), lazy unmount of the mounts (deepest first), rmdir of the cgroup dirs
/// (children first).
pub(crate) fn clean(l: &Leaks) {
    kill_and_wait(&l.pids);
    unmount_deepest_first(l.mounts.clone());
    for d in &l.cgroups {
        rmdir_tree(d);
    }
}

/// Sends SIGKILL to each of `pids`, then waits up to 5 s for them to die.
pub(crate) fn kill_and_wait(pids: &[i32]) {
    for p in pids {
        let _ = kill(Pid::from_raw(*p), Signal::SIGKILL);
    }
    let start = Instant::now();
    while pids.iter().any(|p| alive(*p)) && start.elapsed() < Duration::from_secs(5) {
        thread::sleep(Duration::from_millis(20));
    }
}

/// Lazily unmounts every mount at or below `dir` (e.g. what a killed debootstrap left in its
/// target), deepest first.
pub fn unmount_below(dir: &Path) {
    unmount_deepest_first(mounts_naming(dir).into_iter().map(|(m, _)| m).collect());
}

/// Lazily unmounts `mounts`, deepest first.
pub(crate) fn unmount_deepest_first(mut mounts: Vec<PathBuf>) {
    mounts.sort_by_key(|m| std::cmp::Reverse(m.components().count()));
    for m in mounts {
        let _ = umount2(&m, MntFlags::MNT_DETACH);
    }
}

/// Removes cgroup directory `d` and the directories below it (children first), retrying
/// each for up to 1 s while its last processes exit.
pub(crate) fn rmdir_tree(d: &Path) {
    if let Ok(rd) = fs::read_dir(d) {
        for e in rd.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                rmdir_tree(&e.path());
            }
        }
    }
    for _ in 0..50 {
        if fs::remove_dir(d).is_ok() || !d.exists() {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Removes a test's temp dir `dir`, unless mounts still name it (removing files below a
/// leftover mount could reach outside); then says so on stderr, naming test `name`.
pub(crate) fn remove_dir_unless_mounted(name: &str, dir: &Path) {
    if mounts_naming(dir).is_empty() {
        let _ = fs::remove_dir_all(dir);
    } else {
        let _ = writeln!(
            std::io::stderr(),
            "{name}: mounts remain under {}; not removing it",
            dir.display()
        );
    }
}
