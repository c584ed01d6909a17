//! A container's root filesystem: an overlay of the image's unpacked layers (read-only) and
//! the container's own upper directory, mounted at `<ctr_dir>/rootfs`.

use std::fs;
use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};

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
    // overlayfs wants the top layer first.
    let lower = lowers
        .iter()
        .rev()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    let opts = format!(
        "lowerdir={lower},upperdir={},workdir={}",
        d.upper.display(),
        d.work.display()
    );
    if opts.len() > 4000 {
        return Err(Error::Invalid(format!(
            "image has too many layers ({}) for one overlay mount",
            lowers.len()
        )));
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

impl crate::engine::Engine {
    /// Mounts the rootfs of container `r` unless it already is (the common case right after
    /// `create`: then no image document or layer is read). Returns whether it mounted it.
    pub fn mount_container_rootfs(&self, r: &crate::containers::ContainerRecord) -> Result<bool> {
        let dir = self.paths.container(&r.id);
        if is_mounted(&RootfsDirs::of(&dir).merged) {
            return Ok(false);
        }
        let lowers = self.ensure_layers(&self.image_by_id(&r.image_id)?)?.0;
        mount_rootfs(&dir, &lowers, &self.paths.skeletons())?;
        Ok(true)
    }
}

/// Unmounts a container's rootfs if mounted.
pub fn unmount_rootfs(ctr_dir: &Path) -> Result<()> {
    let merged = RootfsDirs::of(ctr_dir).merged;
    while is_mounted(&merged) {
        if let Err(e) = umount2(&merged, MntFlags::empty()) {
            umount2(&merged, MntFlags::MNT_DETACH)
                .map_err(|_| io_err("unmount", &merged)(e.into()))?;
        }
    }
    Ok(())
}

/// Whether `path` is a mount point (its device differs from its parent's, or it shows in
/// mountinfo).
pub fn is_mounted(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Ok(m), Some(parent)) = (fs::symlink_metadata(path), path.parent()) else {
        return false;
    };
    match fs::metadata(parent) {
        Ok(p) if p.dev() != m.dev() => true,
        _ => mountinfo_has(path),
    }
}

fn mountinfo_has(path: &Path) -> bool {
    let Ok(text) = fs::read_to_string("/proc/self/mountinfo") else {
        return false;
    };
    let want = path.display().to_string();
    text.lines()
        .any(|l| l.split(' ').nth(4) == Some(want.as_str()))
}
