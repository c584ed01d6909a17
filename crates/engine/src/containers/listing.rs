//! The `container_listing` table: what listings read of each container, kept next to its
//! record so that `ps` at 1,000 containers reads a few hundred bytes per container instead
//! of a ~4 KB record and a status file.
//!
//! Each row holds the container's listing fields (a [`ContainerBrief`] as JSON, rewritten
//! with the record), its final state once it has stopped for good (a cache that listings
//! fill in: a stopped container's status file no longer changes until its next start), and
//! a count of its starts. A start bumps the count and clears the final state after removing
//! the old status file, and a listing stores a final state only where the count is still the
//! one it read before reading the status file, so a state from before a start is never kept
//! for after it. A container that was never started (count 0) has no status file to read.
//!
//! Rows are removed with their container by a trigger. A container without a row (its
//! record written by an older berth) gets one from its record before the next listing.

use rusqlite::{params, Connection};

use crate::containers::brief::ContainerBrief;
use crate::containers::record::ContainerRecord;
use crate::containers::state::State;
use crate::error::{Error, Result};

/// The table and its trigger (see `db` for the migration).
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS container_listing(
    created TEXT NOT NULL,        -- its creation time (RFC 3339 nano): listings' order
    id TEXT NOT NULL UNIQUE,      -- a container's ID
    brief TEXT NOT NULL,          -- JSON: its listing fields (containers::brief)
    final_state TEXT,             -- JSON: its state once stopped for good; NULL until a
                                  -- listing has seen it so, and again from its next start
    starts INTEGER NOT NULL,      -- how often it was started (0: never, no status file)
    PRIMARY KEY(created, id)      -- stored in listing order: read without sorting
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS container_listing_gone AFTER DELETE ON containers BEGIN
    DELETE FROM container_listing WHERE id = old.id;
END;
";

/// One container's listing row, borrowed from the database while it is read.
pub struct ListingRow<'a> {
    /// Its ID.
    pub id: &'a str,
    /// Its listing fields as stored.
    pub brief: &'a str,
    /// Its final state, when a listing has already seen it stopped for good.
    pub final_state: Option<&'a str>,
    /// How often it was started (see the module's doc).
    pub starts: i64,
}

fn json_err(what: &str, e: serde_json::Error) -> Error {
    Error::Invalid(format!("serialise {what}: {e}"))
}

/// The JSON stored for a record's listing fields.
fn brief_json(r: &ContainerRecord) -> Result<String> {
    serde_json::to_string(&ContainerBrief::of(r)).map_err(|e| json_err("container brief", e))
}

/// Adds the listing row of a container just created (never started).
pub fn insert(conn: &Connection, r: &ContainerRecord) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO container_listing(id, created, brief, final_state, starts) VALUES (?1, ?2, ?3, NULL, 0)",
        params![r.id, r.created, brief_json(r)?],
    )?;
    Ok(())
}

/// Rewrites a container's listing fields after its record changed (rename, networks);
/// its cached state stays. A missing row is added, counted as started.
pub fn update(conn: &Connection, r: &ContainerRecord) -> Result<()> {
    let brief = brief_json(r)?;
    let changed = conn.execute(
        "UPDATE container_listing SET brief = ?2 WHERE id = ?1",
        params![r.id, brief],
    )?;
    if changed == 0 {
        conn.execute(
            "INSERT OR IGNORE INTO container_listing(id, created, brief, final_state, starts) VALUES (?1, ?2, ?3, NULL, 1)",
            params![r.id, r.created, brief],
        )?;
    }
    Ok(())
}

/// Called by a start once the previous status file is gone and before the monitor is
/// spawned: counts the start and forgets the final state.
pub fn starting(conn: &Connection, id: &str) -> Result<()> {
    conn.execute(
        "UPDATE container_listing SET final_state = NULL, starts = starts + 1 WHERE id = ?1",
        [id],
    )?;
    Ok(())
}

