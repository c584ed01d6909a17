//! Unpacking a tar stream into a directory of a [`View`] (the container's filesystem or a
//! host directory), with the path-safety core ([`berth_pathsafe::extract`]) and `cp`'s
//! policy: entry names are normalised lexically and may not climb out of the destination;
//! each entry's parent is resolved through the view (so symlinks stay inside it and mounts
//! are honoured) and the entry itself is written with `*at` calls that never follow a
//! symlink. A directory never replaces a file nor a file a directory (Docker's
//! `NoOverwriteDirNonDir`); device nodes are refused; `.wh.` names are ordinary files.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::rc::Rc;

use berth_pathsafe::dirs::{Dirs, Mounted};
use berth_pathsafe::extract::{Extractor, Owner, Policy};
use berth_pathsafe::ExtractError;

use super::view::{show, View};
use crate::error::{Error, Result};

/// How entries are written.
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// Owner for every entry; None keeps the archive's uid/gid.
    pub owner: Option<(u32, u32)>,
}

/// Unpacks `reader` into the directory `dest` (components in `view`).
pub fn extract(
    view: &View,
    dest: &[Vec<u8>],
    reader: impl Read,
    opts: &ExtractOptions,
) -> Result<()> {
    let owner = match opts.owner {
        Some((uid, gid)) => Owner::Fixed(uid, gid),
        None => Owner::Archive,
    };
    let dirs = ViewDirs {
        view,
        dest: dest.to_vec(),
        cache: None,
    };
    let mut extractor = Extractor::new(dirs, Policy::cp(owner));
    extractor
        .apply_archive(&mut tar::Archive::new(reader), "tar stream")
        .map_err(core_error)?;
    extractor.finish().map_err(core_error)?;
    Ok(())
}

/// Directories below `dest` in a view, the last one kept open (with its read-only flag).
struct ViewDirs<'a> {
    view: &'a View,
    dest: Vec<Vec<u8>>,
    cache: Option<(Vec<Vec<u8>>, Rc<OwnedFd>, bool)>,
}

impl ViewDirs<'_> {
    fn full(&self, comps: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let mut full = self.dest.clone();
        full.extend_from_slice(comps);
        full
    }
}

impl Dirs for ViewDirs<'_> {
    fn dir(
        &mut self,
        comps: &[Vec<u8>],
        _entry: &str,
        create: bool,
    ) -> berth_pathsafe::Result<Option<Rc<OwnedFd>>> {
        let (fd, ro) = match &self.cache {
            Some((c, fd, ro)) if c.as_slice() == comps => (fd.clone(), *ro),
            _ => match self.view.dir(self.full(comps), create) {
                Ok((fd, ro)) => {
                    let fd = Rc::new(fd);
                    self.cache = Some((comps.to_vec(), fd.clone(), ro));
                    (fd, ro)
                }
                Err(_) if !create => return Ok(None),
                Err(e) => return Err(engine_error(e)),
            },
        };
        if create && ro {
            return Err(ExtractError::Conflict(format!(
                "cannot copy to {}: the file system is read-only",
                show(&self.full(comps))
            )));
        }
        Ok(Some(fd))
    }

    fn invalidate(&mut self) {
        self.cache = None;
    }

    fn mounted(&self, comps: &[Vec<u8>]) -> Option<Mounted> {
        let m = self.view.mount_at(&self.full(comps))?;
        let dir = std::fs::metadata(&m.source)
            .map(|md| md.is_dir())
            .unwrap_or(false);
        Some(if dir {
            Mounted::Dir
        } else {
            Mounted::File(m.source.clone())
        })
    }

    fn show(&self, comps: &[Vec<u8>]) -> PathBuf {
        PathBuf::from(show(&self.full(comps)))
    }
}

/// An engine error met while resolving, carried through the core.
fn engine_error(e: Error) -> ExtractError {
    match e {
        Error::Io { what, path, source } => ExtractError::Io { what, path, source },
        Error::Conflict(m) => ExtractError::Conflict(m),
        other => ExtractError::Refused(other.to_string()),
    }
}

/// The core's error as the engine's: refused entries are bad input, conflicts conflicts.
fn core_error(e: ExtractError) -> Error {
    match e {
        ExtractError::Refused(m) => Error::Invalid(m),
        ExtractError::Conflict(m) => Error::Conflict(m),
        ExtractError::Io { what, path, source } => Error::Io { what, path, source },
        ExtractError::Stream { what, source } => Error::Io {
            what: "read",
            path: what.into(),
            source,
        },
    }
}
