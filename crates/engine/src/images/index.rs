//! The image index in SQLite: image rows and the tags that name them.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

/// One image as the index knows it.
#[derive(Debug, Clone)]
pub struct ImageRow {
    /// The image ID: the config digest's hex.
    pub id: String,
    /// The manifest digest (`sha256:...`).
    pub manifest: String,
    /// Creation time from the config (RFC 3339).
    pub created: Option<String>,
    /// Unpacked size in bytes.
    pub size: u64,
    /// When it entered the store (unix seconds).
    pub added: i64,
    /// Normalised names pointing at it.
    pub tags: Vec<String>,
}

/// Every image, newest first, with its tags.
pub fn list(conn: &Connection) -> Result<Vec<ImageRow>> {
    let mut stmt = conn
        .prepare("SELECT id, manifest, created, size, added FROM images ORDER BY added DESC, id")?;
    let rows = stmt.query_map([], |r| {
        Ok(ImageRow {
            id: r.get(0)?,
            manifest: r.get(1)?,
            created: r.get(2)?,
            size: r.get::<_, i64>(3)? as u64,
            added: r.get(4)?,
            tags: Vec::new(),
        })
    })?;
    let mut images: Vec<ImageRow> = rows.collect::<rusqlite::Result<_>>()?;
    let mut tags = conn.prepare("SELECT name, image_id FROM tags ORDER BY name")?;
    let pairs = tags.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for p in pairs {
        let (name, id) = p?;
        if let Some(img) = images.iter_mut().find(|i| i.id == id) {
            img.tags.push(name);
        }
    }
    Ok(images)
}

/// One image by full ID.
pub fn get(conn: &Connection, id: &str) -> Result<Option<ImageRow>> {
    let row = conn
        .query_row(
            "SELECT id, manifest, created, size, added FROM images WHERE id = ?1",
            [id],
            |r| {
                Ok(ImageRow {
                    id: r.get(0)?,
                    manifest: r.get(1)?,
                    created: r.get(2)?,
                    size: r.get::<_, i64>(3)? as u64,
                    added: r.get(4)?,
                    tags: Vec::new(),
                })
            },
        )
        .optional()?;
    let Some(mut row) = row else { return Ok(None) };
    row.tags = tags_of(conn, id)?;
    Ok(Some(row))
}

/// The names pointing at an image.
pub fn tags_of(conn: &Connection, id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT name FROM tags WHERE image_id = ?1 ORDER BY name")?;
    let v = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(v)
}

/// The image a name points at.
pub fn by_tag(conn: &Connection, name: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT image_id FROM tags WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Full IDs starting with `prefix`.
pub fn by_prefix(conn: &Connection, prefix: &str) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare("SELECT id FROM images WHERE substr(id, 1, length(?1)) = ?1 LIMIT 2")?;
    let v = stmt
        .query_map([prefix], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(v)
}

/// Records an image (if new) and points `names` at it, in one transaction.
pub fn insert(conn: &mut Connection, row: &ImageRow, names: &[String]) -> Result<()> {
    // Nothing to write when the image is there and every name points at it already (a
    // rebuild that changed nothing): no write transaction, no WAL sync.
    let present: Option<i64> = conn
        .query_row("SELECT 1 FROM images WHERE id = ?1", [&row.id], |r| {
            r.get(0)
        })
        .optional()?;
    if present.is_some() {
        let mut same = true;
        for n in names {
            same &= by_tag(conn, n)?.as_deref() == Some(row.id.as_str());
        }
        if same {
            return Ok(());
        }
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT OR IGNORE INTO images(id, manifest, created, size, added) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![row.id, row.manifest, row.created, row.size as i64, row.added],
    )?;
    for n in names {
        tx.execute(
            "INSERT OR REPLACE INTO tags(name, image_id) VALUES (?1, ?2)",
            params![n, row.id],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Points `name` at image `id`.
pub fn tag(conn: &Connection, name: &str, id: &str) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO tags(name, image_id) VALUES (?1, ?2)",
        params![name, id],
    )?;
    Ok(())
}

/// Removes one name; returns whether it existed.
pub fn untag(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM tags WHERE name = ?1", [name])? > 0)
}

/// Removes an image row and its tags.
pub fn delete(conn: &Connection, id: &str) -> Result<()> {
    conn.execute("DELETE FROM tags WHERE image_id = ?1", [id])?;
    conn.execute("DELETE FROM image_blobs WHERE image_id = ?1", [id])?;
    conn.execute("DELETE FROM repo_digests WHERE image_id = ?1", [id])?;
    conn.execute("DELETE FROM images WHERE id = ?1", [id])?;
    Ok(())
}

/// Records `name` (`registry/repository@sha256:...`) as a repo digest of image `id`.
pub fn set_repo_digest(conn: &Connection, name: &str, id: &str) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO repo_digests(name, image_id) VALUES (?1, ?2)",
        params![name, id],
    )?;
    Ok(())
}

/// The repo digests of image `id`.
pub fn repo_digests_of(conn: &Connection, id: &str) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare("SELECT name FROM repo_digests WHERE image_id = ?1 ORDER BY name")?;
    let v = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(v)
}

/// The image a repo digest names.
pub fn by_repo_digest(conn: &Connection, name: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT image_id FROM repo_digests WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?)
}

/// Records that image `id` keeps the blobs `digests` (see the `image_blobs` table).
pub fn keep_blobs(conn: &Connection, id: &str, digests: &[String]) -> Result<()> {
    for d in digests {
        conn.execute(
            "INSERT OR IGNORE INTO image_blobs(image_id, digest) VALUES (?1, ?2)",
            params![id, d],
        )?;
    }
    Ok(())
}

/// The extra blobs image `id` keeps.
pub fn kept_blobs(conn: &Connection, id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT digest FROM image_blobs WHERE image_id = ?1")?;
    let v = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(v)
}

/// The gzip blob a push made of the uncompressed layer blob `digest`, if any.
pub fn compressed_of(conn: &Connection, digest: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT gzip FROM compressed_layers WHERE digest = ?1",
            [digest],
            |r| r.get(0),
        )
        .optional()?)
}

/// Records the gzip blob made of an uncompressed layer blob.
pub fn set_compressed(conn: &Connection, digest: &str, gzip: &str) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO compressed_layers(digest, gzip) VALUES (?1, ?2)",
        params![digest, gzip],
    )?;
    Ok(())
}

/// IDs of containers created from an image.
pub fn containers_using(conn: &Connection, id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT id FROM containers WHERE image_id = ?1")?;
    let v = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(v)
}
