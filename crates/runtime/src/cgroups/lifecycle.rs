//! Creating and removing cgroup directories: `mkdir -p` below the hierarchy root, v1 cpuset
//! initialisation, enabling v2 controllers in ancestors, listing pids, and the kill-then-rmdir
//! teardown used by `destroy`.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::errno::Errno;

use super::fs::{cg_err, errno_text, is_errno, CgroupFs};
use crate::Result;

/// Whether `dir` is a cgroup directory (of any hierarchy).
fn is_cgroup(dir: &Path) -> bool {
    dir.join("cgroup.procs").is_file()
}

/// Creates `leaf` and its missing parents below the hierarchy's root (the topmost cgroup
/// directory above it on the same filesystem). Returns the chain of directories from the root
/// (first) to `leaf` (last).
pub fn make_dirs(fs: &CgroupFs, leaf: &Path) -> Result<Vec<PathBuf>> {
    let mut existing = leaf;
    while !existing.is_dir() {
        existing = existing
            .parent()
            .ok_or_else(|| cg_err(leaf, "no existing directory above it"))?;
    }
    if !is_cgroup(existing) {
        return Err(cg_err(
            leaf,
            format!("{} is not inside a cgroup hierarchy", existing.display()),
        ));
    }
    let dev = |p: &Path| p.metadata().map(|m| m.dev()).ok();
    let mut root = existing;
    while let Some(parent) = root.parent() {
        if is_cgroup(parent) && dev(parent) == dev(existing) {
            root = parent;
        } else {
            break;
        }
    }
    let below = leaf
        .strip_prefix(root)
        .map_err(|_| cg_err(leaf, "not below its hierarchy root"))?;
    let mut chain = vec![root.to_path_buf()];
    let mut cur = root.to_path_buf();
    for c in below.components() {
        cur.push(c);
        fs.mkdir(&cur)
            .map_err(|e| cg_err(&cur, format!("create directory: {}", errno_text(&e))))?;
        chain.push(cur.clone());
    }
    Ok(chain)
}

/// v1 cpuset: a new cgroup starts with empty `cpuset.cpus`/`cpuset.mems`, and attaching a
/// process to it then fails; copy the parent's values into each empty one, top down.
pub fn init_cpuset(fs: &CgroupFs, chain: &[PathBuf]) -> Result<()> {
    for pair in chain.windows(2) {
        let (parent, dir) = (&pair[0], &pair[1]);
        for file in ["cpuset.cpus", "cpuset.mems"] {
            if fs.read(dir, file)?.is_empty() {
                let value = fs.read(parent, file)?;
                fs.write(dir, file, &value)?;
            }
        }
    }
    Ok(())
}

/// v2: enables, in every ancestor of the leaf, all controllers the hierarchy root offers
/// (as runc does), one by one if the kernel refuses the whole set. Best effort: a controller
/// that cannot be enabled makes the writes that need it fail later, with a clear error.
pub fn enable_controllers(fs: &CgroupFs, chain: &[PathBuf]) {
    let Some(root) = chain.first() else { return };
    let Ok(available) = fs.read(root, "cgroup.controllers") else {
        return;
    };
    let wanted: Vec<&str> = available.split_whitespace().collect();
    if wanted.is_empty() {
        return;
    }
    for dir in &chain[..chain.len().saturating_sub(1)] {
        let enabled = fs.read(dir, "cgroup.subtree_control").unwrap_or_default();
        let missing: Vec<String> = wanted
            .iter()
            .filter(|c| !enabled.split_whitespace().any(|e| e == **c))
            .map(|c| format!("+{c}"))
            .collect();
        if missing.is_empty() {
            continue;
        }
        if fs
            .try_write(dir, "cgroup.subtree_control", &missing.join(" "))
            .is_err()
        {
            for c in &missing {
                let _ = fs.try_write(dir, "cgroup.subtree_control", c);
            }
        }
    }
}

