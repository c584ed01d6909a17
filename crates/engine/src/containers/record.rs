//! The container record kept in SQLite: what `inspect` and `ps` report about a container's
//! configuration (its live state comes from the monitor's status file).

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::{Error, Result};

/// A mount as `inspect` shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MountRecord {
    /// bind, volume or tmpfs.
    pub kind: String,
    /// Volume name (volumes only).
    pub name: Option<String>,
    /// Host path.
    pub source: String,
    /// Path in the container.
    pub destination: String,
    /// Writable.
    pub rw: bool,
    /// Options as given (`ro`, `z`, propagation).
    pub mode: String,
    /// Bind propagation.
    pub propagation: String,
    /// An anonymous volume (removed with `rm -v` / `--rm`).
    pub anonymous: bool,
}

/// Everything the engine remembers about a container's configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContainerRecord {
    /// Full ID.
    pub id: String,
    /// Name (without the leading `/`).
    pub name: String,
    /// Image ID.
    pub image_id: String,
    /// The image as the user named it.
    pub image: String,
    /// Creation time (RFC 3339 nano).
    pub created: String,
    /// The process: program.
    pub path: String,
    /// The process: arguments.
    pub args: Vec<String>,
    /// Docker's `Config` object.
    pub config: serde_json::Value,
    /// Docker's `HostConfig` object.
    pub host_config: serde_json::Value,
    /// Mounts.
    pub mounts: Vec<MountRecord>,
    /// Terminal.
    pub tty: bool,
    /// Keep stdin open.
    pub stdin_open: bool,
    /// Signal that stops it (`SIGTERM`).
    pub stop_signal: String,
    /// Seconds `stop` waits before SIGKILL.
    pub stop_timeout: i64,
    /// Remove when it exits.
    pub auto_remove: bool,
    /// none, host, default.
    pub network_mode: String,
    /// The monitor configuration (restart policy, healthcheck, logs).
    pub monitor: berth_monitor::config::MonitorConfig,
    /// Its place on a bridge network (none for `--network none|host|container:`).
    #[serde(default)]
    pub net: Option<crate::network::Attachment>,
    /// Networks joined later with `network connect` (`eth1`, `eth2`, ...).
    #[serde(default)]
    pub extra_nets: Vec<crate::network::Attachment>,
}

impl ContainerRecord {
    /// Every network attachment: the first network's, then those `network connect` added.
    pub fn attachments(&self) -> impl Iterator<Item = &crate::network::Attachment> {
        self.net.iter().chain(self.extra_nets.iter())
    }

    /// The 12-character short ID.
    pub fn short_id(&self) -> &str {
        &self.id[..12]
    }
}

/// Inserts a new container; a taken name gives `NameInUse`.
pub fn insert(conn: &Connection, r: &ContainerRecord) -> Result<()> {
    let json = serde_json::to_string(r)
        .map_err(|e| Error::Invalid(format!("serialise container record: {e}")))?;
    match conn.execute(
        "INSERT INTO containers(id, name, image_id, created, record) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![r.id, r.name, r.image_id, r.created, json],
    ) {
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(Error::NameInUse(r.name.clone()))
        }
        Err(e) => Err(e.into()),
        Ok(_) => crate::containers::listing::insert(conn, r),
    }
}

/// Rewrites a container's record (rename, config changes).
pub fn update(conn: &Connection, r: &ContainerRecord) -> Result<()> {
    let json = serde_json::to_string(r)
        .map_err(|e| Error::Invalid(format!("serialise container record: {e}")))?;
    match conn.execute(
        "UPDATE containers SET name = ?2, record = ?3 WHERE id = ?1",
        params![r.id, r.name, json],
    ) {
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(Error::NameInUse(r.name.clone()))
        }
        Err(e) => Err(e.into()),
        Ok(_) => crate::containers::listing::update(conn, r),
    }
}

/// Deletes a container's row (its listing row goes with it: a trigger).
pub fn delete(conn: &Connection, id: &str) -> Result<()> {
    conn.execute("DELETE FROM containers WHERE id = ?1", [id])?;
    Ok(())
}

/// A stored JSON column that does not parse, as SQLite's conversion error.
pub(crate) fn bad_json(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
}

fn parse(json: String) -> rusqlite::Result<ContainerRecord> {
    serde_json::from_str(&json).map_err(bad_json)
}

/// Every container, newest first.
pub fn list(conn: &Connection) -> Result<Vec<ContainerRecord>> {
    // Sorted here: `ORDER BY created` (no index) makes SQLite copy every whole record into
    // a sorter that spills to a temporary file once the records pass its cache, a write and
    // a read of each record (measured at 1,000 containers).
    let mut stmt = conn.prepare("SELECT record FROM containers")?;
    let mut v: Vec<ContainerRecord> = stmt
        .query_map([], |r| parse(r.get(0)?))?
        .collect::<rusqlite::Result<_>>()?;
    v.sort_by(|a, b| b.created.cmp(&a.created));
    Ok(v)
}

/// Whether a name is taken.
pub fn name_taken(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn
        .query_row("SELECT 1 FROM containers WHERE name = ?1", [name], |_| {
            Ok(())
        })
        .optional()?
        .is_some())
}

impl Engine {
    /// The container `what` names: a name (with or without `/`), a full ID or an ID prefix.
    pub fn container(&self, what: &str) -> Result<ContainerRecord> {
        let name = what.strip_prefix('/').unwrap_or(what);
        let by_name: Option<String> = self
            .db
            .query_row(
                "SELECT record FROM containers WHERE name = ?1 OR id = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(json) = by_name {
            return Ok(parse(json)?);
        }
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut stmt = self.db.prepare(
                "SELECT record FROM containers WHERE substr(id, 1, length(?1)) = ?1 LIMIT 2",
            )?;
            let found: Vec<String> = stmt
                .query_map([name], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            match found.len() {
                1 => return Ok(parse(found.into_iter().next().unwrap_or_default())?),
                0 => {}
                _ => {
                    return Err(Error::Ambiguous {
                        kind: "container",
                        prefix: what.to_string(),
                    })
                }
            }
        }
        Err(Error::NoSuchContainer(what.to_string()))
    }
}
