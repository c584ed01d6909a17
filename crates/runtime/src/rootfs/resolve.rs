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
//! mount at the host. Its tests (both resolution paths) are the core's.

pub(crate) use berth_pathsafe::root::{proc_fd_path, Create, Root, Target};
