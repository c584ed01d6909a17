//! The build cache table: step key -> what the step produced (JSON), plus the inputs
//! records used to explain misses.

use std::collections::BTreeSet;

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

/// Digests of blobs and layer chains, as the cache entries reference them.
type Refs = (Vec<berth_store::Digest>, Vec<berth_store::Digest>);

/// The step entries' values (not the inputs records).
fn step_values(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT value FROM build_cache WHERE key NOT LIKE 'why:%'")?;
    let values = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(values)
}

/// How many step entries there are, and the distinct layer chains they keep.
pub fn usage(conn: &Connection) -> Result<(usize, BTreeSet<berth_store::Digest>)> {
    let values = step_values(conn)?;
    let n = values.len();
    let (_, chains) = referenced_in(values);
    Ok((n, chains.into_iter().collect()))
}

/// Blobs and layer chain IDs the cache entries point at (kept by garbage collection until
/// `builder prune`).
pub fn referenced(conn: &Connection) -> Result<Refs> {
    Ok(referenced_in(step_values(conn)?))
}

fn referenced_in(values: Vec<String>) -> Refs {
    let (mut blobs, mut chains) = (Vec::new(), Vec::new());
    for v in values {
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&v) else {
            continue;
        };
        let layer = &json["layer"];
        if let Some(d) = layer["descriptor"]["digest"]
            .as_str()
            .and_then(|d| d.parse().ok())
        {
            blobs.push(d);
        }
        if let Some(c) = layer["chain"].as_str().and_then(|c| c.parse().ok()) {
            chains.push(c);
        }
    }
    (blobs, chains)
}
