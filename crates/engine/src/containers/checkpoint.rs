//! `container checkpoint` and `container restore`, as podman offers them: the runtime's CRIU
//! checkpoint of a running container into `<container dir>/checkpoint` (optionally exported
//! as a tar file), and its restore from there (or from an imported tar file).
//!
//! A restored container runs without a berth monitor: `berth` sees it running through the
//! runtime's state, but its output after the restore is not logged and its exit code is not
//! recorded (CRIU restores the process tree under the restoring process, which is not the
//! monitor).

use std::fs;
use std::path::{Path, PathBuf};

use berth_runtime::ops::{checkpoint, delete, restore};

use crate::containers::lifecycle::STOP_REQUESTED;
use crate::containers::ContainerRecord;
use crate::engine::Engine;
use crate::error::{Error, Result};

/// The checkpoint image directory's name in the container directory.
const IMAGES: &str = "checkpoint";

impl Engine {
    /// Where container `r`'s checkpoint images are kept.
    pub fn checkpoint_dir(&self, r: &ContainerRecord) -> PathBuf {
        self.paths.container(&r.id).join(IMAGES)
    }

    /// Checkpoints running container `r`; unless `leave_running`, it is stopped by the
    /// checkpoint (and not restarted by its restart policy). With `export`, the images are
    /// also written to that tar file.
    pub fn checkpoint_container(
        &self,
        r: &ContainerRecord,
        leave_running: bool,
        export: Option<&Path>,
    ) -> Result<()> {
        if !self.state(r).is_running() {
            return Err(Error::Conflict(format!(
                "container {} is not running",
                r.name
            )));
        }
        let images = self.checkpoint_dir(r);
        let _ = fs::remove_dir_all(&images);
        let dir = self.paths.container(&r.id);
        if !leave_running {
            // The checkpoint ends the processes: that is not a crash to restart from.
            fs::write(dir.join(STOP_REQUESTED), b"")
                .map_err(|e| Error::Invalid(format!("write {}: {e}", dir.display())))?;
        }
        let done = checkpoint::checkpoint(
            &self.runtime(),
            &checkpoint::CheckpointOptions {
                id: r.id.clone(),
                image_path: Some(images.clone()),
                leave_running,
                ..Default::default()
            },
        );
        if let Err(e) = done {
            let _ = fs::remove_file(dir.join(STOP_REQUESTED));
            return Err(e.into());
        }
        if let Some(file) = export {
            export_tar(&images, file)?;
        }
        Ok(())
    }

    /// Restores container `r` from its checkpoint, or from the tar file `import`.
    pub fn restore_container(&self, r: &ContainerRecord, import: Option<&Path>) -> Result<()> {
        if self.state(r).is_running() {
            return Err(Error::Conflict(format!(
                "container {} is already running",
                r.name
            )));
        }
        let images = self.checkpoint_dir(r);
        if let Some(file) = import {
            let _ = fs::remove_dir_all(&images);
            import_tar(file, &images)?;
        }
        if !images.is_dir() {
            return Err(Error::Invalid(format!(
                "container {} has no checkpoint: run `berth container checkpoint` first, or \
                 give --import FILE",
                r.name
            )));
        }
        // No monitor claims this mount: it stays until `rm`, or a `cp` after the exit.
        let dir = self.paths.container(&r.id);
        let _mutex = crate::containers::rootfs::RootfsMutex::lock(&dir)
            .map_err(crate::error::io_err("lock", &dir))?;
        self.mount_container_rootfs(r)?;
        let g = self.runtime();
        // What a previous run left in the runtime's state.
        let _ = delete::delete(&g, &r.id, true);
        restore::restore(
            &g,
            &restore::RestoreOptions {
                id: r.id.clone(),
                bundle: self.paths.container(&r.id),
                image_path: Some(images),
                detach: true,
                ..Default::default()
            },
        )?;
        let _ = fs::remove_file(self.paths.container(&r.id).join(STOP_REQUESTED));
        Ok(())
    }
}

/// Writes the image directory as a plain tar file.
fn export_tar(images: &Path, file: &Path) -> Result<()> {
    let io = |e: std::io::Error| Error::Invalid(format!("export to {}: {e}", file.display()));
    let out = fs::File::create(file).map_err(io)?;
    let mut tar = tar::Builder::new(out);
    tar.append_dir_all(".", images).map_err(io)?;
    tar.into_inner().map_err(io)?;
    Ok(())
}

/// Unpacks a checkpoint tar file (criu image files: plain files only) into `images`.
fn import_tar(file: &Path, images: &Path) -> Result<()> {
    let io = |e: std::io::Error| Error::Invalid(format!("import {}: {e}", file.display()));
    fs::create_dir_all(images).map_err(io)?;
    let mut archive = tar::Archive::new(fs::File::open(file).map_err(io)?);
    for entry in archive.entries().map_err(io)? {
        let mut entry = entry.map_err(io)?;
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        let path = entry.path().map_err(io)?.into_owned();
        // Images are flat: keep only the file name, so no entry can leave the directory.
        let (true, Some(name)) = (kind.is_file(), path.file_name()) else {
            return Err(Error::Invalid(format!(
                "import {}: {} is not a checkpoint image file",
                file.display(),
                path.display()
            )));
        };
        let mut out = fs::File::create(images.join(name)).map_err(io)?;
        std::io::copy(&mut entry, &mut out).map_err(io)?;
    }
    Ok(())
}
