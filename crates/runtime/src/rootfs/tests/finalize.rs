//! `finalize` (masked paths, read-only paths, read-only root, delayed read-only tmpfs) and
//! the options that only show once mounted: recursive read-only, propagation, tmpfs mode.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde_json::json;

use super::{
    ensure, in_child, mount_at, mount_opts, mounts, require_root, spec, Check, Fixture, OrFail,
};
use crate::rootfs::{finalize, mount_all, pivot, MountContext};

fn erofs(path: &str) -> Check {
    let err = std::fs::write(path, "x").err().map(|e| e.raw_os_error());
    ensure!(
        err == Some(Some(libc::EROFS)),
        "write {path}: expected EROFS, got {err:?}"
    );
    Ok(())
}

#[test]
fn masked_readonly_and_readonly_root() {
    require_root!();
    let f = Fixture::new();
    f.write("rootfs/etc/secret", "top secret\n");
    f.write("rootfs/etc/secretdir/key", "k\n");
    f.write("rootfs/etc/rodir/file", "r\n");
    f.write("rootfs/var/data", "v\n");
    let s = spec(json!({
        "root": {"path": "rootfs", "readonly": true},
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
            {"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["ro", "nosuid", "nodev"]},
            {"destination": "/run/inner", "type": "tmpfs", "source": "tmpfs", "options": ["size=64k"]},
            {"destination": "/var", "type": "tmpfs", "source": "tmpfs"},
        ],
        "linux": {
            "maskedPaths": ["/etc/secret", "/etc/secretdir", "/does/not/exist", "/proc/kcore"],
            "readonlyPaths": ["/etc/rodir", "/missing/too", "/proc/sys"],
        },
    }));
    in_child(&f, libc::CLONE_NEWPID as u64, || {
        mount_all(&s, &f.rootfs, MountContext::default()).or_fail("mount_all")?;
        pivot(&f.rootfs, false).or_fail("pivot")?;
        finalize(&s).or_fail("finalize")?;
        // Masked file reads as /dev/null; masked dir is an empty read-only tmpfs.
        let secret = std::fs::read_to_string("/etc/secret").or_fail("read /etc/secret")?;
        ensure!(secret.is_empty(), "/etc/secret not masked: {secret:?}");
        let n = std::fs::read_dir("/etc/secretdir")
            .or_fail("read /etc/secretdir")?
            .count();
        ensure!(n == 0, "/etc/secretdir shows {n} entries");
        erofs("/etc/secretdir/new")?;
        let kcore = std::fs::metadata("/proc/kcore")
            .map(|m| m.len())
            .unwrap_or(0);
        ensure!(kcore == 0, "/proc/kcore not masked");
        // Read-only paths.
        ensure!(
            std::fs::read_to_string("/etc/rodir/file").ok().as_deref() == Some("r\n"),
            "rodir"
        );
        erofs("/etc/rodir/new")?;
        let sys = mount_opts(Path::new("/proc/sys"))?;
        ensure!(sys.iter().any(|o| o == "ro"), "/proc/sys not ro: {sys:?}");
        // Read-only root, writable tmpfs on it.
        erofs("/newfile")?;
        std::fs::write("/var/ok", "x").or_fail("write to /var tmpfs")?;
        // /run became read-only only after /run/inner was created in it.
        erofs("/run/new")?;
        let run = mount_opts(Path::new("/run"))?;
        ensure!(
            run.iter().any(|o| o == "nosuid"),
            "/run lost nosuid: {run:?}"
        );
        std::fs::write("/run/inner/ok", "x").or_fail("write to /run/inner")?;
        Ok(())
    });
}

#[test]
fn bind_options_recursive_and_propagation() {
    require_root!();
    let f = Fixture::new();
    f.write("vol/file", "v\n");
    f.mkdir("vol/sub");
    f.mkdir("plain");
    let vol = f.path("vol");
    let s = spec(json!({ "mounts": [
        {"destination": "/rro", "type": "bind", "source": vol, "options": ["rbind", "rro"]},
        {"destination": "/shared", "type": "bind", "source": f.path("plain"), "options": ["bind", "shared"]},
        {"destination": "/priv", "type": "bind", "source": f.path("plain"), "options": ["bind", "private", "nosuid"]},
        {"destination": "/keep", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
    ]}));
    // An existing directory's mode is kept by a tmpfs mounted over it.
    f.mkdir("rootfs/keep");
    std::fs::set_permissions(
        f.path("rootfs/keep"),
        std::os::unix::fs::PermissionsExt::from_mode(0o711),
    )
    .expect("chmod");
    in_child(&f, 0, || {
        // A submount in the source: `rro` must make it read-only too.
        let sub = vol.join("sub");
        crate::rootfs::mnt::mount(Some(Path::new("tmpfs")), &sub, Some("tmpfs"), 0, None)
            .or_fail("mount tmpfs in source")?;
        mount_all(&s, &f.rootfs, MountContext::default()).or_fail("mount_all")?;
        let r = &f.rootfs;
        for p in [r.join("rro"), r.join("rro/sub")] {
            let opts = mount_opts(&p)?;
            ensure!(opts.iter().any(|o| o == "ro"), "{p:?} not ro: {opts:?}");
        }
        let err = std::fs::write(r.join("rro/sub/x"), "x")
            .err()
            .map(|e| e.raw_os_error());
        ensure!(
            err == Some(Some(libc::EROFS)),
            "rro submount writable: {err:?}"
        );
        let table = mounts()?;
        let shared = mount_at(&table, &r.join("shared")).ok_or("no /shared mount")?;
        ensure!(
            shared.is_shared(),
            "/shared not shared: {:?}",
            shared.optional
        );
        let private = mount_at(&table, &r.join("priv")).ok_or("no /priv mount")?;
        ensure!(
            private.optional.is_empty(),
            "/priv not private: {:?}",
            private.optional
        );
        ensure!(
            mount_opts(&r.join("priv"))?.iter().any(|o| o == "nosuid"),
            "/priv lacks nosuid"
        );
        let mode = std::fs::metadata(r.join("keep"))
            .or_fail("stat /keep")?
            .mode()
            & 0o7777;
        ensure!(mode == 0o711, "tmpfs over /keep has mode {mode:o}");
        Ok(())
    });
}
