//! Crash safety without a daemon: commands that add content (import, load, build) or remove
//! a container run under an owner journal (`<root>/txn/<pid>-<start time>-<n>`, see
//! [`berth_store::journal`]) naming what they make before anything references it.
//!
//! * A command that fails rolls its own journal back ([`Engine::journaled`]): under the
//!   exclusive store lock it stops the build containers it started, frees their network
//!   places, unmounts and removes its scratch directories, and deletes the blobs and layers it
//!   added that no image, build cache entry, pending pull or live journal references. What
//!   existed before, or what another command now uses, stays.
//! * A command that is killed leaves its journal. The next command that adds or removes
//!   content, GC and `system check` list `<root>/txn` (one `readdir`; nothing more when it is
//!   empty) and roll back the journals whose owner is dead: its pid is gone, or belongs to a
//!   process that started at another time (a reused pid). A killed `rm` is finished instead.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use berth_store::journal::{self, Entry, Journal};
use berth_store::Digest;

use crate::containers::rootfs::unmount_rootfs;
use crate::engine::Engine;
use crate::error::{Error, Result};

use crate::lock::Lock;

/// Journal kinds the engine writes besides blobs and layers.
pub(crate) mod kind {
    /// A build's scratch directory (overlay mounts below it are undone first).
    pub const DIR: &str = "dir";
    /// A build RUN step's container in the runtime (killed and deleted).
    pub const CONTAINER: &str = "container";
    /// A build RUN step's place on the default bridge, by step key.
    pub const STEP_NET: &str = "stepnet";
    /// A container being removed (the removal is finished).
    pub const RM: &str = "rm";
}

/// This process as a journal owner: `<pid>-<start time>` (start time from /proc/self/stat,
/// in clock ticks since boot).
fn own_owner() -> String {
    let pid = std::process::id() as i32;
    let start = berth_runtime::state::start_time(pid).unwrap_or(0);
    format!("{pid}-{start}")
}

