//! Mounts: tmpfs options, bind ro/rw, readonly root, maskedPaths, readonlyPaths.

use std::fs;

use berth_e2e::{json, Test};

/// The mount options field (6th) of the mountinfo line whose mount point is `mnt`.
const MOUNT_OPTS: &str = "awk -v m=\"$1\" '$5 == m { print $6 }' /proc/self/mountinfo | tail -n 1";

#[test]
fn tmpfs_with_size_and_mode() {
    let Some(t) = Test::new("tmpfs") else { return };
    let mut b = t.bundle("tmpfs");
    b.tmpfs("/scratch", &["nosuid", "nodev", "size=1m", "mode=1770"])
        .sh("grep ' /scratch ' /proc/self/mounts; stat -c %a /scratch; \
         dd if=/dev/zero of=/scratch/big bs=64k count=32 2>/dev/null; echo dd=$?");
    let o = t.rt.run(&b.id, &b).ok();
    let l = o.lines();
    assert!(l[0].starts_with("tmpfs /scratch tmpfs "), "{o}");
    assert!(l[0].contains("size=1024k"), "size option not applied: {o}");
    assert!(
        l[0].contains("nosuid") && l[0].contains("nodev"),
        "flags not applied: {o}"
    );
    assert_eq!(l[1], "1770", "mode option not applied: {o}");
    assert_eq!(
        l[2], "dd=1",
        "writing 2 MiB into a 1 MiB tmpfs must fail: {o}"
    );
}

#[test]
fn bind_mount_read_only() {
    let Some(t) = Test::new("bind_ro") else {
        return;
    };
    let host = t.host_dir("ro-src");
    fs::write(host.join("data.txt"), "host-data\n").unwrap();
    let mut b = t.bundle("bindro");
    b.bind(&host, "/ro", true).sh(
        "cat /ro/data.txt; if touch /ro/new 2>/dev/null; then echo WROTE; else echo ro-ok; fi; \
         if echo x >> /ro/data.txt 2>/dev/null; then echo WROTE; else echo ro-ok; fi",
    );
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(o.lines(), ["host-data", "ro-ok", "ro-ok"], "{o}");
    assert!(
        !host.join("new").exists(),
        "a read-only bind let the container create a file on the host"
    );
    assert_eq!(
        fs::read_to_string(host.join("data.txt")).unwrap(),
        "host-data\n"
    );
}

#[test]
fn bind_mount_read_write() {
    let Some(t) = Test::new("bind_rw") else {
        return;
    };
    let host = t.host_dir("rw-src");
    fs::write(host.join("in.txt"), "to-container\n").unwrap();
    let mut b = t.bundle("bindrw");
    b.bind(&host, "/rw", false)
        .sh("cat /rw/in.txt; echo from-container > /rw/out.txt");
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(o.out(), "to-container");
    assert_eq!(
        fs::read_to_string(host.join("out.txt")).unwrap_or_default(),
        "from-container\n",
        "{o}"
    );
}

#[test]
fn bind_mount_of_a_file() {
    let Some(t) = Test::new("bind_file") else {
        return;
    };
    let host = t.host_dir("file-src");
    fs::write(host.join("one.conf"), "single-file\n").unwrap();
    let mut b = t.bundle("bindfile");
    fs::write(b.rootfs.join("etc/one.conf"), "image-version\n").unwrap();
    b.add_mount(json!({
        "destination": "/etc/one.conf", "type": "bind",
        "source": host.join("one.conf"), "options": ["bind", "ro"]
    }))
    .args(&["cat", "/etc/one.conf"]);
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(o.out(), "single-file", "{o}");
}

#[test]
fn readonly_root() {
    let Some(t) = Test::new("ro_root") else {
        return;
    };
    let mut b = t.bundle("roroot");
    b.readonly_root(true).sh(&format!(
        "set -- /; {MOUNT_OPTS}; if touch /newfile 2>/dev/null; then echo WROTE; else echo ro-ok; fi; \
         if touch /etc/newfile 2>/dev/null; then echo WROTE; else echo ro-ok; fi; \
         touch /dev/shm/ok && echo shm-rw"
    ));
    let o = t.rt.run(&b.id, &b).ok();
    let l = o.lines();
    assert!(
        l[0].split(',').any(|f| f == "ro"),
        "root not mounted ro: {o}"
    );
    assert_eq!(&l[1..], ["ro-ok", "ro-ok", "shm-rw"], "{o}");
    assert!(!b.rootfs.join("newfile").exists());
}

#[test]
fn masked_paths() {
    let Some(t) = Test::new("masked") else { return };
    let mut b = t.bundle("masked");
    fs::write(b.rootfs.join("etc/secret"), "topsecret\n").unwrap();
    fs::create_dir_all(b.rootfs.join("secretdir")).unwrap();
    fs::write(b.rootfs.join("secretdir/file"), "topsecret\n").unwrap();
    b.set(
        "/linux/maskedPaths",
        json!([
            "/proc/kcore",
            "/etc/secret",
            "/secretdir",
            "/does/not/exist"
        ]),
    )
    .sh(
        "cat /etc/secret 2>/dev/null; echo ---; ls -A /secretdir 2>/dev/null; echo ---; \
         head -c 16 /proc/kcore 2>/dev/null | wc -c; echo ---; cat /etc/passwd | head -n 1",
    );
    let o = t.rt.run(&b.id, &b).ok();
    assert!(
        !o.stdout.contains("topsecret") && !o.stdout.contains("file"),
        "masked content readable: {o}"
    );
    assert_eq!(
        o.lines(),
        ["---", "---", "0", "---", "root:x:0:0:root:/root:/bin/sh"],
        "{o}"
    );
}

#[test]
fn readonly_paths() {
    let Some(t) = Test::new("ro_paths") else {
        return;
    };
    let mut b = t.bundle("ropaths");
    fs::create_dir_all(b.rootfs.join("rodir")).unwrap();
    fs::write(b.rootfs.join("rodir/keep"), "kept\n").unwrap();
    b.set("/linux/readonlyPaths", json!(["/proc/sys", "/rodir"]))
        .sh(&format!(
            "set -- /proc/sys; {MOUNT_OPTS}; set -- /rodir; {MOUNT_OPTS}; cat /rodir/keep; \
         if touch /rodir/x 2>/dev/null; then echo WROTE; else echo ro-ok; fi; \
         touch /tmp/rw && echo rest-rw"
        ));
    let o = t.rt.run(&b.id, &b).ok();
    let l = o.lines();
    assert!(l.len() == 5, "{o}");
    assert!(
        l[0].split(',').any(|f| f == "ro"),
        "/proc/sys not read-only: {o}"
    );
    assert!(
        l[1].split(',').any(|f| f == "ro"),
        "/rodir not read-only: {o}"
    );
    assert_eq!(&l[2..], ["kept", "ro-ok", "rest-rw"], "{o}");
}

#[test]
fn default_filesystems() {
    let Some(t) = Test::new("default_fs") else {
        return;
    };
    let mut b = t.bundle("fs");
    // After the optional fields of a mountinfo line comes "-", then the filesystem type.
    b.sh(
        "for m in /proc /sys /dev /dev/pts /dev/shm; do awk -v m=$m '$5 == m { for (i = 7; i <= NF; i++) \
         if ($i == \"-\") { print m, $(i + 1); break } }' /proc/self/mountinfo | tail -n 1; done",
    );
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(
        o.lines(),
        [
            "/proc proc",
            "/sys sysfs",
            "/dev tmpfs",
            "/dev/pts devpts",
            "/dev/shm tmpfs"
        ],
        "{o}"
    );
}
