//! Helpers for the layer-writing tests: making special files, snapshotting a tree, listing
//! a tar stream.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, Timespec, Timestamps, XattrFlags, CWD};

/// A 0:0 character device (an overlayfs whiteout), or another device when `rdev` is not 0.
pub fn mknod_char(path: &Path, major: u32, minor: u32) {
    rustix::fs::mknodat(
        CWD,
        path,
        FileType::CharacterDevice,
        Mode::empty(),
        rustix::fs::makedev(major, minor),
    )
    .expect("mknod");
}

/// A named pipe with `mode`.
pub fn mkfifo(path: &Path, mode: u32) {
    rustix::fs::mknodat(CWD, path, FileType::Fifo, Mode::from_raw_mode(mode), 0).expect("mkfifo");
    set_mode(path, mode);
}

/// Sets an xattr, the final symlink not followed.
pub fn set_xattr(path: &Path, name: &str, value: &[u8]) {
    rustix::fs::lsetxattr(path, name, value, XattrFlags::empty()).expect("setxattr");
}

/// Owner, not following a symlink.
pub fn chown(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid)).expect("lchown");
}

/// Permission bits (after chown, which clears setuid).
pub fn set_mode(path: &Path, mode: u32) {
    rustix::fs::chmodat(CWD, path, Mode::from_raw_mode(mode), AtFlags::empty()).expect("chmod");
}

/// Access and modification time, not following a symlink.
pub fn set_mtime(path: &Path, secs: i64, nanos: i64) {
    let t = Timespec {
        tv_sec: secs,
        tv_nsec: nanos,
    };
    let ts = Timestamps {
        last_access: t,
        last_modification: t,
    };
    rustix::fs::utimensat(CWD, path, &ts, AtFlags::SYMLINK_NOFOLLOW).expect("utimensat");
}

/// An xattr of `path` (the final symlink not followed), if set.
pub fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 4096];
    match rustix::fs::lgetxattr(path, name, &mut buf[..]) {
        Ok(n) => {
            buf.truncate(n);
            Some(buf)
        }
        Err(_) => None,
    }
}

/// What the tests compare of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDesc {
    /// `f`, `d`, `l`, `p`, `c`.
    pub kind: char,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Whole seconds; `None` for whiteout devices (unpack leaves their time alone).
    pub mtime: Option<i64>,
    pub rdev: u64,
    pub content: Vec<u8>,
    pub link: Option<PathBuf>,
    pub xattrs: Vec<(String, Vec<u8>)>,
}

/// Xattrs compared: those a layer carries and the opaque marker.
const COMPARED_XATTRS: [&str; 4] = [
    "user.test",
    "user.capability-like",
    "security.capability",
    "trusted.overlay.opaque",
];

/// Every file under `root` (not `root` itself) by relative path.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, FileDesc> {
    let mut out = BTreeMap::new();
    snap_dir(root, root, &mut out);
    out
}

fn snap_dir(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, FileDesc>) {
    for e in fs::read_dir(dir).expect("read_dir") {
        let p = e.expect("entry").path();
        let md = fs::symlink_metadata(&p).expect("stat");
        let ft = md.file_type();
        use std::os::unix::fs::FileTypeExt;
        let kind = if ft.is_dir() {
            'd'
        } else if ft.is_symlink() {
            'l'
        } else if ft.is_fifo() {
            'p'
        } else if ft.is_char_device() {
            'c'
        } else {
            'f'
        };
        let xattrs = COMPARED_XATTRS
            .iter()
            .filter_map(|n| xattr(&p, n).map(|v| (n.to_string(), v)))
            .collect();
        let desc = FileDesc {
            kind,
            mode: md.mode() & 0o7777,
            uid: md.uid(),
            gid: md.gid(),
            mtime: (kind != 'c').then_some(md.mtime()),
            rdev: md.rdev(),
            content: if kind == 'f' {
                fs::read(&p).expect("read")
            } else {
                Vec::new()
            },
            link: (kind == 'l').then(|| fs::read_link(&p).expect("readlink")),
            xattrs,
        };
        out.insert(p.strip_prefix(root).expect("prefix").to_path_buf(), desc);
        if kind == 'd' {
            snap_dir(root, &p, out);
        }
    }
}

/// One entry of a tar stream as the tests see it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub name: String,
    pub kind: tar::EntryType,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: u64,
    pub link: Option<String>,
    pub uname: Vec<u8>,
}

/// The entries of an uncompressed tar stream.
pub fn list(bytes: &[u8]) -> Vec<Listed> {
    let mut a = tar::Archive::new(bytes);
    a.entries()
        .expect("entries")
        .map(|e| {
            let e = e.expect("entry");
            let h = e.header();
            Listed {
                name: String::from_utf8_lossy(&e.path_bytes()).into_owned(),
                kind: h.entry_type(),
                mode: h.mode().expect("mode"),
                uid: h.uid().expect("uid"),
                gid: h.gid().expect("gid"),
                mtime: h.mtime().expect("mtime"),
                link: e
                    .link_name_bytes()
                    .map(|l| String::from_utf8_lossy(&l).into_owned()),
                uname: h.username_bytes().map(|u| u.to_vec()).unwrap_or_default(),
            }
        })
        .collect()
}

/// Unmounts on drop, even when the test fails.
pub struct MountGuard(pub PathBuf);

impl Drop for MountGuard {
    fn drop(&mut self) {
        let _ = rustix::mount::unmount(&self.0, rustix::mount::UnmountFlags::DETACH);
    }
}

/// Mounts a writable overlay of `lower` with `upper` and `work` on `merged`; `None` when
/// overlayfs cannot be mounted here (not root, no overlay module).
pub fn mount_rw_overlay(
    lower: &Path,
    upper: &Path,
    work: &Path,
    merged: &Path,
) -> Option<MountGuard> {
    let data = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.display(),
        upper.display(),
        work.display()
    );
    let data = std::ffi::CString::new(data).expect("no NUL");
    match rustix::mount::mount(
        "overlay",
        merged,
        "overlay",
        rustix::mount::MountFlags::empty(),
        Some(data.as_c_str()),
    ) {
        Ok(()) => Some(MountGuard(merged.to_path_buf())),
        Err(e) => {
            skip(&format!("cannot mount overlayfs: {e}"));
            None
        }
    }
}

/// `name` as raw bytes, for byte-order comparisons.
pub fn bytes(p: &Path) -> &[u8] {
    p.as_os_str().as_bytes()
}

/// Reports a skipped test; under CI (`CI` or `BERTH_E2E_REQUIRE` set) a skip is a failure.
pub fn skip(reason: &str) {
    let strict = ["CI", "BERTH_E2E_REQUIRE"]
        .iter()
        .any(|k| std::env::var(k).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false"));
    assert!(
        !strict,
        "cannot run: {reason} (CI/BERTH_E2E_REQUIRE forbids skipping)"
    );
    eprintln!("skipping: {reason}");
}
