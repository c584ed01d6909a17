//! The SQLite state index: images, tags, containers, volumes, networks, the build cache. WAL mode with a busy timeout,
//! so many `berth` processes can use it at once.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use crate::error::Result;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS images(
    id TEXT PRIMARY KEY,          -- config digest hex (the image ID)
    manifest TEXT NOT NULL,       -- manifest digest, sha256:...
    created TEXT,                 -- from the config
    size INTEGER NOT NULL,        -- unpacked size of all layers
    added INTEGER NOT NULL        -- unix seconds it entered the store
);
CREATE TABLE IF NOT EXISTS tags(
    name TEXT PRIMARY KEY,        -- normalised reference, e.g. docker.io/library/busybox:latest
    image_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tags_image ON tags(image_id);
CREATE TABLE IF NOT EXISTS containers(
    id TEXT PRIMARY KEY,
    name TEXT UNIQUE NOT NULL,
    image_id TEXT NOT NULL,
    created TEXT NOT NULL,
    record TEXT NOT NULL          -- JSON: the container's configuration
);
CREATE TABLE IF NOT EXISTS volumes(
    name TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    labels TEXT NOT NULL,
    anonymous INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS networks(
    name TEXT PRIMARY KEY,
    id TEXT UNIQUE NOT NULL,
    record TEXT NOT NULL          -- JSON: the network's configuration
);
CREATE TABLE IF NOT EXISTS image_blobs(
    image_id TEXT NOT NULL,       -- an image's ID
    digest TEXT NOT NULL,         -- a blob it keeps besides its manifest, config and layers:
                                  -- the index it was pulled through, a pushed manifest and
                                  -- its compressed layers
    PRIMARY KEY(image_id, digest)
);
CREATE TABLE IF NOT EXISTS repo_digests(
    name TEXT PRIMARY KEY,        -- registry/repository@sha256:... (Docker's RepoDigests)
    image_id TEXT NOT NULL        -- the image pulled or pushed under it
);
CREATE TABLE IF NOT EXISTS compressed_layers(
    digest TEXT PRIMARY KEY,      -- an uncompressed layer blob
    gzip TEXT NOT NULL            -- the gzip blob a push made of it
);
CREATE TABLE IF NOT EXISTS build_cache(
    key TEXT PRIMARY KEY,         -- a build step's cache key, or why:<place> for its inputs
    value TEXT NOT NULL,          -- JSON: the layer it made; or the inputs, one per line
    added INTEGER NOT NULL
);
";

/// How long a command waits for another's write lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A WAL longer than this is truncated when a command opens the database.
const WAL_TRUNCATE_AT: u64 = 1 << 20;

/// Empties a WAL that has grown past [`WAL_TRUNCATE_AT`]. Each command's first connection
/// rebuilds the WAL index from the whole file, which forgets the previous command's
/// checkpoint, so the log is never rewound and grows with every write (6 MB and ~1,650 reads
/// per command after 300 `tag`s). A TRUNCATE checkpoint empties it; it is tried without
/// waiting (busy timeout 0), so a concurrent reader only postpones it to a later command.
fn truncate_long_wal(conn: &Connection, path: &Path) {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if std::fs::metadata(&wal).map_or(true, |m| m.len() <= WAL_TRUNCATE_AT) {
        return;
    }
    if conn.busy_timeout(Duration::ZERO).is_ok() {
        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }
    let _ = conn.busy_timeout(BUSY_TIMEOUT);
}

/// Opens (creating if needed) the state database.
pub fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // No checkpoint when a command closes the database: the WAL then stays, so the next
    // command does not recreate it (4 fsyncs per command otherwise). SQLite still
    // checkpoints automatically as the WAL grows.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )?;
    // The first connection of each command rebuilds the WAL index by reading the whole WAL,
    // so keep it short: checkpoint every 64 pages (256 KiB) instead of 1000 (4 MiB, which
    // cost ~950 reads per command).
    conn.pragma_update(None, "wal_autocheckpoint", 64)?;
    truncate_long_wal(&conn, path);
    // Read the database file through a shared mapping rather than a pread into SQLite's page
    // cache per page: listing 1,000 containers (4 MiB of records) otherwise costs 1,000
    // preads and as many freshly allocated cache pages.
    conn.pragma_update(None, "mmap_size", 256i64 << 20)?;
    // Only create the schema when it is missing: DDL takes a write lock.
    let have: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN ('repo_digests', 'container_listing')",
        [],
        |r| r.get(0),
    )?;
    if have < 2 {
        create_schema(&conn)?;
    }
    Ok(conn)
}

/// Creates what is missing of the schema; a database from before `container_listing` gets
/// the table filled from its records. One write transaction, so of two commands opening
/// an old database at once, one migrates and the other finds it done.
fn create_schema(conn: &Connection) -> Result<()> {
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
    let had_listing: bool = tx.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='container_listing'",
        [],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )?;
    tx.execute_batch(SCHEMA)?;
    tx.execute_batch(crate::containers::listing::SCHEMA)?;
    if !had_listing {
        crate::containers::listing::backfill(&tx)?;
    }
    tx.commit()?;
    Ok(())
}
