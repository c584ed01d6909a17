//! Hostile images and bad specs: symlinks in the rootfs that point at host paths must only
//! ever lead inside the rootfs; mounts inside /proc, idmap and bad sources fail with clear
//! messages.

use std::path::Path;

use serde_json::json;

use super::{ensure, in_child, mount_at, mounts, require_root, spec, Fixture, OrFail};
use crate::rootfs::mounts::{mount_entry, Entry};
use crate::rootfs::resolve::Root;
use crate::rootfs::{mount_all, MountContext};

#[test]
fn absolute_symlink_proc_to_etc() {
    require_root!();
    let f = Fixture::new();
    f.symlink("rootfs/proc", "/etc");
    let s = spec(json!({"mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}]}));
    let host_etc = std::fs::read_dir("/etc").map(|d| d.count()).unwrap_or(0);
    in_child(&f, libc::CLONE_NEWPID as u64, || {
        mount_all(&s, &f.rootfs, MountContext::default()).or_fail("mount_all")?;
        let table = mounts()?;
        ensure!(
            mount_at(&table, Path::new("/etc")).is_none(),
            "the host's /etc was mounted over"
        );
        let inside = mount_at(&table, &f.rootfs.join("etc")).ok_or("no mount on rootfs/etc")?;
        ensure!(
            inside.fs_type == "proc",
            "rootfs/etc has {}",
            inside.fs_type
        );
        let now = std::fs::read_dir("/etc").map(|d| d.count()).unwrap_or(0);
        ensure!(
            now == host_etc,
            "host /etc changed: {host_etc} -> {now} entries"
        );
        ensure!(
            f.rootfs.join("etc/self").exists(),
            "rootfs/etc is not a procfs"
        );
        Ok(())
    });
}

#[test]
fn relative_symlink_escaping_upwards() {
    require_root!();
    let f = Fixture::new();
    f.symlink("rootfs/mnt", "../../../../../../../../tmp");
    f.mkdir("src");
    let s = spec(json!({"mounts": [
        {"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
        {"destination": "/mnt/sub/dir", "type": "bind", "source": f.path("src"), "options": ["bind"]},
    ]}));
    in_child(&f, 0, || {
        mount_all(&s, &f.rootfs, MountContext::default()).or_fail("mount_all")?;
        let table = mounts()?;
        for host in ["/tmp", "/tmp/sub/dir"] {
            ensure!(
                mount_at(&table, Path::new(host)).is_none(),
                "host {host} was mounted over"
            );
        }
        let tmp = mount_at(&table, &f.rootfs.join("tmp")).ok_or("no mount on rootfs/tmp")?;
        ensure!(tmp.fs_type == "tmpfs", "rootfs/tmp has {}", tmp.fs_type);
        ensure!(
            mount_at(&table, &f.rootfs.join("tmp/sub/dir")).is_some(),
            "bind not in rootfs/tmp"
        );
        ensure!(
            !Path::new("/tmp/sub/dir").exists(),
            "directories were created on the host"
        );
        Ok(())
    });
}

#[test]
fn dangling_and_nested_symlinks_create_inside() {
    require_root!();
    let f = Fixture::new();
    let unique = f
        .base()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let host_target = format!("/var/tmp/{unique}-must-not-exist");
    f.symlink("rootfs/data", &host_target);
    f.symlink("rootfs/etc/up", "../../../../../..");
    f.mkdir("src");
    f.write("srcfile", "x\n");
    let s = spec(json!({"mounts": [
        {"destination": "/data", "type": "bind", "source": f.path("src"), "options": ["rbind", "ro"]},
        {"destination": "/etc/up/var/x/file", "type": "bind", "source": f.path("srcfile"), "options": ["bind"]},
    ]}));
    in_child(&f, 0, || {
        mount_all(&s, &f.rootfs, MountContext::default()).or_fail("mount_all")?;
        ensure!(
            !Path::new(&host_target).exists(),
            "{host_target} was created on the host"
        );
        let inside = f.rootfs.join(host_target.trim_start_matches('/'));
        let table = mounts()?;
        ensure!(
            mount_at(&table, &inside).is_some(),
            "dangling symlink target not mounted inside"
        );
        let file = f.rootfs.join("var/x/file");
        ensure!(
            mount_at(&table, &file).is_some(),
            "nested symlink target not mounted inside"
        );
        ensure!(
            std::fs::read_to_string(&file).or_fail("read")? == "x\n",
            "wrong file bound"
        );
        Ok(())
    });
    assert!(!Path::new(&host_target).exists());
}

#[test]
fn mounts_inside_proc_are_refused() {
    require_root!();
    let f = Fixture::new();
    f.write("fake", "1\n");
    for dest in ["/proc/sys/kernel", "/proc"] {
        let s = spec(json!({"mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": dest, "type": "bind", "source": f.path("fake"), "options": ["bind"]},
        ]}));
        in_child(&f, libc::CLONE_NEWPID as u64, || {
            let err = mount_all(&s, &f.rootfs, MountContext::default())
                .err()
                .map(|e| e.to_string());
            let err = err.ok_or(format!("bind on {dest} was accepted"))?;
            ensure!(
                err.contains(dest) && err.contains("/proc"),
                "unclear error: {err}"
            );
            Ok(())
        });
    }
    // lxcfs-style file binds are allowed.
    let s = spec(json!({"mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/proc/uptime", "type": "bind", "source": f.path("fake"), "options": ["bind"]},
    ]}));
    in_child(&f, libc::CLONE_NEWPID as u64, || {
        mount_all(&s, &f.rootfs, MountContext::default()).or_fail("mount_all")?;
        let up = std::fs::read_to_string(f.rootfs.join("proc/uptime")).or_fail("read uptime")?;
        ensure!(up == "1\n", "/proc/uptime not replaced");
        Ok(())
    });
}

#[test]
fn error_messages_name_the_mount() {
    require_root!();
    let f = Fixture::new();
    let cases = [
        (
            json!({"destination": "/x", "type": "nosuchfs", "source": "none"}),
            "mount nosuchfs on /x (rootfs ",
        ),
        (
            json!({"destination": "/y", "type": "bind", "source": f.path("missing"), "options": ["bind"]}),
            "bind-mount ",
        ),
    ];
    for (m, want) in cases {
        let s = spec(json!({ "mounts": [m] }));
        in_child(&f, 0, || {
            let err = mount_all(&s, &f.rootfs, MountContext::default())
                .err()
                .map(|e| e.to_string());
            let err = err.ok_or("bad mount accepted")?;
            ensure!(
                err.contains(want) && err.contains(&f.rootfs.display().to_string()),
                "unclear: {err}"
            );
            Ok(())
        });
    }
}

/// No fork needed: the idmap check comes before any mount.
#[test]
fn idmap_is_reported_unsupported() {
    let f = Fixture::new();
    let root = Root::open(&f.rootfs).expect("open root");
    let m = oci_spec::runtime::MountBuilder::default()
        .destination("/data")
        .typ("bind")
        .source(f.path("rootfs/etc"))
        .options(vec!["rbind".to_string(), "idmap".to_string()])
        .build()
        .expect("mount");
    let err = mount_entry(&root, &Entry::from_spec(&m), MountContext::default()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("idmap") && msg.contains("/data"), "{msg}");
}
