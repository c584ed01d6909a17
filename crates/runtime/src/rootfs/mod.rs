//! The container's filesystem view, built inside its new mount namespace by the container
//! process: rootfs propagation, the bind of the rootfs onto itself, every `mounts` entry
//! (destinations resolved *inside* the rootfs so that no symlink in the image can point a
//! mount at the host), device nodes, `/dev` symlinks, `pivot_root` (or the `--no-pivot`
//! fallback), then masked paths, read-only paths and a read-only root.
//!
//! TODO(helper): implement.

use std::path::Path;

use oci_spec::runtime::Spec;

use crate::Result;

/// Facts about the container that change how mounts are made.
#[derive(Debug, Clone, Copy, Default)]
pub struct MountContext {
    /// The container has its own user namespace: device nodes cannot be created with mknod
    /// and are bind-mounted from the host instead; some mount flags must be preserved.
    pub in_user_namespace: bool,
    /// The container has its own cgroup namespace (affects `cgroup` mounts).
    pub in_cgroup_namespace: bool,
}

/// Step 1, before `createContainer` hooks: sets the propagation of `/` (the spec's
/// `linux.rootfsPropagation`, default rslave), bind-mounts `rootfs` onto itself, mounts every
/// entry of `spec.mounts` under it, creates `linux.devices` plus the default devices
/// (null, zero, full, random, urandom, tty, ptmx -> pts/ptmx) and the `/dev/fd`, `/dev/stdin`,
/// `/dev/stdout`, `/dev/stderr`, `/dev/core` symlinks.
pub fn mount_all(_spec: &Spec, _rootfs: &Path, _ctx: MountContext) -> Result<()> {
    todo!()
}

/// Step 2: makes `rootfs` the process's `/` with `pivot_root(2)` and detaches the old root;
/// with `no_pivot`, moves the rootfs over `/` and chroots instead (runc's `--no-pivot`).
pub fn pivot(_rootfs: &Path, _no_pivot: bool) -> Result<()> {
    todo!()
}

/// Step 3, after pivot: masks `linux.maskedPaths` (a read-only empty tmpfs for directories,
/// /dev/null bind for files, silently skipping missing paths), makes `linux.readonlyPaths`
/// read-only binds, and remounts `/` read-only when `root.readonly` is set.
pub fn finalize(_spec: &Spec) -> Result<()> {
    todo!()
}
