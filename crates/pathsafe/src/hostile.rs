//! A corpus of hostile tar archives, for the tests of every extractor (layer unpack, image
//! archives, ADD and `build -`, `cp`). Each archive must give `Ok` with everything confined
//! to the destination, or a clean error: never a write outside it, never a panic.
//!
//! The archives are built by hand (raw headers), since well-behaved builders refuse to
//! write most of them. A [`Sentinel`] is a directory outside the destination that archives
//! aim at; [`Sentinel::assert_untouched`] checks it kept its exact content, and
//! [`Sentinel::assert_not_linked_from`] that nothing in the destination is a hard link to it.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// One hostile archive.
#[derive(Debug, Clone)]
pub struct Case {
    /// What it tries.
    pub name: &'static str,
    /// The uncompressed tar stream.
    pub tar: Vec<u8>,
}

/// Size, mode, uid, mtime, inode and content of every file under a directory.
type Snapshot = BTreeMap<PathBuf, (u64, u32, u32, i64, u64, Vec<u8>)>;

/// A directory outside the destination, with a file `secret` in it.
#[derive(Debug)]
pub struct Sentinel {
    dir: PathBuf,
    before: Snapshot,
}

impl Sentinel {
    /// Makes `dir` (which must not exist) with `secret` in it, and records its state.
    pub fn create(dir: &Path) -> std::io::Result<Sentinel> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("secret"), b"sentinel")?;
        std::fs::create_dir_all(dir.join("sub"))?;
        let before = snapshot(dir);
        Ok(Sentinel {
            dir: dir.to_path_buf(),
            before,
        })
    }

    /// The sentinel directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Panics if anything in the sentinel directory was added, removed or changed.
    pub fn assert_untouched(&self, case: &str) {
        let now = snapshot(&self.dir);
        assert_eq!(
            now,
            self.before,
            "case {case}: the sentinel directory {} outside the destination changed",
            self.dir.display()
        );
    }

    /// Panics if a file under `dest` is the sentinel's `secret` (a hard link to it).
    pub fn assert_not_linked_from(&self, dest: &Path, case: &str) {
        let Ok(secret) = std::fs::symlink_metadata(self.dir.join("secret")) else {
            return;
        };
        let mut todo = vec![dest.to_path_buf()];
        while let Some(d) = todo.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let Ok(md) = std::fs::symlink_metadata(e.path()) else {
                    continue;
                };
                assert!(
                    (md.dev(), md.ino()) != (secret.dev(), secret.ino()),
                    "case {case}: {} is a hard link to the sentinel",
                    e.path().display()
                );
                if md.is_dir() {
                    todo.push(e.path());
                }
            }
        }
    }
}

/// Every file under `dir` with its size, mode, uid, mtime, inode and (for files) content.
fn snapshot(dir: &Path) -> Snapshot {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(md) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            let content = if md.is_file() {
                std::fs::read(&p).unwrap_or_default()
            } else {
                Vec::new()
            };
            if md.is_dir() {
                todo.push(p.clone());
            }
            let mtime = if md.is_dir() { 0 } else { md.mtime() };
            out.insert(p, (md.len(), md.mode(), md.uid(), mtime, md.ino(), content));
        }
    }
    out
}

/// A raw tar writer: headers exactly as given, no checks.
#[derive(Default)]
pub struct RawTar {
    out: Vec<u8>,
}

/// Tar entry type bytes.
pub mod kind {
    /// Regular file.
    pub const FILE: u8 = b'0';
    /// Hard link.
    pub const LINK: u8 = b'1';
    /// Symlink.
    pub const SYMLINK: u8 = b'2';
    /// Character device.
    pub const CHAR: u8 = b'3';
    /// Block device.
    pub const BLOCK: u8 = b'4';
    /// Directory.
    pub const DIR: u8 = b'5';
    /// Fifo.
    pub const FIFO: u8 = b'6';
    /// GNU sparse file.
    pub const SPARSE: u8 = b'S';
}

fn octal(field: &mut [u8], v: u64) {
    let w = field.len() - 1;
    let s = format!("{:0w$o}", v, w = w);
    let b = s.as_bytes();
    let start = b.len().saturating_sub(w);
    field[..w].copy_from_slice(&b[start..]);
    field[w] = 0;
}