/// Pids in `dir` and all its sub-cgroups, sorted, without duplicates; empty if it is gone.
pub fn pids_under(fs: &CgroupFs, dir: &Path) -> Result<Vec<i32>> {
    let mut pids = fs.procs(dir)?;
    for sub in fs.subdirs(dir) {
        pids.extend(fs.procs(&sub)?);
    }
    pids.sort_unstable();
    pids.dedup();
    Ok(pids)
}

/// Pids in all of `dirs` and their sub-cgroups, sorted, without duplicates.
pub fn all_pids(fs: &CgroupFs, dirs: &[&Path]) -> Vec<i32> {
    let mut pids: Vec<i32> = dirs
        .iter()
        .flat_map(|d| pids_under(fs, d).unwrap_or_default())
        .collect();
    pids.sort_unstable();
    pids.dedup();
    pids
}

/// How patient the teardown is: how long killed processes get to leave, and how often an
/// EBUSY directory is tried again. The real values follow runc (a few quick rmdir retries
/// per directory, five passes over what stayed with a doubling pause); the fake tree gets
/// the same counts without any waiting, so tests can count the attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patience {
    /// Longest wait for the killed processes to leave the cgroups.
    pub exit_wait: Duration,
    /// Stragglers get another SIGKILL this often while waiting.
    pub rekill_every: Duration,
    /// Attempts to remove one EBUSY directory within a pass.
    pub rmdir_tries: u32,
    /// Pause after the first failed attempt (doubling after each further one).
    pub rmdir_pause: Duration,
    /// Passes over the directories that stayed.
    pub passes: u32,
    /// Pause before the second pass (doubling before each further one).
    pub pass_pause: Duration,
}

impl Patience {
    /// On a real cgroupfs: at most about 2 s of waiting for processes, then about 0.3 s of
    /// retries for a directory that stays busy.
    pub const REAL: Patience = Patience {
        exit_wait: Duration::from_secs(2),
        rekill_every: Duration::from_millis(100),
        rmdir_tries: 5,
        rmdir_pause: Duration::from_millis(2),
        passes: 5,
        pass_pause: Duration::from_millis(10),
    };

    /// On a fake tree: the same counts, no waiting.
    pub const FAKE: Patience = Patience {
        exit_wait: Duration::ZERO,
        rekill_every: Duration::ZERO,
        rmdir_tries: Self::REAL.rmdir_tries,
        rmdir_pause: Duration::ZERO,
        passes: Self::REAL.passes,
        pass_pause: Duration::ZERO,
    };

    /// The patience suited to `fs`.
    pub fn of(fs: &CgroupFs) -> Patience {
        if fs.is_fake() {
            Self::FAKE
        } else {
            Self::REAL
        }
    }
}

/// Sleeps `d` (nothing for zero).
fn nap(d: Duration) {
    if !d.is_zero() {
        sleep(d);
    }
}

/// Whether cgroup `dir` (or a sub-cgroup) still holds a process: `populated` of
/// `cgroup.events` where the hierarchy has it (v2), else the pids listed below it.
pub fn populated(fs: &CgroupFs, dir: &Path) -> bool {
    if let Ok(events) = fs.try_read(dir, "cgroup.events") {
        if let Some(v) = events.lines().find_map(|l| l.strip_prefix("populated ")) {
            return v.trim() != "0";
        }
    }
    !pids_under(fs, dir).unwrap_or_default().is_empty()
}

