//! Volumes: directories under `<root>/volumes/<name>/_data`, recorded in SQLite. A named
//! volume is created on first use and, like Docker's, seeded from the image's content at its
//! mount point when it is new and empty.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension};
use serde_json::{json, Value};

use crate::engine::Engine;
use crate::error::{io_err, Error, Result};

/// One volume.
#[derive(Debug, Clone)]
pub struct Volume {
    /// Name.
    pub name: String,
    /// Creation time (RFC 3339).
    pub created: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Made for an unnamed mount point.
    pub anonymous: bool,
}

impl Engine {
    /// Where a volume's data lives.
    pub fn volume_path(&self, name: &str) -> PathBuf {
        self.paths.volumes().join(name).join("_data")
    }

    /// Creates a volume (an existing one is returned as is). Returns whether it was new.
    pub fn create_volume(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
        anonymous: bool,
    ) -> Result<bool> {
        if !crate::ids::valid_name(name) {
            return Err(Error::Invalid(format!(
                "create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed"
            )));
        }
        let dir = self.volume_path(name);
        fs::create_dir_all(&dir).map_err(io_err("create volume", &dir))?;
        let labels_json = serde_json::to_string(labels).unwrap_or_else(|_| "{}".into());
        let n = self.db.execute(
            "INSERT OR IGNORE INTO volumes(name, created, labels, anonymous) VALUES (?1, ?2, ?3, ?4)",
            params![name, berth_runtime::state::now_rfc3339(), labels_json, anonymous],
        )?;
        if n > 0 {
            self.event("volume", "create", name, &[("driver", "local")]);
        }
        Ok(n > 0)
    }

    /// One volume by name.
    pub fn volume(&self, name: &str) -> Result<Volume> {
        self.db
            .query_row(
                "SELECT name, created, labels, anonymous FROM volumes WHERE name = ?1",
                [name],
                row_to_volume,
            )
            .optional()?
            .ok_or_else(|| Error::NoSuchVolume(name.to_string()))
    }

    /// Every volume.
    pub fn volumes(&self) -> Result<Vec<Volume>> {
        let mut stmt = self
            .db
            .prepare("SELECT name, created, labels, anonymous FROM volumes ORDER BY name")?;
        let v = stmt
            .query_map([], row_to_volume)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// Names of containers mounting a volume.
    pub fn volume_users(&self, name: &str) -> Result<Vec<String>> {
        Ok(crate::containers::brief::list(&self.db)?
            .into_iter()
            .filter(|c| c.mounts.iter().any(|m| m.name.as_deref() == Some(name)))
            .map(|c| c.name)
            .collect())
    }

    /// Names of the volumes some container mounts.
    pub fn mounted_volumes(&self) -> Result<std::collections::HashSet<String>> {
        Ok(crate::containers::brief::list(&self.db)?
            .into_iter()
            .flat_map(|c| c.mounts.into_iter().filter_map(|m| m.name))
            .collect())
    }

    /// Removes a volume; refused while a container uses it unless `force`.
    pub fn remove_volume(&self, name: &str, force: bool) -> Result<()> {
        self.volume(name)?;
        let users = self.volume_users(name)?;
        if !users.is_empty() && !force {
            return Err(Error::Conflict(format!(
                "remove {name}: volume is in use - [{}]",
                users.join(", ")
            )));
        }
        let dir = self.paths.volumes().join(name);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io_err("remove volume", &dir))?;
        }
        self.db
            .execute("DELETE FROM volumes WHERE name = ?1", [name])?;
        self.event("volume", "destroy", name, &[("driver", "local")]);
        Ok(())
    }

    /// Removes unused volumes (anonymous only unless `all`); returns names and bytes freed.
    pub fn prune_volumes(
        &self,
        all: bool,
        filter: &crate::system::prune_filter::PruneFilter,
    ) -> Result<(Vec<String>, u64)> {
        let mut removed = Vec::new();
        let mut bytes = 0;
        for v in self.volumes()? {
            if (!all && !v.anonymous)
                || !filter.matches(&v.created, &v.labels)
                || !self.volume_users(&v.name)?.is_empty()
            {
                continue;
            }
            bytes += dir_size(&self.volume_path(&v.name));
            self.remove_volume(&v.name, false)?;
            removed.push(v.name);
        }
        Ok((removed, bytes))
    }

    /// Docker's `volume inspect` object.
    pub fn inspect_volume(&self, name: &str) -> Result<Value> {
        let v = self.volume(name)?;
        Ok(json!({
            "CreatedAt": v.created,
            "Driver": "local",
            "Labels": v.labels,
            "Mountpoint": self.volume_path(name),
            "Name": v.name,
            "Options": null,
            "Scope": "local",
        }))
    }
}

fn row_to_volume(r: &rusqlite::Row<'_>) -> rusqlite::Result<Volume> {
    let labels: String = r.get(2)?;
    Ok(Volume {
        name: r.get(0)?,
        created: r.get(1)?,
        labels: serde_json::from_str(&labels).unwrap_or_default(),
        anonymous: r.get(3)?,
    })
}

/// Total size of regular files under `dir` (not following symlinks).
pub fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    for e in entries.flatten() {
        match e.file_type() {
            Ok(t) if t.is_dir() => total += dir_size(&e.path()),
            Ok(t) if t.is_file() => total += e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => {}
        }
    }
    total
}

/// Copies the tree at `src` into the empty directory `dst`, keeping modes, owners and
/// symlinks (never following them): Docker's seeding of a new volume from the image.
pub fn copy_tree(src: &Path, dst: &Path) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = fs::symlink_metadata(src).map_err(io_err("stat", src))?;
    fs::set_permissions(dst, fs::Permissions::from_mode(meta.mode() & 0o7777))
        .map_err(io_err("chmod", dst))?;
    std::os::unix::fs::lchown(dst, Some(meta.uid()), Some(meta.gid()))
        .map_err(io_err("chown", dst))?;
    for e in fs::read_dir(src).map_err(io_err("read", src))? {
        let e = e.map_err(io_err("read", src))?;
        let (from, to) = (e.path(), dst.join(e.file_name()));
        let m = fs::symlink_metadata(&from).map_err(io_err("stat", &from))?;
        let ft = m.file_type();
        if ft.is_dir() {
            fs::create_dir(&to).map_err(io_err("create", &to))?;
            copy_tree(&from, &to)?;
        } else if ft.is_symlink() {
            let target = fs::read_link(&from).map_err(io_err("readlink", &from))?;
            std::os::unix::fs::symlink(&target, &to).map_err(io_err("symlink", &to))?;
            std::os::unix::fs::lchown(&to, Some(m.uid()), Some(m.gid()))
                .map_err(io_err("chown", &to))?;
        } else if ft.is_file() {
            fs::copy(&from, &to).map_err(io_err("copy", &to))?;
            std::os::unix::fs::lchown(&to, Some(m.uid()), Some(m.gid()))
                .map_err(io_err("chown", &to))?;
            fs::set_permissions(&to, fs::Permissions::from_mode(m.mode() & 0o7777))
                .map_err(io_err("chmod", &to))?;
        }
    }
    Ok(())
}