impl RawTar {
    /// An empty archive.
    pub fn new() -> RawTar {
        RawTar::default()
    }

    /// Appends a header block and its data (padded). `name` and `link` are cut to 100
    /// bytes (use [`RawTar::pax`] or [`RawTar::gnu_long`] before for longer ones).
    #[allow(clippy::too_many_arguments)]
    pub fn raw(
        mut self,
        kind: u8,
        name: &[u8],
        link: &[u8],
        mode: u32,
        uid: u64,
        data: &[u8],
        size: u64,
        dev: (u32, u32),
    ) -> RawTar {
        let mut h = [0u8; 512];
        let n = name.len().min(100);
        h[..n].copy_from_slice(&name[..n]);
        octal(&mut h[100..108], mode.into());
        octal(&mut h[108..116], uid);
        octal(&mut h[116..124], uid);
        octal(&mut h[124..136], size);
        octal(&mut h[136..148], 1_600_000_000);
        h[156] = kind;
        let l = link.len().min(100);
        h[157..157 + l].copy_from_slice(&link[..l]);
        h[257..263].copy_from_slice(b"ustar ");
        h[263..265].copy_from_slice(b" \0");
        octal(&mut h[329..337], dev.0.into());
        octal(&mut h[337..345], dev.1.into());
        if kind == kind::SPARSE {
            // One data chunk at offset 0 of `data.len()` bytes, in a file of `size` bytes.
            octal(&mut h[386..398], 0);
            octal(&mut h[398..410], data.len() as u64);
            // The hole up to the end: an empty chunk at `size`.
            octal(&mut h[410..422], size);
            octal(&mut h[422..434], 0);
            octal(&mut h[124..136], data.len() as u64);
            octal(&mut h[483..495], size);
        }
        self.push_header(h);
        self.push_data(data);
        self
    }

    fn push_header(&mut self, mut h: [u8; 512]) {
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
        let s = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(s.as_bytes());
        self.out.extend_from_slice(&h);
    }

    fn push_data(&mut self, data: &[u8]) {
        self.out.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.out.extend(std::iter::repeat_n(0u8, pad));
    }

    /// A regular file.
    pub fn file(self, name: &str, data: &[u8]) -> RawTar {
        self.raw(
            kind::FILE,
            name.as_bytes(),
            b"",
            0o644,
            0,
            data,
            data.len() as u64,
            (0, 0),
        )
    }

    /// A regular file with a mode.
    pub fn file_mode(self, name: &str, data: &[u8], mode: u32) -> RawTar {
        self.raw(
            kind::FILE,
            name.as_bytes(),
            b"",
            mode,
            0,
            data,
            data.len() as u64,
            (0, 0),
        )
    }

    /// A directory.
    pub fn dir(self, name: &str) -> RawTar {
        self.raw(kind::DIR, name.as_bytes(), b"", 0o755, 0, b"", 0, (0, 0))
    }

    /// A symlink.
    pub fn symlink(self, name: &str, target: &str) -> RawTar {
        self.raw(
            kind::SYMLINK,
            name.as_bytes(),
            target.as_bytes(),
            0o777,
            0,
            b"",
            0,
            (0, 0),
        )
    }

    /// A hard link.
    pub fn hardlink(self, name: &str, target: &str) -> RawTar {
        self.raw(
            kind::LINK,
            name.as_bytes(),
            target.as_bytes(),
            0o644,
            0,
            b"",
            0,
            (0, 0),
        )
    }

    /// A device node.
    pub fn device(self, name: &str, block: bool, dev: (u32, u32)) -> RawTar {
        let k = if block { kind::BLOCK } else { kind::CHAR };
        self.raw(k, name.as_bytes(), b"", 0o666, 0, b"", 0, dev)
    }

    /// A PAX extended header for the next entry.
    pub fn pax(mut self, records: &[(&str, &[u8])]) -> RawTar {
        let mut data = Vec::new();
        for (k, v) in records {
            let body = k.len() + v.len() + 3; // ' ', '=', '\n'
            let mut len = body + 1;
            while len.to_string().len() + body != len {
                len += 1;
            }
            data.extend_from_slice(format!("{len} {k}=").as_bytes());
            data.extend_from_slice(v);
            data.push(b'\n');
        }
        let mut h = [0u8; 512];
        h[..14].copy_from_slice(b"././@PaxHeader");
        octal(&mut h[100..108], 0o644);
        octal(&mut h[124..136], data.len() as u64);
        h[156] = b'x';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        self.push_header(h);
        self.push_data(&data);
        self
    }

