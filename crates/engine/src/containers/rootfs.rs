//! A container's root filesystem: an overlay of the image's unpacked layers (read-only) and
//! the container's own upper directory, mounted at `<ctr_dir>/rootfs`.

use std::fs;
use std::path::{Path, PathBuf};

use nix::mount::{mount, MsFlags};

pub use berth_monitor::rootfs::{Mutex as RootfsMutex, User as RootfsUser, MUTEX_FILE, USERS_FILE};

use crate::error::{io_err, Error, Result};

/// A file in the container directory asking for a `volatile` overlay: no syncs, so the
/// unmount at removal does not flush the whole upper filesystem (hundreds of ms on a busy
/// disk). Used for `--rm` containers, whose writes do not outlive them anyway (as podman).
pub const VOLATILE_MARKER: &str = "volatile-rootfs";

/// The directories of a container's overlay.
pub struct RootfsDirs {
    /// The writable layer.
    pub upper: PathBuf,
    /// overlayfs's work directory.
    pub work: PathBuf,
    /// The mount point.
    pub merged: PathBuf,
}

impl RootfsDirs {
    /// The overlay directories under a container directory.
    pub fn of(ctr_dir: &Path) -> RootfsDirs {
        RootfsDirs {
            upper: ctr_dir.join("upper"),
            work: ctr_dir.join("work"),
            merged: ctr_dir.join("rootfs"),
        }
    }
}

/// Mounts the overlay of `layers` (bottom first) for the container or build step in
/// `ctr_dir`, unless it is already mounted, with the mount-point skeleton the layers need
/// (made under `skeletons`) on top of them. Returns the mount point.
pub fn mount_rootfs(ctr_dir: &Path, layers: &[PathBuf], skeletons: &Path) -> Result<PathBuf> {
    let d = RootfsDirs::of(ctr_dir);
    for dir in [&d.upper, &d.work, &d.merged] {
        fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    }
    if is_mounted(&d.merged) {
        return Ok(d.merged);
    }
    // Never empty: with no layers (FROM scratch) the skeleton has every mount point.
    let mut lowers = layers.to_vec();
    lowers.extend(crate::containers::skeleton::for_layers(skeletons, layers)?);
    let mut opts = format!(
        "{},upperdir={},workdir={}",
        lowerdir_option(&lowers)?,
        d.upper.display(),
        d.work.display()
    );
    if ctr_dir.join(VOLATILE_MARKER).exists() {
        // A volatile overlay leaves work/work/incompat/volatile behind and refuses the next
        // mount while it is there (its upper may have lost writes in a crash); a `--rm`
        // container's upper is thrown away anyway, so a remount (a `cp` racing the removal)
        // may go on.
        let _ = fs::remove_dir_all(d.work.join("work/incompat"));
        opts.push_str(",volatile");
    }
    mount(
        Some("overlay"),
        &d.merged,
        Some("overlay"),
        MsFlags::empty(),
        Some(opts.as_str()),
    )
    .map_err(|e| io_err("mount overlay on", &d.merged)(e.into()))?;
    Ok(d.merged)
}

/// overlayfs's `lowerdir=` option for `lowers` (bottom first; overlayfs wants the top layer
/// first), refused when the mount options would pass the kernel's page-size limit.
fn lowerdir_option(lowers: &[PathBuf]) -> Result<String> {
    let lower = lowers
        .iter()
        .rev()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    // Room is left for upperdir/workdir/volatile next to it.
    if lower.len() > 3600 {
        return Err(Error::Invalid(format!(
            "image has too many layers ({}) for one overlay mount",
            lowers.len()
        )));
    }
    Ok(format!("lowerdir={lower}"))
}

/// Mounts the image's layers alone, read-only (no upper: its unmount syncs nothing), at the
/// mount point of the container in `ctr_dir`, for `create` to read the image's files
/// (/etc/passwd, a VOLUME's content) before the container has any of its own. Returns the
/// directory to read and whether it is a mount to [`unmount_rootfs`] afterwards.
pub fn mount_image_view(
    ctr_dir: &Path,
    layers: &[PathBuf],
    skeletons: &Path,
) -> Result<(PathBuf, bool)> {
    let d = RootfsDirs::of(ctr_dir);
    for dir in [&d.upper, &d.work, &d.merged] {
        fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    }
    let mut lowers = layers.to_vec();
    lowers.extend(crate::containers::skeleton::for_layers(skeletons, layers)?);
    // overlayfs needs two lower layers without an upper one; one layer is the view itself.
    if let [only] = lowers.as_slice() {
        return Ok((only.clone(), false));
    }
    let opts = lowerdir_option(&lowers)?;
    mount(
        Some("overlay"),
        &d.merged,
        Some("overlay"),
        MsFlags::MS_RDONLY,
        Some(opts.as_str()),
    )
    .map_err(|e| io_err("mount overlay on", &d.merged)(e.into()))?;
    Ok((d.merged, true))
}

