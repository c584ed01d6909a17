//! A JSON credentials file (Docker's `config.json`, podman's `auth.json`) held as a JSON
//! object, so that rewriting it keeps every key berth does not know about.
//!
//! Rewrites are atomic: a temporary file (mode 0600) in the same directory, fsynced and
//! renamed over the original. A symlinked file is written through to its target, as Docker
//! does.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde_json::{Map, Value};

use super::entry::field;
use crate::error::{Error, Result};

/// Files larger than this are refused rather than read into memory.
const MAX_SIZE: u64 = 16 << 20;

/// A credentials file and its contents (empty if it does not exist).
#[derive(Debug)]
pub(super) struct AuthFile {
    /// Where the file is.
    pub path: PathBuf,
    /// Its top-level object.
    pub root: Map<String, Value>,
}

impl AuthFile {
    /// Reads `path`. A missing or empty file reads as `{}`; one that is not a JSON object is
    /// [`Error::BadConfig`].
    pub fn load(path: &Path) -> Result<AuthFile> {
        let mut text = String::new();
        match File::open(path) {
            Ok(f) => {
                f.take(MAX_SIZE + 1)
                    .read_to_string(&mut text)
                    .map_err(|e| match e.kind() {
                        io::ErrorKind::InvalidData => bad(path, "not UTF-8 text".into()),
                        _ => io_error("read", path, e),
                    })?;
                if text.len() as u64 > MAX_SIZE {
                    return Err(bad(path, format!("larger than {MAX_SIZE} bytes")));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("open", path, e)),
        }
        let root = if text.trim().is_empty() {
            Map::new()
        } else {
            match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(root)) => root,
                Ok(_) => return Err(bad(path, "not a JSON object".into())),
                Err(e) => return Err(bad(path, format!("not valid JSON: {e}"))),
            }
        };
        Ok(AuthFile {
            path: path.to_path_buf(),
            root,
        })
    }

    /// The `auths` object, if the file has one.
    pub fn auths(&self) -> Result<Option<&Map<String, Value>>> {
        match field(&self.root, "auths") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(auths)) => Ok(Some(auths)),
            Some(_) => Err(self.bad("\"auths\" is not a JSON object".into())),
        }
    }

    /// The `auths` object, created if missing.
    pub fn auths_mut(&mut self) -> Result<&mut Map<String, Value>> {
        let key = self
            .root
            .keys()
            .find(|k| k.eq_ignore_ascii_case("auths"))
            .cloned()
            .unwrap_or_else(|| "auths".to_string());
        let slot = self
            .root
            .entry(key)
            .or_insert_with(|| Value::Object(Map::new()));
        if slot.is_null() {
            *slot = Value::Object(Map::new());
        }
        match slot {
            Value::Object(auths) => Ok(auths),
            _ => Err(bad(&self.path, "\"auths\" is not a JSON object".into())),
        }
    }

    /// Removes every `auths` entry whose key satisfies `pred`; whether any was removed.
    pub fn remove_auths(&mut self, pred: impl Fn(&str) -> bool) -> Result<bool> {
        if self.auths()?.is_none() {
            return Ok(false);
        }
        let auths = self.auths_mut()?;
        let before = auths.len();
        auths.retain(|k, _| !pred(k));
        Ok(auths.len() != before)
    }

    /// [`Error::BadConfig`] about this file.
    pub fn bad(&self, reason: String) -> Error {
        bad(&self.path, reason)
    }

    /// Writes the file back atomically, tab-indented as Docker writes it, mode 0600; its
    /// directory is created (mode 0700) if missing.
    pub fn save(&self) -> Result<()> {
        let mut bytes = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut ser = serde_json::Serializer::with_formatter(&mut bytes, fmt);
        Value::Object(self.root.clone())
            .serialize(&mut ser)
            .map_err(|e| bad(&self.path, format!("cannot serialise: {e}")))?;
        bytes.push(b'\n');
        // Write through a symlink to its target; a missing file has nothing to resolve.
        let target = match fs::symlink_metadata(&self.path) {
            Ok(m) if m.file_type().is_symlink() => {
                fs::canonicalize(&self.path).map_err(|e| io_error("resolve", &self.path, e))?
            }
            _ => self.path.clone(),
        };
        write_atomic(&target, &bytes)
    }
}

/// Writes `bytes` to `dest` through a 0600 temporary file in the same directory and a rename.
fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| io_error("create directory", &dir, e))?;
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write_then_rename(&tmp, dest, bytes);
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    // Make the rename durable; a failure here loses nothing already visible.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Creates `tmp` (mode 0600), writes and syncs `bytes`, and renames it to `dest`.
fn write_then_rename(tmp: &Path, dest: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(tmp)
        .map_err(|e| io_error("create", tmp, e))?;
    // The umask can only clear bits; make sure nothing else is set either.
    f.set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(|e| io_error("chmod", tmp, e))?;
    f.write_all(bytes).map_err(|e| io_error("write", tmp, e))?;
    f.sync_all().map_err(|e| io_error("sync", tmp, e))?;
    fs::rename(tmp, dest).map_err(|e| io_error("rename into", dest, e))
}

fn bad(path: &Path, reason: String) -> Error {
    Error::BadConfig {
        path: path.to_path_buf(),
        reason,
    }
}

fn io_error(what: &'static str, path: &Path, source: io::Error) -> Error {
    Error::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn missing_and_empty_files_are_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        assert!(AuthFile::load(&path).unwrap().root.is_empty());
        fs::write(&path, " \n").unwrap();
        assert!(AuthFile::load(&path).unwrap().root.is_empty());
    }

    #[test]
    fn bad_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        for text in ["{not json", "[1, 2]", "{\"auths\": 3}"] {
            fs::write(&path, text).unwrap();
            let err = AuthFile::load(&path).and_then(|f| f.auths().map(|_| ()));
            let err = err.unwrap_err();
            assert!(matches!(err, Error::BadConfig { .. }), "{err}");
            assert!(err.to_string().contains("config.json"), "{err}");
        }
        fs::write(&path, [0xff, 0xfe]).unwrap();
        assert!(matches!(
            AuthFile::load(&path),
            Err(Error::BadConfig { .. })
        ));
    }

    #[test]
    fn save_creates_dir_and_writes_through_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/sub/config.json");
        let mut f = AuthFile::load(&path).unwrap();
        f.root.insert("x".into(), Value::from(1));
        f.save().unwrap();
        let meta = fs::metadata(&path).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600);
        let dmeta = fs::metadata(dir.path().join("new/sub")).unwrap();
        assert_eq!(dmeta.mode() & 0o077, 0);
        assert!(fs::read_to_string(&path).unwrap().contains("\n\t\"x\": 1"));

        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        let mut f = AuthFile::load(&link).unwrap();
        f.root.insert("y".into(), Value::from(2));
        f.save().unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(fs::read_to_string(&path).unwrap().contains("\"y\": 2"));
        // No temporary files left behind.
        assert_eq!(fs::read_dir(dir.path().join("new/sub")).unwrap().count(), 1);
    }
}
