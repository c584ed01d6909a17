//! The build cache table: step key -> what the step produced (JSON), plus the inputs
//! records used to explain misses.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

/// The value stored under `key`.
pub fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM build_cache WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Stores `value` under `key` (replacing), unless it is already there.
pub fn put(conn: &Connection, key: &str, value: &str) -> Result<()> {
    if get(conn, key)?.as_deref() == Some(value) {
        return Ok(());
    }
    conn.execute(
        "INSERT OR REPLACE INTO build_cache(key, value, added) VALUES (?1, ?2, ?3)",
        params![key, value, crate::images::import::now_secs()],
    )?;
    Ok(())
}

/// Deletes every entry; returns how many there were.
pub fn clear(conn: &Connection) -> Result<u64> {
    Ok(conn.execute("DELETE FROM build_cache", [])? as u64)
}
