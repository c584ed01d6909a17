//! The whole sequence (`mount_all`, `pivot`, `finalize`) with the usual container mounts,
//! `--no-pivot`, `rootfsPropagation`, cgroup mounts, and a busybox run when available.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use serde_json::json;

use super::{
    ensure, in_child, mount_at, mount_opts, mounts, require_root, spec, Check, Fixture, OrFail,
};
use crate::rootfs::{finalize, mount_all, pivot, MountContext};

const NEWPID: u64 = libc::CLONE_NEWPID as u64;

/// The mounts of a typical `berth run` / `runc spec` config, plus a read-only bind of
/// `base/src` at `/data` and a file bind at `/etc/injected`.
fn typical_mounts(f: &Fixture) -> serde_json::Value {
    json!([
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777", "size=1m"]},
        {"destination": "/data", "type": "bind", "source": f.path("src"),
         "options": ["rbind", "ro", "nosuid", "nodev", "noexec"]},
        {"destination": "/etc/injected", "type": "none", "source": f.path("srcfile"),
         "options": ["bind"]},
    ])
}

fn typical_fixture() -> Fixture {
    let f = Fixture::new();
    f.write("src/hello", "hi\n");
    f.write("srcfile", "injected\n");
    f
}

#[test]
fn full_setup_with_pivot() {
    require_root!();
    let f = typical_fixture();
    let s = spec(json!({ "mounts": typical_mounts(&f) }));
    in_child(&f, NEWPID, || {
        mount_all(&s, &f.rootfs, MountContext::default()).or_fail("mount_all")?;
        pivot(&f.rootfs, false).or_fail("pivot")?;
        finalize(&s).or_fail("finalize")?;
        check_typical()
    });
}

/// What a container with [`typical_mounts`] must see from inside.
fn check_typical() -> Check {
    let table = mounts()?;
    let expected = [
        ("/", None),
        ("/proc", Some("proc")),
        ("/dev", Some("tmpfs")),
        ("/dev/pts", Some("devpts")),
        ("/dev/shm", Some("tmpfs")),
        ("/dev/mqueue", Some("mqueue")),
        ("/sys", Some("sysfs")),
        ("/tmp", Some("tmpfs")),
        ("/data", None),
        ("/etc/injected", None),
    ];
    for m in &table {
        ensure!(
            expected.iter().any(|(p, _)| m.mount_point == Path::new(p)),
            "unexpected mount {:?} (old root not detached?)",
            m.mount_point
        );
    }
    for (p, ty) in expected {
        let m = mount_at(&table, Path::new(p)).ok_or(format!("no mount at {p}"))?;
        if let Some(ty) = ty {
            ensure!(m.fs_type == ty, "{p} is {} instead of {ty}", m.fs_type);
        }
    }
    let sys = mount_opts(Path::new("/sys"))?;
    ensure!(sys.iter().any(|o| o == "ro"), "/sys not read-only: {sys:?}");
    let data = mount_opts(Path::new("/data"))?;
    for o in ["ro", "nosuid", "nodev", "noexec"] {
        ensure!(data.iter().any(|x| x == o), "/data lacks {o}: {data:?}");
    }
    let tmp = std::fs::metadata("/tmp").or_fail("stat /tmp")?;
    ensure!(tmp.mode() & 0o7777 == 0o1777, "/tmp mode {:o}", tmp.mode());
    let vfs = rustix::fs::statvfs("/tmp").or_fail("statvfs /tmp")?;
    ensure!(
        vfs.f_blocks * vfs.f_frsize == 1 << 20,
        "/tmp size {}",
        vfs.f_blocks * vfs.f_frsize
    );
    ensure!(
        std::fs::read_to_string("/data/hello").ok().as_deref() == Some("hi\n"),
        "/data/hello"
    );
    let err = std::fs::write("/data/new", "x")
        .err()
        .map(|e| e.raw_os_error());
    ensure!(err == Some(Some(libc::EROFS)), "write to /data: {err:?}");
    let injected = std::fs::read_to_string("/etc/injected").or_fail("read /etc/injected")?;
    ensure!(injected == "injected\n", "/etc/injected is {injected:?}");
    let null = std::fs::metadata("/dev/null").or_fail("stat /dev/null")?;
    ensure!(
        null.file_type().is_char_device(),
        "/dev/null not a char device"
    );
    ensure!(
        null.rdev() == libc::makedev(1, 3),
        "/dev/null rdev {:x}",
        null.rdev()
    );
    ensure!(
        null.mode() & 0o7777 == 0o666,
        "/dev/null mode {:o}",
        null.mode()
    );
    let ptmx = std::fs::read_link("/dev/ptmx").or_fail("readlink /dev/ptmx")?;
    ensure!(ptmx == Path::new("pts/ptmx"), "/dev/ptmx -> {ptmx:?}");
    let fd = std::fs::read_link("/dev/fd").or_fail("readlink /dev/fd")?;
    ensure!(fd == Path::new("/proc/self/fd"), "/dev/fd -> {fd:?}");
    ensure!(Path::new("/dev/pts/ptmx").exists(), "no /dev/pts/ptmx");
    ensure!(
        Path::new("/dev/stderr").exists(),
        "/dev/stderr does not resolve"
    );
    let cwd = std::env::current_dir().or_fail("getcwd")?;
    ensure!(cwd == Path::new("/"), "cwd is {cwd:?}");
    Ok(())
}

