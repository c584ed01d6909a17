//! The context's file digests kept between builds: (file, size, mtime, ctime, inode, device,
//! mode) -> the digest [`super::content_hashes`] computed for it, so that a rebuild reads
//! only the files whose metadata changed.
//!
//! It is only a cache: an entry is used when every metadata field still matches, and a
//! missing, stale, unreadable or corrupt cache only costs time. "Racily clean" files (as git
//! calls them) are never trusted: a file whose mtime or ctime is not older than the moment
//! this build's scan started (less [`RACY_MARGIN_NS`], for coarse filesystem clocks) could
//! change again within the same timestamp, keeping every field, after it was hashed; such
//! a file is not stored and is read again next time.
//!
//! On disk: one file, read in one go and replaced atomically (a temporary file renamed over
//! it, so concurrent builds of one context never see a torn file: the last writer wins).
//! Format: [`MAGIC`], a record count (u32), the records, then the sha256 of all that. A
//! record: key length (u32), key, size (u64), mtime and ctime (i64 nanoseconds), inode and
//! device (u64), mode (u32), age (u8: saves since it was last used), digest (32 bytes).
//! Integers are little-endian.

use std::collections::HashMap;
use std::fs::Metadata;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// The file's first bytes (format version 1).
const MAGIC: &[u8; 8] = b"BERTHHC1";
/// How far back from the scan's start a timestamp still counts as racy: larger than any
/// filesystem's timestamp granularity (FAT's 2 s) and the lag of the kernel's coarse clock.
pub const RACY_MARGIN_NS: i64 = 2_000_000_000;
/// At most this many records are written (those used by the last build first).
pub const MAX_ENTRIES: usize = 500_000;
/// A record unused for this many saves is dropped (a file deleted, a Dockerfile changed).
const MAX_AGE: u8 = 8;
/// A cache file larger than this is ignored.
const MAX_FILE_BYTES: u64 = 256 << 20;

/// The metadata an entry is valid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i64,
    /// Status change time, nanoseconds since the epoch.
    pub ctime_ns: i64,
    /// Inode number.
    pub ino: u64,
    /// Device number.
    pub dev: u64,
    /// Type and permission bits (`st_mode`).
    pub mode: u32,
}

impl Stamp {
    /// The stamp of `md` (from the one `lstat`/`stat` the walk made).
    pub fn of(md: &Metadata) -> Stamp {
        Stamp {
            size: md.size(),
            mtime_ns: md.mtime().saturating_mul(1_000_000_000) + md.mtime_nsec(),
            ctime_ns: md.ctime().saturating_mul(1_000_000_000) + md.ctime_nsec(),
            ino: md.ino(),
            dev: md.dev(),
            mode: md.mode(),
        }
    }
}

/// One stored digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    stamp: Stamp,
    age: u8,
    digest: [u8; 32],
}

/// What this build read again, by key: the new record, or `None` for a racy file (not to
/// be stored, and its old record dropped).
type Fresh = HashMap<String, Option<Record>>;

/// A loaded record, and whether this build used it.
#[derive(Debug)]
struct Loaded {
    rec: Record,
    used: AtomicBool,
}

/// A context's digest cache: the records loaded at the start of a build, and what the
/// build saw. Shared by the stages a build runs in parallel.
#[derive(Debug)]
pub struct HashCache {
    path: PathBuf,
    old: HashMap<String, Loaded>,
    fresh: Mutex<Fresh>,
    /// When this build's scan started (nanoseconds since the epoch).
    scan_start_ns: i64,
    /// Lookups answered, and lookups that found no usable record.
    hits: AtomicUsize,
    misses: AtomicUsize,
}

/// What [`HashCache::save`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// Nothing changed: the file was left alone.
    Unchanged,
    /// The file was replaced with this many records.
    Written(usize),
}

impl HashCache {
    /// Loads the cache kept at `path`; a missing, unreadable or corrupt file gives an empty
    /// cache. The scan starts now.
    pub fn load(path: &Path) -> HashCache {
        HashCache {
            path: path.to_path_buf(),
            old: read(path).unwrap_or_default(),
            fresh: Mutex::new(HashMap::new()),
            scan_start_ns: now_ns(),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
        }
    }

    /// The cache with its scan taken as started at `ns` (nanoseconds since the epoch):
    /// tests pretend the scan started later, so that files they just made are not racy.
    #[cfg(test)]
    pub(crate) fn scan_started_at(mut self, ns: i64) -> HashCache {
        self.scan_start_ns = ns;
        self
    }

    /// How many lookups found a usable record, and how many did not (files read).
    pub fn stats(&self) -> (usize, usize) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// How many records were loaded.
    pub fn loaded(&self) -> usize {
        self.old.len()
    }

