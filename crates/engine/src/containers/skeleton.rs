//! The mount-point skeleton of a container's root filesystem (Docker's "init layer"): the
//! directories and files the runtime mounts over - `/proc`, `/sys`, `/dev`, `/etc/hosts`,
//! `/etc/hostname`, `/etc/resolv.conf` - that the image lacks, made once and shared by every
//! container and build step as the top read-only layer of its overlay
//! (`rootfs::mount_rootfs` adds it).
//!
//! Without it each start creates them in the container's upper directory (seven new inodes
//! and a copy-up of `/etc`), which was ~4 ms of a `run --rm` on this project's machines, and
//! a build's RUN step left them as empty entries in the layer it made. Only
//! missing paths are added, never over anything the image has: a path the image has as a
//! symlink or file, or below a symlinked `/etc`, is left to the runtime as before.

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use berth_store::Digest;

use crate::error::{io_err, Result};

/// Mount points that are directories.
const DIRS: [&str; 3] = ["proc", "sys", "dev"];
/// Mount points that are files, all in `/etc`.
const ETC_FILES: [&str; 3] = ["hosts", "hostname", "resolv.conf"];

/// What the image has at a path, looking through its layers from the top.
#[derive(Debug, PartialEq)]
enum Found {
    Missing,
    Dir(Attrs),
    Other,
}

/// The attributes an `/etc` of the skeleton copies from the image's, so that the merged
/// directory (whose attributes overlayfs takes from the topmost layer) looks the same.
#[derive(Debug, Clone, PartialEq)]
struct Attrs {
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: i64,
}

impl Attrs {
    const DEFAULT: Attrs = Attrs {
        mode: 0o755,
        uid: 0,
        gid: 0,
        mtime: 0,
    };
}

/// What the skeleton of one image holds.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    dirs: Vec<&'static str>,
    /// `/etc` (with its attributes) and the files to create in it.
    etc: Option<(Attrs, Vec<&'static str>)>,
}

impl Plan {
    fn is_empty(&self) -> bool {
        self.dirs.is_empty() && self.etc.is_none()
    }

    /// A stable name for this plan: images that need the same skeleton share it.
    fn key(&self) -> String {
        let mut text = format!("v1 dirs={:?}", self.dirs);
        if let Some((a, files)) = &self.etc {
            text += &format!(" etc={a:?} files={files:?}");
        }
        Digest::of_bytes(text.as_bytes()).hex()[..32].to_string()
    }
}

/// The skeleton layer for an image whose layers are `lowers` (bottom first), made under
/// `dir` if needed; `None` when the image already has every mount point.
pub fn for_layers(dir: &Path, lowers: &[PathBuf]) -> Result<Option<PathBuf>> {
    let plan = plan(lowers);
    if plan.is_empty() {
        return Ok(None);
    }
    let key = plan.key();
    let path = dir.join(&key);
    if path.is_dir() {
        return Ok(Some(path));
    }
    fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    // Unique per call: a build's stages make skeletons from parallel threads.
    let tmp = dir.join(format!(".tmp-{}", berth_store::blobs::unique_suffix()));
    let made = write(&tmp, &plan).and_then(|()| match fs::rename(&tmp, &path) {
        Ok(()) => Ok(()),
        // Another command made the same skeleton meanwhile: use theirs.
        Err(_) if path.is_dir() => {
            let _ = fs::remove_dir_all(&tmp);
            Ok(())
        }
        Err(e) => Err(io_err("rename into place", &path)(e)),
    });
    if made.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    made.map(|()| Some(path))
}

/// Decides what the image lacks.
fn plan(lowers: &[PathBuf]) -> Plan {
    let mut p = Plan::default();
    for d in DIRS {
        if lookup(lowers, d) == Found::Missing {
            p.dirs.push(d);
        }
    }
    let etc = match lookup(lowers, "etc") {
        Found::Missing => Some(Attrs::DEFAULT),
        Found::Dir(a) => Some(a),
        Found::Other => None,
    };
    if let Some(attrs) = etc {
        let files: Vec<&str> = ETC_FILES
            .into_iter()
            .filter(|f| lookup(lowers, &format!("etc/{f}")) == Found::Missing)
            .collect();
        if !files.is_empty() {
            p.etc = Some((attrs, files));
        }
    }
    p
}

/// What the topmost layer holding `rel` has there; an overlayfs whiteout (0:0 character
/// device) hides what lies below, so it counts as missing.
fn lookup(lowers: &[PathBuf], rel: &str) -> Found {
    for layer in lowers.iter().rev() {
        let Ok(m) = fs::symlink_metadata(layer.join(rel)) else {
            continue;
        };
        let t = m.file_type();
        return if t.is_char_device() && m.rdev() == 0 {
            Found::Missing
        } else if t.is_dir() {
            Found::Dir(Attrs {
                mode: m.mode() & 0o7777,
                uid: m.uid(),
                gid: m.gid(),
                mtime: m.mtime(),
            })
        } else {
            Found::Other
        };
    }
    Found::Missing
}

