//! Creating and removing cgroup directories: `mkdir -p` below the hierarchy root, v1 cpuset
//! initialisation, enabling v2 controllers in ancestors, listing pids, and the kill-then-rmdir
//! teardown used by `destroy`.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::Duration;

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

/// Waits (about 5 s at most) until `dirs` hold no process, SIGKILLing stragglers now and
/// then. Returns whether they ended up empty.
pub fn wait_empty(fs: &CgroupFs, dirs: &[&Path]) -> bool {
    let rounds = if fs.is_fake() { 1 } else { 250 };
    for round in 1..=rounds {
        let pids = all_pids(fs, dirs);
        if pids.is_empty() {
            return true;
        }
        if round % 10 == 0 {
            for &pid in &pids {
                fs.kill(pid);
            }
        }
        if !fs.is_fake() {
            sleep(Duration::from_millis(20));
        }
    }
    all_pids(fs, dirs).is_empty()
}

/// Removes `dir` and its sub-cgroups, deepest first; a missing directory is fine. Retries
/// briefly on EBUSY (the kernel releases a cgroup shortly after its last process exits).
pub fn remove_tree(fs: &CgroupFs, dir: &Path) -> Result<()> {
    let mut all = fs.subdirs(dir);
    all.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    all.push(dir.to_path_buf());
    for d in &all {
        let mut tries = 0;
        loop {
            match fs.rmdir(d) {
                Ok(()) => break,
                Err(e) if is_errno(&e, Errno::EBUSY) && tries < 50 => {
                    tries += 1;
                    sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(cg_err(d, format!("remove directory: {}", errno_text(&e)))),
            }
        }
    }
    Ok(())
}
