//! `rm` and `container prune`: a container's processes, mounts, directory, record and
//! (with `-v`) anonymous volumes.

use std::fs;

use crate::containers::record::{self, ContainerRecord};
use crate::containers::rootfs::unmount_rootfs;
use crate::engine::Engine;
use crate::error::{io_err, Error, Result};
use crate::lock::Lock;
use crate::txn::kind;
use berth_store::journal::Entry;

impl Engine {
    /// Removes a container; a running one only with `force` (killed first). With `volumes`,
    /// its anonymous volumes go too. The removal is journaled: if this process is killed
    /// half-way, the next command finishes it.
    pub fn remove_container(&self, r: &ContainerRecord, force: bool, volumes: bool) -> Result<()> {
        self.clean_dead_owners()?;
        self.remove_container_now(r, force, volumes)
    }

    /// [`Engine::remove_container`] without the cleanup of dead commands first (what that
    /// cleanup itself uses to finish a killed `rm`).
    pub(crate) fn remove_container_now(
        &self,
        r: &ContainerRecord,
        force: bool,
        volumes: bool,
    ) -> Result<()> {
        // One remover at a time per container (the monitor's --rm hook may race a user's rm).
        let _lock = Lock::exclusive(&self.paths.locks(), &r.id)?;
        if self
            .db
            .query_row(
                "SELECT 1 FROM containers WHERE id = ?1",
                [&r.id],
                |_| Ok(()),
            )
            .is_err()
        {
            return Ok(());
        }
        let journal = self.open_journal()?;
        journal.record(&Entry::other(kind::RM, r.id.clone()))?;
        let removed = self.remove_container_files(r, force, volumes);
        let _ = journal.finish();
        removed
    }

    /// The removal itself: processes, network, mounts, directory, record, volumes.
    fn remove_container_files(
        &self,
        r: &ContainerRecord,
        force: bool,
        volumes: bool,
    ) -> Result<()> {
        let s = self.state(r);
        if s.is_running() || s.status == "restarting" {
            if !force {
                return Err(Error::Conflict(format!(
                    "cannot remove container \"/{}\": container is running: stop the container before removing or force remove",
                    r.name
                )));
            }
            self.stop_container(r, Some(0), Some("SIGKILL"))?;
        }
        let dir = self.paths.container(&r.id);
        if s.monitor_pid > 0 && s.monitor_pid != std::process::id() as i32 {
            // Let a finishing monitor write its last status and go (at most 2 s).
            crate::containers::state::wait_pid_exit(
                s.monitor_pid,
                std::time::Duration::from_secs(2),
            );
        }
        let _ = berth_runtime::ops::delete::delete(&self.runtime(), &r.id, true);
        if let Err(e) = self.disconnect_container(r) {
            eprintln!("warning: container {}: {e}", r.name);
        }
        {
            let _mutex = crate::containers::rootfs::RootfsMutex::lock(&dir);
            unmount_rootfs(&dir)?;
        }
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io_err("remove", &dir))?;
        }
        crate::testhook::pause_at("rm:dir-removed");
        let _ = fs::remove_file(self.paths.socket(&r.id));
        record::delete(&self.db, &r.id)?;
        if let Err(e) = self.forget_container_network(r) {
            eprintln!("warning: container {}: {e}", r.name);
        }
        self.container_event(r, "destroy");
        if volumes || r.auto_remove {
            for m in r.mounts.iter().filter(|m| m.anonymous) {
                if let Some(name) = &m.name {
                    let _ = self.remove_volume(name, false);
                }
            }
        }
        let _ = fs::remove_file(self.paths.locks().join(&r.id));
        Ok(())
    }

    /// Removes every stopped container; returns their IDs.
    pub fn prune_containers(
        &self,
        filter: &crate::system::prune_filter::PruneFilter,
    ) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        for r in record::list(&self.db)? {
            let labels = crate::system::prune_filter::labels_of(&r.config["Labels"]);
            if !filter.matches(&r.created, &labels) {
                continue;
            }
            let s = self.state(&r);
            if !s.is_running() && s.status != "restarting" {
                self.remove_container(&r, false, false)?;
                removed.push(r.id);
            }
        }
        Ok(removed)
    }

    /// Renames a container.
    pub fn rename_container(&self, r: &ContainerRecord, new_name: &str) -> Result<()> {
        let new_name = new_name.strip_prefix('/').unwrap_or(new_name);
        if !crate::ids::valid_name(new_name) {
            return Err(Error::Invalid(format!(
                "Invalid container name ({new_name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
            )));
        }
        if new_name == r.name {
            return Err(Error::Invalid(
                "Renaming a container with the same name as its current name".into(),
            ));
        }
        let mut r = r.clone();
        r.name = new_name.to_string();
        record::update(&self.db, &r).inspect(|()| self.container_event(&r, "rename"))
    }
}