/// Waits (bounded by `p.exit_wait`, polling with a short backoff) until none of `dirs` holds
/// a process, SIGKILLing the stragglers again every `p.rekill_every`. Returns the pids left
/// (empty when they all went).
pub fn wait_empty(fs: &CgroupFs, dirs: &[&Path], p: &Patience) -> Vec<i32> {
    let start = Instant::now();
    let mut last_kill = start;
    let mut pause = Duration::from_millis(1);
    loop {
        if !dirs.iter().any(|d| populated(fs, d)) {
            return Vec::new();
        }
        let elapsed = start.elapsed();
        if elapsed >= p.exit_wait {
            return all_pids(fs, dirs);
        }
        if last_kill.elapsed() >= p.rekill_every {
            for pid in all_pids(fs, dirs) {
                fs.kill(pid);
            }
            last_kill = Instant::now();
        }
        nap(pause.min(p.exit_wait - elapsed));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// A cgroup directory the teardown could not remove, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stayed {
    /// The directory.
    pub path: PathBuf,
    /// Why: the errno of the last attempt, or that a sub-cgroup stayed.
    pub why: String,
}

/// What [`Stayed::why`] says of a directory that was not tried because a child stayed.
pub const CHILD_STAYED: &str = "a sub-cgroup could not be removed";

/// Removes `dir`, trying again while the kernel says EBUSY (it frees a cgroup shortly after
/// its last process has gone): `p.rmdir_tries` attempts with a doubling pause. A missing
/// directory is fine.
pub fn rmdir_patiently(fs: &CgroupFs, dir: &Path, p: &Patience) -> std::io::Result<()> {
    let mut pause = p.rmdir_pause;
    let mut tries = 0;
    loop {
        match fs.rmdir(dir) {
            Ok(()) => return Ok(()),
            Err(e) if is_errno(&e, Errno::EINTR) => {}
            Err(e) if is_errno(&e, Errno::EBUSY) && tries + 1 < p.rmdir_tries.max(1) => {
                tries += 1;
                nap(pause);
                pause *= 2;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Removes `dir` and its sub-cgroups, depth first (children before their parent). A child
/// that cannot be removed does not stop its siblings; its parent is then left too (it
/// cannot go while a child exists). Everything that stayed is appended to `stayed`.
/// Returns whether `dir` is gone.
pub fn remove_tree(fs: &CgroupFs, dir: &Path, p: &Patience, stayed: &mut Vec<Stayed>) -> bool {
    if !dir.is_dir() {
        return true;
    }
    let mut children_gone = true;
    for child in fs.children(dir) {
        if !remove_tree(fs, &child, p, stayed) {
            children_gone = false;
        }
    }
    if !children_gone {
        stayed.push(Stayed {
            path: dir.to_path_buf(),
            why: CHILD_STAYED.into(),
        });
        return false;
    }
    match rmdir_patiently(fs, dir, p) {
        Ok(()) => true,
        Err(e) => {
            stayed.push(Stayed {
                path: dir.to_path_buf(),
                why: errno_text(&e),
            });
            false
        }
    }
}

/// Removes every tree of `dirs` that it can, in up to `p.passes` passes: each pass tries
/// every directory still there (all hierarchies, whatever failed before), and between
/// passes the processes still inside get another SIGKILL and the kernel a moment
/// (doubling from `p.pass_pause`). Returns what stayed after the last pass, each with the
/// index into `dirs` of the tree it belongs to.
pub fn remove_trees(fs: &CgroupFs, dirs: &[&Path], p: &Patience) -> Vec<(usize, Stayed)> {
    let mut pending: Vec<usize> = (0..dirs.len()).collect();
    let mut stayed = Vec::new();
    let mut pause = p.pass_pause;
    for pass in 0..p.passes.max(1) {
        if pass > 0 {
            let left: Vec<&Path> = pending.iter().map(|&i| dirs[i]).collect();
            for pid in all_pids(fs, &left) {
                fs.kill(pid);
            }
            nap(pause);
            pause *= 2;
        }
        stayed.clear();
        pending.retain(|&i| {
            let mut here = Vec::new();
            let gone = remove_tree(fs, dirs[i], p, &mut here);
            stayed.extend(here.into_iter().map(|s| (i, s)));
            !gone
        });
        if pending.is_empty() {
            break;
        }
    }
    stayed
}