/// Creates the skeleton's tree in `root`.
fn write(root: &Path, plan: &Plan) -> Result<()> {
    fs::create_dir_all(root).map_err(io_err("create", root))?;
    for d in &plan.dirs {
        let p = root.join(d);
        fs::create_dir(&p).map_err(io_err("create", &p))?;
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).map_err(io_err("chmod", &p))?;
    }
    if let Some((a, files)) = &plan.etc {
        let etc = root.join("etc");
        fs::create_dir(&etc).map_err(io_err("create", &etc))?;
        for f in files {
            let p = etc.join(f);
            fs::write(&p, b"").map_err(io_err("create", &p))?;
            fs::set_permissions(&p, fs::Permissions::from_mode(0o644))
                .map_err(io_err("chmod", &p))?;
        }
        std::os::unix::fs::chown(&etc, Some(a.uid), Some(a.gid)).map_err(io_err("chown", &etc))?;
        fs::set_permissions(&etc, fs::Permissions::from_mode(a.mode))
            .map_err(io_err("chmod", &etc))?;
        let mtime = UNIX_EPOCH + Duration::from_secs(a.mtime.max(0) as u64);
        fs::File::open(&etc)
            .and_then(|f| f.set_modified(mtime))
            .map_err(io_err("set the modification time of", &etc))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(dir: &Path, name: &str) -> PathBuf {
        let p = dir.join(name);
        fs::create_dir_all(&p).unwrap();
        p
    }

    #[test]
    fn only_missing_mount_points_are_planned() {
        let t = tempfile::tempdir().unwrap();
        let base = layer(t.path(), "base");
        fs::create_dir_all(base.join("etc")).unwrap();
        fs::write(base.join("etc/hosts"), "x").unwrap();
        fs::create_dir(base.join("proc")).unwrap();
        let p = plan(&[base]);
        assert_eq!(p.dirs, vec!["sys", "dev"]);
        let (_, files) = p.etc.unwrap();
        assert_eq!(files, vec!["hostname", "resolv.conf"]);
    }

    #[test]
    fn a_symlinked_etc_or_file_is_left_alone() {
        let t = tempfile::tempdir().unwrap();
        let base = layer(t.path(), "base");
        std::os::unix::fs::symlink("usr/etc", base.join("etc")).unwrap();
        for d in DIRS {
            fs::create_dir(base.join(d)).unwrap();
        }
        assert!(plan(std::slice::from_ref(&base)).is_empty());
        fs::remove_file(base.join("etc")).unwrap();
        fs::create_dir(base.join("etc")).unwrap();
        std::os::unix::fs::symlink("/run/resolv.conf", base.join("etc/resolv.conf")).unwrap();
        let (_, files) = plan(&[base]).etc.unwrap();
        assert_eq!(files, vec!["hosts", "hostname"]);
    }

    #[test]
    fn a_whiteout_in_an_upper_layer_hides_the_lower_path() {
        let t = tempfile::tempdir().unwrap();
        let base = layer(t.path(), "base");
        let top = layer(t.path(), "top");
        fs::create_dir(base.join("proc")).unwrap();
        nix::sys::stat::mknod(
            &top.join("proc"),
            nix::sys::stat::SFlag::S_IFCHR,
            nix::sys::stat::Mode::empty(),
            0,
        )
        .unwrap();
        assert!(plan(&[base, top]).dirs.contains(&"proc"));
    }

    #[test]
    fn the_skeleton_is_made_once_with_the_images_etc_attributes() {
        let t = tempfile::tempdir().unwrap();
        let base = layer(t.path(), "base");
        fs::create_dir(base.join("etc")).unwrap();
        fs::set_permissions(base.join("etc"), fs::Permissions::from_mode(0o750)).unwrap();
        let skel = t.path().join("skeletons");
        let a = for_layers(&skel, std::slice::from_ref(&base))
            .unwrap()
            .unwrap();
        let b = for_layers(&skel, &[base]).unwrap().unwrap();
        assert_eq!(a, b);
        assert!(a.join("proc").is_dir() && a.join("etc/hosts").is_file());
        let m = fs::metadata(a.join("etc")).unwrap();
        assert_eq!(m.mode() & 0o7777, 0o750);
        assert_eq!(fs::read_dir(&skel).unwrap().count(), 1, "no temp dir left");
    }

    #[test]
    fn threads_making_the_same_skeleton_all_get_it() {
        let t = tempfile::tempdir().unwrap();
        let base = layer(t.path(), "base");
        let skel = t.path().join("skeletons");
        let made: Vec<PathBuf> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| for_layers(&skel, std::slice::from_ref(&base))))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap().unwrap().unwrap())
                .collect()
        });
        assert!(made
            .iter()
            .all(|p| p == &made[0] && p.join("etc/resolv.conf").is_file()));
        assert_eq!(fs::read_dir(&skel).unwrap().count(), 1, "no temp dir left");
    }

    #[test]
    fn an_image_with_every_mount_point_needs_none() {
        let t = tempfile::tempdir().unwrap();
        let base = layer(t.path(), "base");
        for d in DIRS {
            fs::create_dir(base.join(d)).unwrap();
        }
        fs::create_dir(base.join("etc")).unwrap();
        for f in ETC_FILES {
            fs::write(base.join("etc").join(f), "").unwrap();
        }
        assert_eq!(for_layers(&t.path().join("s"), &[base]).unwrap(), None);
    }
}
