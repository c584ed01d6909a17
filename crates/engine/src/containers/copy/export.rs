//! `export`: a container's root filesystem as a tar stream, without its volumes and bind
//! mounts (as Docker's `export`), read through the same safe view `cp` uses.

use std::io::Write;

use super::tar_out::write_tar;
use super::view::View;
use super::Rootfs;
use crate::containers::record::ContainerRecord;
use crate::containers::rootfs::RootfsDirs;
use crate::engine::Engine;
use crate::error::Result;
use crate::lock::Lock;

impl Engine {
    /// Writes container `r`'s root filesystem to `out` as a tar stream (entries relative to
    /// the root; the rootfs mounted for the call when it is not).
    pub fn export_container(&self, r: &ContainerRecord, out: &mut dyn Write) -> Result<()> {
        let ctr_dir = self.paths.container(&r.id);
        let lock = Lock::shared(&self.paths.locks(), &r.id)?;
        let merged = RootfsDirs::of(&ctr_dir).merged;
        let _rootfs = Rootfs {
            _use: self.use_container_rootfs(r)?,
            _lock: lock,
        };
        let view = View::open(&merged, true, Vec::new())?;
        let root = view.resolve(b"/", true, false)?;
        write_tar(&view, &root, ".", out)
    }
}
