//! Test helpers: tar streams built header by header (names written raw, so hostile names
//! survive), a sentinel directory next to the destination, and an overlay mount guard.
#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use tar::{EntryType, Header};

/// A tar stream under construction.
pub struct Tar {
    out: Vec<u8>,
}

/// Owner, mode and time of an entry.
#[derive(Clone, Copy)]
pub struct Attrs {
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: u64,
}

impl Attrs {
    pub fn mode(mode: u32) -> Attrs {
        Attrs {
            mode,
            uid: 0,
            gid: 0,
            mtime: 1_600_000_000,
        }
    }
}

impl Default for Tar {
    fn default() -> Self {
        Tar::new()
    }
}

impl Tar {
    pub fn new() -> Tar {
        Tar { out: Vec::new() }
    }

    /// Appends an entry with a raw name (no checks) and optional link name.
    pub fn raw(
        &mut self,
        kind: EntryType,
        name: &str,
        link: Option<&str>,
        data: &[u8],
        a: Attrs,
    ) -> &mut Tar {
        let mut h = Header::new_gnu();
        let bytes = name.as_bytes();
        assert!(bytes.len() < 100, "test names must be short");
        h.as_old_mut().name = [0; 100];
        h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
        if let Some(l) = link {
            let lb = l.as_bytes();
            assert!(lb.len() < 100);
            h.as_old_mut().linkname = [0; 100];
            h.as_old_mut().linkname[..lb.len()].copy_from_slice(lb);
        }
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(a.mode);
        h.set_uid(a.uid);
        h.set_gid(a.gid);
        h.set_mtime(a.mtime);
        if matches!(kind, EntryType::Char | EntryType::Block) {
            h.set_device_major(1).unwrap();
            h.set_device_minor(3).unwrap();
        }
        h.set_cksum();
        self.out.extend_from_slice(h.as_bytes());
        self.out.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.out.extend(std::iter::repeat_n(0u8, pad));
        self
    }

    pub fn dir(&mut self, name: &str, mode: u32) -> &mut Tar {
        self.raw(EntryType::Directory, name, None, &[], Attrs::mode(mode))
    }

    pub fn file(&mut self, name: &str, data: &[u8]) -> &mut Tar {
        self.raw(EntryType::Regular, name, None, data, Attrs::mode(0o644))
    }

    pub fn symlink(&mut self, name: &str, target: &str) -> &mut Tar {
        self.raw(
            EntryType::Symlink,
            name,
            Some(target),
            &[],
            Attrs::mode(0o777),
        )
    }

    pub fn hardlink(&mut self, name: &str, target: &str) -> &mut Tar {
        self.raw(EntryType::Link, name, Some(target), &[], Attrs::mode(0o644))
    }

    /// A PAX extended header for the next entry.
    pub fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut Tar {
        let mut data = Vec::new();
        for (k, v) in records {
            let body_len = 1 + k.len() + 1 + v.len() + 1;
            let mut len = body_len + 1;
            while len.to_string().len() + body_len != len {
                len = len.to_string().len() + body_len;
            }
            write!(data, "{len} {k}=").unwrap();
            data.extend_from_slice(v);
            data.push(b'\n');
        }
        self.raw(
            EntryType::XHeader,
            "PaxHeaders/x",
            None,
            &data,
            Attrs::mode(0o644),
        )
    }

    /// The stream with its end-of-archive blocks.
    pub fn finish(&self) -> Vec<u8> {
        let mut out = self.out.clone();
        out.extend(std::iter::repeat_n(0u8, 1024));
        out
    }
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(data, 3).unwrap()
}

/// A temp dir with `dest/` (empty, to unpack into) and `sentinel/` next to it.
pub struct Scene {
    pub tmp: tempfile::TempDir,
    pub dest: PathBuf,
    pub sentinel: PathBuf,
}

impl Scene {
    pub fn new() -> Scene {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("dest");
        let sentinel = tmp.path().join("sentinel");
        fs::create_dir(&dest).unwrap();
        fs::create_dir(&sentinel).unwrap();
        Scene {
            tmp,
            dest,
            sentinel,
        }
    }

    /// Asserts nothing was written next to `dest`.
    pub fn assert_sentinel_untouched(&self) {
        let n = fs::read_dir(&self.sentinel).unwrap().count();
        assert_eq!(n, 0, "something was written outside the layer");
        let mut names: Vec<_> = fs::read_dir(self.tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["dest", "sentinel"]);
    }
}

/// Unmounts on drop, even when the test fails.
pub struct MountGuard(pub PathBuf);

impl Drop for MountGuard {
    fn drop(&mut self) {
        let _ = rustix::mount::unmount(&self.0, rustix::mount::UnmountFlags::DETACH);
    }
}

/// Mounts a read-only overlay of `lowers` (top first) on `target`.
pub fn mount_overlay(lowers: &[&Path], target: &Path) -> MountGuard {
    let lower: Vec<String> = lowers.iter().map(|p| p.display().to_string()).collect();
    let data = std::ffi::CString::new(format!("lowerdir={}", lower.join(":"))).unwrap();
    rustix::mount::mount(
        "overlay",
        target,
        "overlay",
        rustix::mount::MountFlags::RDONLY,
        Some(data.as_c_str()),
    )
    .expect("mount overlay");
    MountGuard(target.to_path_buf())
}

/// An xattr of `path` (the final symlink not followed), if set.
pub fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let mut buf = [0u8; 1024];
    let n = rustix::fs::lgetxattr(path, name, &mut buf).ok()?;
    Some(buf[..n].to_vec())
}