impl crate::engine::Engine {
    /// Mounts the rootfs of container `r` unless it already is (then no image document or
    /// layer is read). Returns whether it mounted it. Call it under the container's
    /// [`RootfsMutex`], with a claim ([`RootfsUser`]) taken or about to be.
    pub fn mount_container_rootfs(&self, r: &crate::containers::ContainerRecord) -> Result<bool> {
        let dir = self.paths.container(&r.id);
        if is_mounted(&RootfsDirs::of(&dir).merged) {
            return Ok(false);
        }
        let lowers = self.ensure_layers(&self.image_by_id(&r.image_id)?)?.0;
        mount_rootfs(&dir, &lowers, &self.paths.skeletons())?;
        Ok(true)
    }

    /// Mounts container `r`'s rootfs for a host-side use of its files (`cp`, `export`,
    /// `stat`): the returned claim keeps it mounted, and when the last claim goes and the
    /// container is stopped, the overlay is unmounted again (see [`berth_monitor::rootfs`]).
    pub fn use_container_rootfs<'a>(
        &'a self,
        r: &'a crate::containers::ContainerRecord,
    ) -> Result<RootfsUse<'a>> {
        let dir = self.paths.container(&r.id);
        let mutex = RootfsMutex::lock(&dir).map_err(io_err("lock", dir.join(MUTEX_FILE)))?;
        let user = RootfsUser::hold(&dir).map_err(io_err("lock", dir.join(USERS_FILE)))?;
        let guard = RootfsUse {
            engine: self,
            r,
            user: Some(user),
        };
        let mounted = self.mount_container_rootfs(r);
        // Before the guard can go: its release takes the mutex again.
        drop(mutex);
        mounted?;
        Ok(guard)
    }

    /// Unmounts container `r`'s rootfs if nothing holds a claim on it and it is stopped
    /// (called under its [`RootfsMutex`], e.g. after a failed start).
    pub(crate) fn unmount_if_unused(
        &self,
        r: &crate::containers::ContainerRecord,
        mutex: &RootfsMutex,
    ) -> Result<()> {
        let dir = self.paths.container(&r.id);
        let unused = berth_monitor::rootfs::unused(&dir, mutex)
            .map_err(io_err("lock", dir.join(USERS_FILE)))?;
        if unused && self.state(r).is_stopped() {
            unmount_rootfs(&dir)?;
        }
        Ok(())
    }
}

/// A claim on a container's mounted rootfs from [`crate::engine::Engine::use_container_rootfs`];
/// dropping it unmounts the rootfs when it was the last and the container is stopped.
pub struct RootfsUse<'a> {
    engine: &'a crate::engine::Engine,
    r: &'a crate::containers::ContainerRecord,
    user: Option<RootfsUser>,
}

impl Drop for RootfsUse<'_> {
    fn drop(&mut self) {
        let Some(user) = self.user.take() else {
            return;
        };
        let dir = self.engine.paths.container(&self.r.id);
        let stopped = || self.engine.state(self.r).is_stopped();
        if let Err(e) = berth_monitor::rootfs::release(user, &dir, stopped) {
            eprintln!(
                "warning: container {}: unmount its rootfs: {e}",
                self.r.name
            );
        }
    }
}

/// Unmounts a container's rootfs if mounted.
pub fn unmount_rootfs(ctr_dir: &Path) -> Result<()> {
    berth_monitor::rootfs::unmount(ctr_dir)
        .map_err(io_err("unmount", RootfsDirs::of(ctr_dir).merged))
}

/// Whether `path` is a mount point (its device differs from its parent's, or it shows in
/// mountinfo).
pub fn is_mounted(path: &Path) -> bool {
    berth_monitor::rootfs::is_mounted(path)
}
