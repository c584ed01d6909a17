//! Device nodes: `linux.devices` with modes and owners, the defaults, the `/dev` symlinks,
//! the bind-mounted nodes of a user namespace, and no devices when `/dev` is a host bind.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use serde_json::json;

use super::{ensure, in_child, mount_at, mounts, require_root, spec, Fixture, OrFail};
use crate::rootfs::{mount_all, MountContext};

fn dev_tmpfs() -> serde_json::Value {
    json!({"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]})
}

#[test]
fn devices_with_mode_and_owner() {
    require_root!();
    let f = Fixture::new();
    let s = spec(json!({
        "mounts": [dev_tmpfs()],
        "linux": {"devices": [
            {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o600, "uid": 1000, "gid": 1001},
            {"path": "/dev/sub/loopish", "type": "b", "major": 7, "minor": 200, "fileMode": 0o640},
            {"path": "/dev/myfifo", "type": "p", "fileMode": 0o620, "gid": 5},
            {"path": "/dev/zero", "type": "u", "major": 1, "minor": 5, "fileMode": 0o444},
        ]},
    }));
    in_child(&f, 0, || {
        mount_all(&s, &f.rootfs, MountContext::default()).or_fail("mount_all")?;
        let dev = f.rootfs.join("dev");
        let meta = |n: &str| std::fs::symlink_metadata(dev.join(n)).or_fail(n);
        let m = meta("mynull")?;
        ensure!(
            m.file_type().is_char_device() && m.rdev() == libc::makedev(1, 3),
            "mynull type"
        );
        ensure!(
            m.mode() & 0o7777 == 0o600 && m.uid() == 1000 && m.gid() == 1001,
            "mynull attrs"
        );
        let m = meta("sub/loopish")?;
        ensure!(
            m.file_type().is_block_device() && m.rdev() == libc::makedev(7, 200),
            "block dev"
        );
        ensure!(m.mode() & 0o7777 == 0o640, "block dev mode {:o}", m.mode());
        let m = meta("myfifo")?;
        ensure!(
            m.file_type().is_fifo() && m.mode() & 0o7777 == 0o620 && m.gid() == 5,
            "fifo"
        );
        // The spec's /dev/zero overrides the default's mode.
        ensure!(
            meta("zero")?.mode() & 0o7777 == 0o444,
            "zero mode not from the spec"
        );
        for (n, min) in [("null", 3), ("full", 7), ("random", 8), ("urandom", 9)] {
            let m = meta(n)?;
            ensure!(
                m.rdev() == libc::makedev(1, min) && m.mode() & 0o7777 == 0o666,
                "/dev/{n}"
            );
        }
        ensure!(meta("tty")?.rdev() == libc::makedev(5, 0), "/dev/tty");
        for (n, target) in [
            ("ptmx", "pts/ptmx"),
            ("fd", "/proc/self/fd"),
            ("stdin", "/proc/self/fd/0"),
        ] {
            let t = std::fs::read_link(dev.join(n)).or_fail(n)?;
            ensure!(t == Path::new(target), "/dev/{n} -> {t:?}");
        }
        let core = std::fs::read_link(dev.join("core")).ok();
        let kcore = Path::new("/proc/kcore").exists();
        ensure!(
            core.is_some() == kcore,
            "/dev/core present: {:?}, /proc/kcore: {kcore}",
            core
        );
        Ok(())
    });
}

#[test]
fn user_namespace_binds_host_nodes() {
    require_root!();
    let f = Fixture::new();
    let s = spec(json!({"mounts": [dev_tmpfs()]}));
    let ctx = MountContext {
        in_user_namespace: true,
        ..Default::default()
    };
    in_child(&f, 0, || {
        mount_all(&s, &f.rootfs, ctx).or_fail("mount_all")?;
        let table = mounts()?;
        for n in ["null", "zero", "full", "random", "urandom", "tty"] {
            let p = f.rootfs.join("dev").join(n);
            ensure!(mount_at(&table, &p).is_some(), "{p:?} is not a bind mount");
            let m = std::fs::metadata(&p).or_fail(n)?;
            ensure!(
                m.file_type().is_char_device(),
                "{p:?} is not the host's device"
            );
        }
        Ok(())
    });
}

#[test]
fn dev_bind_skips_devices() {
    require_root!();
    let f = Fixture::new();
    f.mkdir("hostdev");
    let s = spec(json!({"mounts": [
        {"destination": "/dev", "type": "bind", "source": f.path("hostdev"), "options": ["rbind"]},
    ]}));
    in_child(&f, 0, || {
        mount_all(&s, &f.rootfs, MountContext::default()).or_fail("mount_all")?;
        let n = std::fs::read_dir(f.rootfs.join("dev"))
            .or_fail("read dev")?
            .count();
        ensure!(
            n == 0,
            "devices were created in a bind-mounted /dev ({n} entries)"
        );
        Ok(())
    });
}