    /// A GNU long name (`L`) or long link (`K`) header for the next entry.
    pub fn gnu_long(mut self, link: bool, name: &[u8]) -> RawTar {
        let mut data = name.to_vec();
        data.push(0);
        let mut h = [0u8; 512];
        h[..13].copy_from_slice(b"././@LongLink");
        octal(&mut h[100..108], 0o644);
        octal(&mut h[124..136], data.len() as u64);
        h[156] = if link { b'K' } else { b'L' };
        h[257..263].copy_from_slice(b"ustar ");
        h[263..265].copy_from_slice(b" \0");
        self.push_header(h);
        self.push_data(&data);
        self
    }

    /// The archive with its end blocks.
    pub fn finish(mut self) -> Vec<u8> {
        self.out.extend(std::iter::repeat_n(0u8, 1024));
        self.out
    }
}

/// The corpus, aimed at the sentinel directory `outside` (an absolute path).
pub fn corpus(outside: &Path) -> Vec<Case> {
    let out = outside.display().to_string();
    let secret = format!("{out}/secret");
    let long_comp = "c".repeat(300);
    let long_path = format!("{}/f", vec!["d".repeat(200); 30].join("/"));
    let deep = format!("{}f", "a/".repeat(600));
    let mut cases = vec![
        ("dotdot", RawTar::new().file("../pwned", b"x").finish()),
        ("dotdot deep", RawTar::new().file("a/../../pwned", b"x").finish()),
        ("dotdot dir", RawTar::new().dir("./../").finish()),
        ("absolute name", RawTar::new().file("/abs/file", b"x").finish()),
        (
            "absolute name of the sentinel",
            RawTar::new().file(&format!("{out}/pwned"), b"x").finish(),
        ),
        (
            "symlink absolute escape",
            RawTar::new()
                .symlink("esc", &out)
                .file("esc/pwned", b"x")
                .finish(),
        ),
        (
            "symlink relative escape",
            RawTar::new()
                .symlink("up", "../../../../../../../../..")
                .file(&format!("up{out}/pwned"), b"x")
                .finish(),
        ),
        (
            "symlink then directory through it",
            RawTar::new()
                .symlink("esc", &out)
                .dir("esc/")
                .dir("esc/sub/")
                .file("esc/sub/pwned", b"x")
                .finish(),
        ),
        (
            "symlink chain escape",
            RawTar::new()
                .symlink("b", &out)
                .symlink("a", "b")
                .file("a/pwned", b"x")
                .finish(),
        ),
        (
            "file over a symlink to the sentinel",
            RawTar::new()
                .symlink("f", &secret)
                .file("f", b"overwritten")
                .finish(),
        ),
        (
            "symlink to the sentinel then hard link to it",
            RawTar::new()
                .symlink("s", &secret)
                .hardlink("h", "s")
                .file("h", b"overwritten")
                .finish(),
        ),
        (
            "hard link to /etc/passwd",
            RawTar::new().hardlink("h", "/etc/passwd").finish(),
        ),
        ("hard link to ../x", RawTar::new().hardlink("h", "../x").finish()),
        (
            "hard link to the sentinel by absolute name",
            RawTar::new().hardlink("h", &secret).finish(),
        ),
        (
            "hard link through a symlink",
            RawTar::new()
                .symlink("esc", &out)
                .hardlink("h", "esc/secret")
                .finish(),
        ),
        (
            "character device",
            RawTar::new().device("null", false, (1, 3)).finish(),
        ),
        (
            "block device",
            RawTar::new().device("sda", true, (8, 0)).finish(),
        ),
        (
            "device under dev",
            RawTar::new().device("dev/mem", false, (1, 1)).finish(),
        ),
        (
            "device escaping dev",
            RawTar::new().device("dev/../kmem", false, (1, 2)).finish(),
        ),
        (
            "opaque whiteout",
            RawTar::new()
                .dir("d/")
                .file("d/f", b"x")
                .file("d/.wh..wh..opq", b"")
                .finish(),
        ),
        ("whiteout of ..", RawTar::new().file("d/.wh...", b"").finish()),
        ("whiteout of .", RawTar::new().file(".wh..", b"").finish()),
        ("whiteout without a name", RawTar::new().file(".wh.", b"").finish()),
        (
            "whiteout through a symlink",
            RawTar::new()
                .symlink("esc", &out)
                .file("esc/.wh.secret", b"")
                .finish(),
        ),
        (
            "opaque whiteout through a symlink",
            RawTar::new()
                .symlink("esc", &out)
                .file("esc/.wh..wh..opq", b"")
                .finish(),
        ),
        (
            "PAX long name",
            RawTar::new()
                .pax(&[("path", format!("{}/f", "p".repeat(200)).as_bytes())])
                .file("short", b"x")
                .finish(),
        ),
        (
            "PAX name escaping",
            RawTar::new()
                .pax(&[("path", format!("a/../../{}", "p".repeat(150)).as_bytes())])
                .file("short", b"x")
                .finish(),
        ),
        (
            "PAX name over PATH_MAX",
            RawTar::new()
                .pax(&[("path", long_path.as_bytes())])
                .file("short", b"x")
                .finish(),
        ),
        (
            "GNU long name",
            RawTar::new()
                .gnu_long(false, format!("{}/g", "g".repeat(200)).as_bytes())
                .file("short", b"x")
                .finish(),
        ),
        (
            "GNU long name over PATH_MAX",
            RawTar::new()
                .gnu_long(false, long_path.as_bytes())
                .file("short", b"x")
                .finish(),
        ),
        (
            "component over NAME_MAX",
            RawTar::new()
                .gnu_long(false, long_comp.as_bytes())
                .file("short", b"x")
                .finish(),
        ),
        (
            "GNU long link name escaping",
            RawTar::new()
                .gnu_long(true, format!("{}{out}", "../".repeat(100)).as_bytes())
                .symlink("longlink", "short")
                .file("longlink/pwned", b"x")
                .finish(),
        ),
        (
            "600 levels deep",
            RawTar::new()
                .pax(&[("path", deep.as_bytes())])
                .file("short", b"x")
                .finish(),
        ),
        (
            "sparse file",
            RawTar::new()
                .raw(kind::SPARSE, b"sparse", b"", 0o644, 0, b"data", 1 << 20, (0, 0))
                .finish(),
        ),
        (
            "xattrs",
            RawTar::new()
                .pax(&[
                    ("SCHILY.xattr.security.capability", b"\x01\x00\x00\x02\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
                    ("SCHILY.xattr.trusted.overlay.opaque", b"y"),
                    ("SCHILY.xattr.trusted.evil", b"1"),
                    ("SCHILY.xattr.user.note", b"hi"),
                ])
                .file("xattr", b"x")
                .finish(),
        ),
        (
            "setuid root file",
            RawTar::new()
                .file_mode("suid", b"#!/bin/sh\n", 0o6755)
                .finish(),
        ),
        (
            "setuid through a symlink",
            RawTar::new()
                .symlink("esc", &out)
                .file_mode("esc/suid", b"x", 0o4755)
                .finish(),
        ),
        (
            "fifo",
            RawTar::new()
                .raw(kind::FIFO, b"fifo", b"", 0o644, 0, b"", 0, (0, 0))
                .finish(),
        ),
        (
            "directory then file of the same name",
            RawTar::new().dir("d/").file("d/f", b"x").file("d", b"y").finish(),
        ),
        (
            "file then directory of the same name",
            RawTar::new().file("d", b"y").dir("d/").file("d/f", b"x").finish(),
        ),
        (
            "root replaced by a file",
            RawTar::new().file("./", b"x").finish(),
        ),
        (
            "truncated",
            {
                let mut t = RawTar::new().file("big", &[7u8; 4096]).finish();
                t.truncate(512 + 1000);
                t
            },
        ),
        ("unknown entry type", RawTar::new().raw(b'Z', b"z", b"", 0o644, 0, b"", 0, (0, 0)).finish()),
    ];
    cases.push((
        "symlink loop",
        RawTar::new()
            .symlink("l1", "l2")
            .symlink("l2", "l1")
            .file("l1/pwned", b"x")
            .finish(),
    ));
    cases
        .into_iter()
        .map(|(name, tar)| Case { name, tar })
        .collect()
}
