//! Which files make the configuration, and reading them: the main file, then the `*.conf`
//! drop-ins of each directory in lexical order (drop-ins must use the version 2 format).

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{file, RegistriesConf, SYSTEM_CONF, SYSTEM_CONF_DIR};
use crate::error::{Error, Result};

/// The files to read.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Sources {
    /// The main file.
    pub main: PathBuf,
    /// Whether a missing main file is an error (it was named explicitly).
    pub main_required: bool,
    /// Drop-in directories, in order.
    pub dirs: Vec<PathBuf>,
}

/// containers/image's choice of files, given `$CONTAINERS_REGISTRIES_CONF` and `$HOME`.
pub(super) fn default_sources(env_conf: Option<OsString>, home: Option<PathBuf>) -> Sources {
    let user_file = home
        .as_ref()
        .map(|h| h.join(".config/containers/registries.conf"));
    let user_dir = home
        .as_ref()
        .map(|h| h.join(".config/containers/registries.conf.d"));
    if let Some(conf) = env_conf.filter(|c| !c.is_empty()) {
        let mut dirs = vec![PathBuf::from(SYSTEM_CONF_DIR)];
        dirs.extend(user_dir);
        return Sources {
            main: PathBuf::from(conf),
            main_required: true,
            dirs,
        };
    }
    if let Some(user_file) = user_file.filter(|f| f.exists()) {
        return Sources {
            main: user_file,
            main_required: false,
            dirs: user_dir.into_iter().collect(),
        };
    }
    let mut dirs = vec![PathBuf::from(SYSTEM_CONF_DIR)];
    dirs.extend(user_dir);
    Sources {
        main: PathBuf::from(SYSTEM_CONF),
        main_required: false,
        dirs,
    }
}

/// Reads and merges `sources`.
pub(super) fn load(sources: &Sources) -> Result<RegistriesConf> {
    let mut conf = RegistriesConf::default();
    match read(&sources.main)? {
        Some(text) => conf.merge(file::parse_file(&text, &sources.main, false)?),
        None if sources.main_required => {
            return Err(Error::Io {
                what: "reading",
                path: sources.main.clone(),
                source: io::Error::from(io::ErrorKind::NotFound),
            })
        }
        None => {}
    }
    for dir in &sources.dirs {
        for path in drop_ins(dir)? {
            // A file removed since the listing is skipped, as containers/image does.
            if let Some(text) = read(&path)? {
                conf.merge(file::parse_file(&text, &path, true)?);
            }
        }
    }
    Ok(conf)
}

/// The text of `path`, or `None` when it does not exist.
fn read(path: &Path) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
            what: "reading",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The `*.conf` files (not directories) directly in `dir`, by name; none when `dir` is
/// missing.
fn drop_ins(dir: &Path) -> Result<Vec<PathBuf>> {
    let io_err = |source| Error::Io {
        what: "reading drop-in directory",
        path: dir.to_path_buf(),
        source,
    };
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(e)),
    };
    let mut names: Vec<OsString> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_err)?;
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let name = entry.file_name();
        if !is_dir && name.as_encoded_bytes().ends_with(b".conf") {
            names.push(name);
        }
    }
    names.sort();
    Ok(names.into_iter().map(|n| dir.join(n)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_sources_follow_containers_image() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().to_path_buf();
        let user_dir = home.join(".config/containers/registries.conf.d");

        let s = default_sources(None, Some(home.clone()));
        assert_eq!(s.main, PathBuf::from(SYSTEM_CONF));
        assert!(!s.main_required);
        assert_eq!(s.dirs, [PathBuf::from(SYSTEM_CONF_DIR), user_dir.clone()]);

        fs::create_dir_all(&user_dir).unwrap();
        fs::write(home.join(".config/containers/registries.conf"), "").unwrap();
        let s = default_sources(None, Some(home.clone()));
        assert_eq!(s.main, home.join(".config/containers/registries.conf"));
        assert_eq!(s.dirs, std::slice::from_ref(&user_dir));

        let s = default_sources(Some("/x/r.conf".into()), Some(home.clone()));
        assert_eq!(s.main, PathBuf::from("/x/r.conf"));
        assert!(s.main_required);
        assert_eq!(s.dirs, [PathBuf::from(SYSTEM_CONF_DIR), user_dir]);

        let s = default_sources(Some("".into()), None);
        assert_eq!(s.main, PathBuf::from(SYSTEM_CONF));
        assert_eq!(s.dirs, [PathBuf::from(SYSTEM_CONF_DIR)]);
    }
}