/// A fresh journal name for this process: `<pid>-<start time>-<n>`.
fn own_name() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        own_owner(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The (pid, start time) a journal name `<pid>-<start>-<n>` gives; `None` for a name berth
/// did not write.
pub(crate) fn owner_of(name: &str) -> Option<(i32, u64)> {
    let mut parts = name.split('-');
    let pid = parts.next()?.parse().ok()?;
    let start = parts.next()?.parse().ok()?;
    Some((pid, start))
}

/// Whether the owner named in journal `name` still runs: the pid exists, is not a zombie,
/// and started when the journal says (else the pid was reused). A name that is not berth's
/// has no live owner.
pub(crate) fn owner_alive(name: &str) -> bool {
    match owner_of(name) {
        // Start time 0 (unknown when the journal was made): the pid alone decides.
        Some((pid, start)) if pid > 0 => berth_runtime::state::process_matches(pid, start),
        _ => false,
    }
}

impl Engine {
    /// `<root>/txn`: the owner journals.
    pub(crate) fn journal_dir(&self) -> PathBuf {
        self.paths.root.join("txn")
    }

    /// Opens a journal for this process (for commands that do not add content, like `rm`).
    pub(crate) fn open_journal(&self) -> Result<Journal> {
        Ok(Journal::create(&self.journal_dir(), &own_name())?)
    }

    /// Runs `f` with every blob and layer it adds journaled. On success the journal goes; on
    /// failure what `f` made and nothing references is removed before the error is returned.
    /// `f` must take (and drop) the store lock itself: the rollback takes it exclusively.
    /// Nested calls (a pull inside a build) join the outer journal.
    pub(crate) fn journaled<T, E>(
        &mut self,
        lift: impl Fn(Error) -> E,
        f: impl FnOnce(&mut Engine) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        if self.journal.is_some() {
            return f(self);
        }
        self.clean_dead_owners().map_err(&lift)?;
        let j = self.open_journal().map_err(&lift)?;
        let journaled = self.blobs.journaled(&j);
        let plain = std::mem::replace(&mut self.blobs, journaled);
        self.journal = Some(j.clone());
        let result = f(self);
        self.blobs = plain;
        self.journal = None;
        match result {
            Ok(v) => {
                // A journal left here is rolled back after this process exits; by then what
                // it names is referenced, so only the file goes.
                let _ = j.finish();
                Ok(v)
            }
            Err(e) => {
                if let Err(undo) = self.roll_back_own(&j) {
                    eprintln!("warning: cleaning up after the failure: {undo}");
                }
                Err(e)
            }
        }
    }

    /// Rolls back this process's journal `j` under the exclusive store lock. If another
    /// command holds the store lock now (a long build), the journal is left instead of
    /// waiting: once this process has exited, the next command rolls it back.
    fn roll_back_own(&self, j: &Journal) -> Result<()> {
        match Lock::try_exclusive(&self.paths.locks(), "store")? {
            Some(_lock) => self.roll_back(&[j.path().to_path_buf()]),
            None => Ok(()),
        }
    }

    /// Rolls back the journals of dead owners, if any (one `readdir` when there are none).
    /// Takes the store lock exclusively only when there is work, and only if it is free now:
    /// a command never waits for another's build to clean up after a third (the next one
    /// will). Does nothing inside a journaled command (which holds the store lock shared).
    pub fn clean_dead_owners(&self) -> Result<()> {
        if self.journal.is_some() || self.dead_journals()?.is_empty() {
            return Ok(());
        }
        match Lock::try_exclusive(&self.paths.locks(), "store")? {
            Some(_lock) => self.clean_dead_owners_locked(),
            None => Ok(()),
        }
    }

    /// [`Engine::clean_dead_owners`] for callers already holding the store lock exclusively
    /// (GC, `system check`).
    pub(crate) fn clean_dead_owners_locked(&self) -> Result<()> {
        let dead = self.dead_journals()?;
        if dead.is_empty() {
            return Ok(());
        }
        self.roll_back(&dead)
    }

    /// The journals whose owner is gone.
    fn dead_journals(&self) -> Result<Vec<PathBuf>> {
        Ok(journal::list(&self.journal_dir())?
            .into_iter()
            .filter(|(name, _)| !owner_alive(name))
            .map(|(_, path)| path)
            .collect())
    }

    /// What the journals of live owners (but `own`) name: content in the making, neither
    /// garbage nor a finding.
    pub(crate) fn in_the_making(
        &self,
        own: &[PathBuf],
    ) -> Result<(HashSet<Digest>, HashSet<Digest>)> {
        let (mut blobs, mut chains) = (HashSet::new(), HashSet::new());
        for (name, path) in journal::list(&self.journal_dir())? {
            if own.contains(&path) || !owner_alive(&name) {
                continue;
            }
            for e in journal::read_entries(&path)? {
                match e {
                    Entry::Blob(d) => {
                        blobs.insert(d);
                    }
                    Entry::Layer(c) => {
                        chains.insert(c);
                    }
                    Entry::Other { .. } => {}
                }
            }
        }
        Ok((blobs, chains))
    }

    /// Undoes what `journals` name (the caller holds the store lock exclusively) and deletes
    /// them. A journal that cannot be rolled back whole is kept (the next command tries
    /// again) and named in a warning: cleaning up after others never fails a command.
    fn roll_back(&self, journals: &[PathBuf]) -> Result<()> {
        for path in journals {
            let undone = self
                .roll_back_one(path, journals)
                .and_then(|()| Ok(journal::remove_journal(path)?));
            if let Err(e) = undone {
                eprintln!(
                    "warning: undoing what an interrupted command left ({}): {e}",
                    path.display()
                );
            }
        }
        Ok(())
    }

    /// Undoes one journal: engine things first, newest first (containers before the
    /// directories their rootfs is mounted in); then blobs and layers nothing references.
    fn roll_back_one(&self, path: &Path, rolling_back: &[PathBuf]) -> Result<()> {
        let mut blobs = Vec::new();
        let mut chains = Vec::new();
        let mut others = Vec::new();
        for e in journal::read_entries(path)? {
            match e {
                Entry::Blob(d) => blobs.push(d),
                Entry::Layer(c) => chains.push(c),
                Entry::Other { kind, value } => others.push((kind, value)),
            }
        }
        for (kind, value) in others.iter().rev() {
            self.undo(kind, value)?;
        }
        if !blobs.is_empty() || !chains.is_empty() {
            self.remove_unreferenced(&blobs, &chains, rolling_back)?;
        }
        Ok(())
    }

    /// Deletes those of `blobs` and `chains` that nothing references: no image, build cache
    /// entry or pending pull, and no live journal but `own` ones.
    fn remove_unreferenced(
        &self,
        blobs: &[Digest],
        chains: &[Digest],
        own: &[PathBuf],
    ) -> Result<()> {
        let mut readable = true;
        let live = self.live_content(&mut |_, image| readable &= image.is_ok())?;
        let making = self.in_the_making(own)?;
        let layers = self.layer_store()?;
        for c in chains {
            if !live.chains.contains(c) && !making.1.contains(c) {
                layers.remove(c)?;
            }
        }
        // A broken image's blobs are unknown: keep every blob (system check reports them).
        if readable {
            for d in blobs {
                if !live.blobs.contains(d) && !making.0.contains(d) {
                    self.blobs.delete(d)?;
                }
            }
        }
        Ok(())
    }

    /// Undoes one engine entry of a journal.
    fn undo(&self, kind: &str, value: &str) -> Result<()> {
        match kind {
            kind::CONTAINER => self.delete_step_container(value),
            kind::STEP_NET => {
                self.release_build_step(value);
                Ok(())
            }
            kind::DIR => remove_scratch(Path::new(value)),
            kind::RM => self.finish_removal(value),
            _ => Ok(()),
        }
    }

    /// Kills a build step's container and removes its cgroup and state (gone is fine). A
    /// cgroup can stay busy for a moment after its last process was killed: retried for up
    /// to 2 s.
    fn delete_step_container(&self, id: &str) -> Result<()> {
        let globals = self.runtime();
        let mut tries = 0;
        loop {
            match berth_runtime::ops::delete::delete(&globals, id, true) {
                Ok(()) => return Ok(()),
                Err(_) if !berth_runtime::state::dir(&globals.root, id).exists() => return Ok(()),
                Err(_) if tries < 20 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Finishes the removal of container `id` that a killed `rm` began.
    fn finish_removal(&self, id: &str) -> Result<()> {
        match crate::containers::record::list(&self.db)?
            .into_iter()
            .find(|r| r.id == id)
        {
            // Running again: started after the `rm` was killed, so wanted; left alone.
            Some(r) if self.state(&r).is_running() => Ok(()),
            Some(r) => self.remove_container_now(&r, true, false),
            None => {
                // The record went last: only files can be left.
                let _ = berth_runtime::ops::delete::delete(&self.runtime(), id, true);
                let dir = self.paths.container(id);
                unmount_rootfs(&dir)?;
                crate::system::remove_path(&dir)?;
                let _ = fs::remove_file(self.paths.socket(id));
                Ok(())
            }
        }
    }
}

/// Unmounts what is mounted in the step directories of a build scratch dir and removes it.
fn remove_scratch(dir: &Path) -> Result<()> {
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            unmount_rootfs(&e.path())?;
        }
    }
    crate::system::remove_path(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_told_by_pid_and_start_time() {
        let me = own_name();
        assert!(owner_alive(&me), "{me}");
        let (pid, start) = owner_of(&me).unwrap();
        assert_eq!(pid, std::process::id() as i32);
        // The same pid with another start time: a reused pid, so the owner is dead.
        assert!(!owner_alive(&format!("{pid}-{}-0", start + 1)));
        // A pid that does not exist.
        assert!(!owner_alive(&format!("{}-{start}-0", i32::MAX)));
        assert!(!owner_alive("junk"));
        assert!(!owner_alive("0-0-0"));
        assert_eq!(owner_of("12-34-5"), Some((12, 34)));
    }

    /// A journal name whose owner is dead: this pid with another start time.
    fn dead_name(n: u32) -> String {
        let (pid, start) = owner_of(&own_name()).unwrap();
        format!("{pid}-{}-{n}", start + 1)
    }

    #[test]
    fn dead_journals_are_rolled_back_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(crate::paths::Paths::new(Some(dir.path()))).unwrap();
        let before = engine.blobs.put_bytes(b"stored before").unwrap();
        // A dead command made `made` and stored `before` again (already there: not recorded).
        let dead = Journal::create(&engine.journal_dir(), &dead_name(0)).unwrap();
        let made = engine.blobs.journaled(&dead).put_bytes(b"made").unwrap();
        engine
            .blobs
            .journaled(&dead)
            .put_bytes(b"stored before")
            .unwrap();
        let scratch = dir.path().join("build/scratch");
        fs::create_dir_all(scratch.join("step")).unwrap();
        dead.record(&Entry::other(kind::DIR, scratch.display().to_string()))
            .unwrap();
        // What a live command is making stays, even if the dead one named it too.
        let live = engine.open_journal().unwrap();
        let making = engine.blobs.journaled(&live).put_bytes(b"making").unwrap();
        dead.record(&Entry::Blob(making.clone())).unwrap();
        let layers = engine.layer_store().unwrap().journaled(Some(&dead));
        let tar = {
            let mut b = tar::Builder::new(Vec::new());
            let mut h = tar::Header::new_gnu();
            h.set_size(1);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, "f", &b"x"[..]).unwrap();
            b.into_inner().unwrap()
        };
        let diff_id = Digest::of_bytes(&tar);
        layers
            .ensure(&diff_id, &diff_id, || Ok(std::io::Cursor::new(tar)))
            .unwrap();
        assert!(layers.exists(&diff_id));

        engine.clean_dead_owners().unwrap();
        assert!(engine.blobs.exists(&before));
        assert!(!engine.blobs.exists(&made));
        assert!(engine.blobs.exists(&making));
        assert!(!layers.exists(&diff_id));
        assert!(!scratch.exists());
        let left: Vec<String> = journal::list(&engine.journal_dir())
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(left.len(), 1, "{left:?}");
        assert!(owner_alive(&left[0]));

        // The live command fails: its own rollback removes what it made.
        let (blobs, _) = engine.in_the_making(&[]).unwrap();
        assert!(blobs.contains(&making));
        engine.roll_back_own(&live).unwrap();
        assert!(!engine.blobs.exists(&making));
        assert!(journal::list(&engine.journal_dir()).unwrap().is_empty());
    }
}
