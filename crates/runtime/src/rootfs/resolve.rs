//! Safe path resolution inside the container's root: a path from the spec (`/proc`,
//! `/data/x`) is looked up by the path-safety core ([`berth_pathsafe::root`]): one component
//! at a time from a directory fd of the rootfs, with symlinks followed by hand as if the
//! rootfs were `/` (absolute targets restart at the rootfs, `..` never climbs above it).
//! Each step is an `openat2(2)` of a single component with `RESOLVE_BENEATH |
//! RESOLVE_NO_SYMLINKS` (an `O_NOFOLLOW` open where `openat2` is missing), so nothing can
//! leave the directory; missing directories (or a final file) are created on the way, as
//! mount targets need. The result is checked once more with `RESOLVE_IN_ROOT` from the
//! rootfs fd and returned as an `O_PATH` fd, on which callers mount through
//! `/proc/self/fd/N`: no symlink in the image, not even one swapped in later, can point a
//! mount at the host.

pub(crate) use berth_pathsafe::root::{proc_fd_path, Create, Root, Target};

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;
    use std::path::Path;

    fn setup() -> (tempfile::TempDir, Root) {
        let dir = tempfile::Builder::new()
            .prefix("berth-resolve-")
            .tempdir()
            .unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("etc/hosts"), "x").unwrap();
        symlink("/etc", root.join("proc")).unwrap();
        symlink("../../../../../../tmp", root.join("mnt")).unwrap();
        symlink("../..", root.join("etc/up")).unwrap();
        symlink("loop", root.join("loop")).unwrap();
        symlink("hosts", root.join("etc/hostlink")).unwrap();
        let r = Root::open(&root).unwrap();
        (dir, r)
    }

    #[test]
    fn follows_symlinks_inside_root() {
        let (_d, r) = setup();
        let t = r.resolve(Path::new("/proc"), Create::No).unwrap();
        assert_eq!(t.path, Path::new("/etc"));
        let t = r
            .resolve(Path::new("/etc/up/etc/up/etc/hosts"), Create::No)
            .unwrap();
        assert_eq!(t.path, Path::new("/etc/hosts"));
        let t = r
            .resolve(Path::new("../../etc/hostlink"), Create::No)
            .unwrap();
        assert_eq!(t.path, Path::new("/etc/hosts"));
        let t = r.resolve(Path::new("/"), Create::No).unwrap();
        assert_eq!(t.path, Path::new("/"));
    }

    #[test]
    fn creates_inside_root() {
        let (d, r) = setup();
        let t = r.resolve(Path::new("/mnt/a/b"), Create::Dir).unwrap();
        assert_eq!(t.path, Path::new("/tmp/a/b"));
        assert!(d.path().join("root/tmp/a/b").is_dir());
        let t = r
            .resolve(Path::new("/proc/new/file"), Create::File)
            .unwrap();
        assert_eq!(t.path, Path::new("/etc/new/file"));
        assert!(d.path().join("root/etc/new/file").is_file());
    }

    #[test]
    fn errors() {
        let (_d, r) = setup();
        let e = r.resolve(Path::new("/nope"), Create::No).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOENT));
        let e = r.resolve(Path::new("/loop/x"), Create::Dir).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ELOOP));
        let e = r
            .resolve(Path::new("/etc/hosts/x"), Create::Dir)
            .unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOTDIR));
    }
}