#[test]
fn no_pivot_moves_and_chroots() {
    require_root!();
    let f = typical_fixture();
    let s = spec(json!({ "mounts": typical_mounts(&f) }));
    in_child(&f, NEWPID, || {
        mount_all(&s, &f.rootfs, MountContext::default()).or_fail("mount_all")?;
        pivot(&f.rootfs, true).or_fail("pivot --no-pivot")?;
        finalize(&s).or_fail("finalize")?;
        let hostname = std::fs::read_to_string("/etc/hostname").or_fail("read /etc/hostname")?;
        ensure!(
            hostname == "container\n",
            "/ is not the rootfs: /etc/hostname is {hostname:?}"
        );
        check_typical()
    });
}

#[test]
fn rootfs_propagation() {
    require_root!();
    for (prop, shared) in [("rshared", true), ("private", false), ("rslave", false)] {
        let f = Fixture::new();
        let s = spec(json!({
            "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
            "linux": {"rootfsPropagation": prop},
        }));
        in_child(&f, 0, || {
            mount_all(&s, &f.rootfs, MountContext::default()).or_fail("mount_all")?;
            pivot(&f.rootfs, false).or_fail("pivot")?;
            finalize(&s).or_fail("finalize")?;
            let root = mount_at(&mounts()?, Path::new("/")).ok_or("no / mount")?;
            ensure!(
                root.is_shared() == shared,
                "{prop}: / has {:?}",
                root.optional
            );
            Ok(())
        });
    }
    // A rootfs on a mount of its own: `/` is then not its parent, yet must not stay shared.
    for no_pivot in [false, true] {
        let f = Fixture::new();
        let s = spec(json!({
            "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
            "linux": {"rootfsPropagation": "rshared"},
        }));
        in_child(&f, 0, || {
            let sep = f.path("sep");
            std::fs::create_dir_all(&sep).or_fail("mkdir sep")?;
            crate::rootfs::mnt::mount(Some(Path::new("tmpfs")), &sep, Some("tmpfs"), 0, None)
                .or_fail("mount tmpfs")?;
            let rootfs = sep.join("rootfs");
            std::fs::create_dir_all(rootfs.join("etc")).or_fail("mkdir rootfs")?;
            mount_all(&s, &rootfs, MountContext::default()).or_fail("mount_all")?;
            pivot(&rootfs, no_pivot).or_fail("pivot")?;
            finalize(&s).or_fail("finalize")?;
            let root = mount_at(&mounts()?, Path::new("/")).ok_or("no / mount")?;
            ensure!(
                root.is_shared(),
                "/ not shared (no_pivot {no_pivot}): {:?}",
                root.optional
            );
            Ok(())
        });
    }
    let f = Fixture::new();
    let s = spec(json!({ "mounts": [], "linux": {"rootfsPropagation": "sideways"} }));
    in_child(&f, 0, || {
        let err = mount_all(&s, &f.rootfs, MountContext::default())
            .err()
            .map(|e| e.to_string());
        ensure!(
            err.as_deref()
                .is_some_and(|e| e.contains("rootfsPropagation")),
            "bad propagation accepted: {err:?}"
        );
        Ok(())
    });
}

#[test]
fn cgroup_mounts() {
    require_root!();
    for (cgroupns, flags) in [(false, 0), (true, libc::CLONE_NEWCGROUP as u64)] {
        let f = Fixture::new();
        let s = spec(json!({ "mounts": [
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
        ]}));
        let ctx = MountContext {
            in_cgroup_namespace: cgroupns,
            ..Default::default()
        };
        in_child(&f, flags, || {
            mount_all(&s, &f.rootfs, ctx).or_fail("mount_all")?;
            let dest = f.rootfs.join("sys/fs/cgroup");
            let table = mounts()?;
            let under: Vec<_> = table
                .iter()
                .filter(|m| m.mount_point.starts_with(&dest))
                .collect();
            ensure!(!under.is_empty(), "nothing mounted at {dest:?}");
            for m in &under {
                let opts = mount_opts(&m.mount_point)?;
                ensure!(
                    opts.iter().any(|o| o == "ro"),
                    "{:?} not read-only: {opts:?}",
                    m.mount_point
                );
            }
            let entries = std::fs::read_dir(&dest).or_fail("read cgroup dir")?.count();
            ensure!(entries > 0, "cgroup dir is empty");
            Ok(())
        });
    }
}

#[test]
fn busybox_runs_in_container() {
    require_root!();
    let f = typical_fixture();
    if !f.with_busybox() {
        eprintln!("skipping: no /bin/busybox on this host");
        return;
    }
    let s =
        spec(json!({ "mounts": typical_mounts(&f), "root": {"path": "rootfs", "readonly": true} }));
    in_child(&f, NEWPID, || {
        mount_all(&s, &f.rootfs, MountContext::default()).or_fail("mount_all")?;
        pivot(&f.rootfs, false).or_fail("pivot")?;
        finalize(&s).or_fail("finalize")?;
        let script =
            "set -e; test -c /dev/null; test -L /dev/ptmx; test \"$(cat /data/hello)\" = hi; \
                      grep -q ' - proc proc ' /proc/self/mountinfo; ! touch /newfile 2>/dev/null; \
                      touch /tmp/ok; test $$ = 1";
        let argv =
            ["busybox", "sh", "-c", script].map(|a| std::ffi::CString::new(a).unwrap_or_default());
        let err = nix::unistd::execv(c"/bin/busybox", &argv).unwrap_err();
        Err(format!("exec busybox: {err}"))
    });
}