    /// The cached digest (lowercase hex) for `key` if its record's stamp is `stamp`.
    pub fn get(&self, key: &str, stamp: &Stamp) -> Option<String> {
        let found = self
            .old
            .get(key)
            .filter(|l| l.rec.stamp == *stamp && !self.is_racy(stamp));
        let Some(l) = found else {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        self.hits.fetch_add(1, Ordering::Relaxed);
        l.used.store(true, Ordering::Relaxed);
        Some(hex(&l.rec.digest))
    }

    /// Whether a file with `stamp` may still change without changing its stamp.
    pub fn is_racy(&self, stamp: &Stamp) -> bool {
        let limit = self.scan_start_ns.saturating_sub(RACY_MARGIN_NS);
        stamp.mtime_ns >= limit || stamp.ctime_ns >= limit
    }

    /// Records the files one pass over the context read again (those [`HashCache::get`]
    /// had no record for): for each key, the stamp and the hex digest computed.
    pub fn record<'a>(&self, entries: impl IntoIterator<Item = (String, Stamp, &'a str)>) {
        let fresh: Vec<(String, Option<Record>)> = entries
            .into_iter()
            .map(|(key, stamp, digest)| {
                let rec = match (self.is_racy(&stamp), unhex(digest)) {
                    (false, Some(digest)) => Some(Record {
                        stamp,
                        age: 0,
                        digest,
                    }),
                    _ => None,
                };
                (key, rec)
            })
            .collect();
        if let Ok(mut all) = self.fresh.lock() {
            all.extend(fresh);
        }
    }

    /// Writes the cache back if this build changed it: the records it used or made, then
    /// older ones not used for fewer than [`MAX_AGE`] saves, up to [`MAX_ENTRIES`]. Written
    /// to a temporary file renamed over the old one.
    pub fn save(&self) -> std::io::Result<Saved> {
        let fresh = match self.fresh.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        let changed = fresh
            .iter()
            .any(|(k, rec)| rec.is_some() || self.old.contains_key(k));
        if !changed {
            return Ok(Saved::Unchanged);
        }
        let mut records: Vec<(&str, Record)> = fresh
            .iter()
            .filter_map(|(k, r)| r.map(|r| (k.as_str(), r)))
            .collect();
        for (k, l) in &self.old {
            if fresh.contains_key(k) {
                continue;
            }
            let rec = if l.used.load(Ordering::Relaxed) {
                Record { age: 0, ..l.rec }
            } else if l.rec.age < MAX_AGE {
                Record {
                    age: l.rec.age + 1,
                    ..l.rec
                }
            } else {
                continue;
            };
            records.push((k.as_str(), rec));
        }
        records.sort_unstable_by(|a, b| a.1.age.cmp(&b.1.age).then(a.0.cmp(b.0)));
        records.truncate(MAX_ENTRIES);
        write_atomically(&self.path, &encode(&records))?;
        Ok(Saved::Written(records.len()))
    }
}

/// The cache file's records, or `None` if it is missing, too large or corrupt.
fn read(path: &Path) -> Option<HashMap<String, Loaded>> {
    let data = std::fs::read(path).ok()?;
    if data.len() as u64 > MAX_FILE_BYTES {
        return None;
    }
    decode(&data)
}

fn encode(records: &[(&str, Record)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + records.len() * 120);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(records.len() as u32).to_le_bytes());
    for (key, r) in records {
        out.extend_from_slice(&(key.len() as u32).to_le_bytes());
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(&r.stamp.size.to_le_bytes());
        out.extend_from_slice(&r.stamp.mtime_ns.to_le_bytes());
        out.extend_from_slice(&r.stamp.ctime_ns.to_le_bytes());
        out.extend_from_slice(&r.stamp.ino.to_le_bytes());
        out.extend_from_slice(&r.stamp.dev.to_le_bytes());
        out.extend_from_slice(&r.stamp.mode.to_le_bytes());
        out.push(r.age);
        out.extend_from_slice(&r.digest);
    }
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

/// Reads what [`encode`] wrote; `None` on any inconsistency.
fn decode(data: &[u8]) -> Option<HashMap<String, Loaded>> {
    let body_len = data.len().checked_sub(32)?;
    let (body, sum) = data.split_at(body_len);
    if Sha256::digest(body).as_slice() != sum {
        return None;
    }
    let mut r = Reader(body);
    if r.take(8)? != MAGIC {
        return None;
    }
    let n = r.u32()? as usize;
    if n > MAX_ENTRIES {
        return None;
    }
    let mut out = HashMap::with_capacity(n);
    for _ in 0..n {
        let klen = r.u32()? as usize;
        let key = std::str::from_utf8(r.take(klen)?).ok()?.to_string();
        let stamp = Stamp {
            size: r.u64()?,
            mtime_ns: r.u64()? as i64,
            ctime_ns: r.u64()? as i64,
            ino: r.u64()?,
            dev: r.u64()?,
            mode: r.u32()?,
        };
        let age = r.take(1)?[0];
        let digest = r.take(32)?.try_into().ok()?;
        let rec = Record { stamp, age, digest };
        out.insert(
            key,
            Loaded {
                rec,
                used: AtomicBool::new(false),
            },
        );
    }
    r.0.is_empty().then_some(out)
}

/// A cursor over the cache file's bytes.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

/// Writes `data` to a fresh temporary file next to `path` and renames it over `path`.
fn write_atomically(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(
        ".{name}.tmp.{}",
        berth_store::blobs::unique_suffix()
    ));
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(data))
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(i64::MAX)
}

/// Lowercase hex, as `format!("{:x}")` prints a digest.
fn hex(bytes: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(64);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (nibble(b[2 * i])? << 4) | nibble(b[2 * i + 1])?;
    }
    Some(out)
}

#[cfg(test)]
#[path = "hash_cache_tests.rs"]
mod tests;