/// Gives every container its listing row: a container without one (its record written by
/// an older berth, or its row lost to a crash between the two writes) gets it here, as
/// `backfill` runs when the two tables' counts differ.
pub fn complete(conn: &Connection) -> Result<()> {
    let counts =
        "SELECT (SELECT count(*) FROM containers), (SELECT count(*) FROM container_listing)";
    let (records, rows): (i64, i64) = conn.query_row(counts, [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if records != rows {
        if conn.is_autocommit() {
            let tx = rusqlite::Transaction::new_unchecked(
                conn,
                rusqlite::TransactionBehavior::Immediate,
            )?;
            backfill(&tx)?;
            tx.commit()?;
        } else {
            backfill(conn)?;
        }
    }
    Ok(())
}

/// Calls `f` with every container's listing row, newest first (call [`complete`] first).
pub fn each_row(conn: &Connection, mut f: impl FnMut(ListingRow) -> Result<()>) -> Result<()> {
    // The primary key's order, backwards: no sort.
    let mut stmt = conn.prepare_cached(
        "SELECT id, brief, final_state, starts FROM container_listing ORDER BY created DESC, id DESC",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let text = |i: usize| -> Result<Option<&str>> {
            Ok(r.get_ref(i)?
                .as_str_or_null()
                .map_err(rusqlite::Error::from)?)
        };
        f(ListingRow {
            id: text(0)?.unwrap_or_default(),
            brief: text(1)?.unwrap_or_default(),
            final_state: text(2)?,
            starts: r.get(3)?,
        })?;
    }
    Ok(())
}

/// Keeps the final states a listing saw, each only if the container has not been started
/// since its row was read (`starts` unchanged). Best effort, without waiting: when another
/// command holds the write lock, the next listing stores them instead.
pub fn remember_final_states(conn: &Connection, seen: &[(String, i64, State)]) {
    if seen.is_empty() {
        return;
    }
    if !conn.is_autocommit() {
        return; // inside a caller's transaction: a later listing stores them
    }
    let store = || -> Result<()> {
        conn.busy_timeout(std::time::Duration::ZERO)?;
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare(
                "UPDATE container_listing SET final_state = ?3 \
                 WHERE id = ?1 AND starts = ?2 AND final_state IS NULL",
            )?;
            for (id, starts, state) in seen {
                let json = serde_json::to_string(state).map_err(|e| json_err("state", e))?;
                stmt.execute(params![id, starts, json])?;
            }
        }
        tx.commit()?;
        Ok(())
    };
    let _ = store();
    let _ = conn.busy_timeout(crate::db::BUSY_TIMEOUT);
}

/// Fills the table for a database made before it existed: one row per container, counted
/// as started (it may have a status file). Runs in the caller's transaction.
pub fn backfill(conn: &Connection) -> Result<()> {
    let mut stmt = conn.prepare("SELECT id, name, image_id, created, record FROM containers")?;
    let records = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut add = conn.prepare(
        "INSERT OR IGNORE INTO container_listing(id, created, brief, final_state, starts) VALUES (?1, ?2, ?3, NULL, 1)",
    )?;
    for (id, name, image_id, created, text) in records {
        let brief = match serde_json::from_str::<ContainerRecord>(&text) {
            Ok(r) => ContainerBrief::of(&r),
            // A record that does not parse is still listed (so it can be seen and removed),
            // with what its row's columns say.
            Err(_) => ContainerBrief::unreadable(&id, &name, &image_id, &created),
        };
        let json = serde_json::to_string(&brief).map_err(|e| json_err("container brief", e))?;
        add.execute(params![id, created, json])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::containers::record::{self, ContainerRecord};
    use crate::engine::Engine;
    use berth_monitor::status::{write_status, Status};

    /// A container record as `create` stores it.
    fn record(n: u8, created: &str) -> ContainerRecord {
        let id = format!("{n:02x}").repeat(32);
        serde_json::from_value(serde_json::json!({
            "id": id, "name": format!("c{n}"), "image_id": "e7ad", "image": "bb:1",
            "created": created, "path": "sh", "args": ["-c", "true"],
            "config": {"Cmd": ["sh"], "Labels": {"k": "v"}, "ExposedPorts": {"80/tcp": {}}},
            "host_config": {}, "mounts": [], "tty": false, "stdin_open": false,
            "stop_signal": "SIGTERM", "stop_timeout": 10, "auto_remove": false,
            "network_mode": "none",
            "monitor": {"id": id, "runtime_root": "/r", "bundle": "/b", "ctr_dir": "/c",
                "socket": "/s", "tty": false, "stdin": false,
                "log": {"path": "/c/ctr.log", "max_size": 10, "max_files": 3},
                "restart": "no", "healthcheck": null, "on_exit": null, "berth_exe": "/berth"},
        }))
        .unwrap()
    }

    /// (name, starts, final state's status) of every row, newest first.
    fn listed(conn: &Connection) -> Vec<(String, i64, Option<String>)> {
        complete(conn).unwrap();
        let mut out = Vec::new();
        each_row(conn, |row| {
            let b = crate::containers::brief::parse(row.brief).unwrap();
            let fin = row
                .final_state
                .map(|j| serde_json::from_str::<State>(j).unwrap().status);
            out.push((b.name, row.starts, fin));
            Ok(())
        })
        .unwrap();
        out
    }

    fn exited(code: i32) -> State {
        State {
            status: "exited".into(),
            exit_code: code,
            ..Default::default()
        }
    }

    #[test]
    fn rows_follow_the_records() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("berth.db")).unwrap();
        for (n, created) in [
            (1, "2026-01-01T00:00:00.1Z"),
            (3, "2026-01-03T00:00:00.1Z"),
            (2, "2026-01-02T00:00:00.1Z"),
        ] {
            record::insert(&conn, &record(n, created)).unwrap();
        }
        let names =
            |v: Vec<(String, i64, Option<String>)>| v.into_iter().map(|r| r.0).collect::<Vec<_>>();
        assert_eq!(names(listed(&conn)), ["c3", "c2", "c1"]);
        // A rename rewrites the brief; a removal drops the row (the trigger).
        let mut r = record(2, "2026-01-02T00:00:00.1Z");
        r.name = "renamed".into();
        record::update(&conn, &r).unwrap();
        record::delete(&conn, &record(1, "").id).unwrap();
        assert_eq!(names(listed(&conn)), ["c3", "renamed"]);
        // The brief stored is the one parsed from the full record.
        let stored: String = conn
            .query_row(
                "SELECT brief FROM container_listing WHERE id = ?1",
                [&r.id],
                |x| x.get(0),
            )
            .unwrap();
        let from_record =
            crate::containers::brief::parse(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(stored, serde_json::to_string(&from_record).unwrap());
    }

    #[test]
    fn a_final_state_is_kept_only_until_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("berth.db")).unwrap();
        let r = record(1, "2026-01-01T00:00:00.1Z");
        record::insert(&conn, &r).unwrap();
        assert_eq!(listed(&conn), [("c1".into(), 0, None)]);
        starting(&conn, &r.id).unwrap();
        // Seen by a listing that read the row before a second start: not kept.
        starting(&conn, &r.id).unwrap();
        remember_final_states(&conn, &[(r.id.clone(), 1, exited(3))]);
        assert_eq!(listed(&conn), [("c1".into(), 2, None)]);
        remember_final_states(&conn, &[(r.id.clone(), 2, exited(3))]);
        assert_eq!(listed(&conn), [("c1".into(), 2, Some("exited".into()))]);
        // A record rewrite keeps it; a start forgets it.
        record::update(&conn, &r).unwrap();
        assert_eq!(listed(&conn), [("c1".into(), 2, Some("exited".into()))]);
        starting(&conn, &r.id).unwrap();
        assert_eq!(listed(&conn), [("c1".into(), 3, None)]);
    }

    #[test]
    fn missing_rows_are_filled_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("berth.db");
        {
            let conn = crate::db::open(&path).unwrap();
            record::insert(&conn, &record(1, "2026-01-01T00:00:00.1Z")).unwrap();
            record::insert(&conn, &record(2, "2026-01-02T00:00:00.1Z")).unwrap();
            // A database from before the table.
            conn.execute_batch(
                "DROP TRIGGER container_listing_gone; DROP TABLE container_listing;",
            )
            .unwrap();
        }
        let conn = crate::db::open(&path).unwrap();
        let want = [("c2".to_string(), 1, None), ("c1".to_string(), 1, None)];
        assert_eq!(listed(&conn), want);
        // A record that does not parse is still listed, by its columns.
        conn.execute(
            "UPDATE containers SET record = '{' WHERE id = ?1",
            [record(2, "").id],
        )
        .unwrap();
        conn.execute(
            "DELETE FROM container_listing WHERE id = ?1",
            [record(2, "").id],
        )
        .unwrap();
        assert_eq!(listed(&conn), want);
        // A row lost (a crash between the two writes) comes back with the next listing.
        conn.execute(
            "DELETE FROM container_listing WHERE id = ?1",
            [record(1, "").id],
        )
        .unwrap();
        assert_eq!(listed(&conn), want);
    }

    #[test]
    fn listings_read_a_status_file_until_they_know_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let e = Engine::open(crate::paths::Paths::new(Some(dir.path()))).unwrap();
        let r = record(1, "2026-01-01T00:00:00.1Z");
        record::insert(&e.db, &r).unwrap();
        let status = |e: &Engine| e.container_briefs().unwrap()[0].1.clone();
        assert_eq!(status(&e).status, "created");
        let ctr = e.paths.container(&r.id);
        std::fs::create_dir_all(&ctr).unwrap();
        let file = |code| Status {
            status: "exited".into(),
            exit_code: code,
            finished_at: "2026-01-01T00:00:01Z".into(),
            ..Default::default()
        };
        starting(&e.db, &r.id).unwrap();
        write_status(&ctr, &file(4)).unwrap();
        assert_eq!(status(&e).exit_code, 4);
        // Now kept: the file is no longer read.
        write_status(&ctr, &file(5)).unwrap();
        assert_eq!(status(&e).exit_code, 4);
        // A start forgets it.
        starting(&e.db, &r.id).unwrap();
        assert_eq!(status(&e).exit_code, 5);
        // A state made up for a dead monitor is not kept.
        starting(&e.db, &r.id).unwrap();
        let orphan = Status {
            status: "running".into(),
            pid: i32::MAX,
            monitor_pid: i32::MAX,
            ..Default::default()
        };
        write_status(&ctr, &orphan).unwrap();
        assert_eq!(status(&e).status, "exited");
        write_status(&ctr, &file(6)).unwrap();
        assert_eq!(status(&e).exit_code, 6);
    }
}
