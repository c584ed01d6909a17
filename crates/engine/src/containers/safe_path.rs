//! Resolving a path inside a container's rootfs the way the container would see it: every
//! symlink is followed relative to the rootfs, never to the host, by the path-safety core's
//! resolver ([`berth_pathsafe::Root`]).

use std::path::{Path, PathBuf};

use berth_pathsafe::Root;
use rustix::io::Errno;

use crate::error::{Error, Result};

/// `path` (absolute in the container) resolved under `root`; components that do not exist
/// yet are appended as they are.
pub fn resolve_in_root(root: &Path, path: &str) -> Result<PathBuf> {
    let resolver = Root::open(root).map_err(crate::error::io_err("open", root))?;
    match resolver.resolve_partial(Path::new(path)) {
        Ok(inside) => Ok(root.join(inside.strip_prefix("/").unwrap_or(&inside))),
        Err(e) if Errno::from_io_error(&e) == Some(Errno::LOOP) => Err(Error::Invalid(format!(
            "too many symlinks resolving {path} in the container"
        ))),
        Err(e) => Err(crate::error::io_err(
            "resolve",
            &root.join(path.trim_start_matches('/')),
        )(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn symlinks_stay_inside() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        fs::create_dir_all(root.join("real/data")).unwrap();
        std::os::unix::fs::symlink("/real", root.join("abs")).unwrap();
        std::os::unix::fs::symlink("../../../../etc", root.join("up")).unwrap();
        assert_eq!(
            resolve_in_root(root, "/abs/data").unwrap(),
            root.join("real/data")
        );
        assert_eq!(
            resolve_in_root(root, "/up/passwd").unwrap(),
            root.join("etc/passwd")
        );
        assert_eq!(resolve_in_root(root, "/../../x").unwrap(), root.join("x"));
        assert_eq!(
            resolve_in_root(root, "/abs/new/deeper").unwrap(),
            root.join("real/new/deeper")
        );
    }
}
