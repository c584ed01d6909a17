//! `stat` of a path in a container, for the API's `X-Docker-Container-Path-Stat` header
//! (`docker cp` asks it before copying either way).

use std::io::ErrorKind;

use rustix::fs::FileType;
use rustix::io::Errno;

use crate::containers::record::ContainerRecord;
use crate::engine::Engine;
use crate::error::{Error, Result};

/// What dockerd reports about a path in a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStat {
    /// The last component (`/` for the root).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// `st_mode`: file type and permission bits.
    pub mode: u32,
    /// Modification time: unix seconds.
    pub mtime_secs: i64,
    /// Modification time: nanoseconds.
    pub mtime_nanos: u32,
    /// A symlink's target as stored (empty for other files).
    pub link_target: String,
}

impl Engine {
    /// lstat of `path` in container `r` as it sees its filesystem (volumes and binds on
    /// top; the rootfs mounted for the call when it is not). `None` when nothing is there.
    pub fn stat_in_container(&self, r: &ContainerRecord, path: &str) -> Result<Option<PathStat>> {
        let (view, _rootfs) = self.container_view(r)?;
        let node = match view.resolve(path.as_bytes(), false, false) {
            Ok(n) => n,
            Err(Error::Io { source, .. }) if source.kind() == ErrorKind::NotFound => {
                return Ok(None)
            }
            Err(e) => return Err(e),
        };
        let st = match node.stat() {
            Ok(st) => st,
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(view.err("stat", &node.comps, e)),
        };
        let link_target = match (&node.name, FileType::from_raw_mode(st.st_mode)) {
            (Some(name), FileType::Symlink) => {
                rustix::fs::readlinkat(&node.dir, name.as_slice(), Vec::new())
                    .map_err(|e| view.err("read link", &node.comps, e))?
                    .to_string_lossy()
                    .into_owned()
            }
            _ => String::new(),
        };
        let name = node
            .comps
            .last()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .unwrap_or_else(|| "/".into());
        Ok(Some(PathStat {
            name,
            size: st.st_size as u64,
            mode: st.st_mode,
            mtime_secs: st.st_mtime,
            mtime_nanos: st.st_mtime_nsec as u32,
            link_target,
        }))
    }
}
