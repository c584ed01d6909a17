//! The on-disk cache of compiled programs: `<cache_dir>/<sha256>.bpf`, keyed by everything the
//! compiled program depends on, written crash-safe (temp file, fsync, rename, fsync dir).
//!
//! File layout: 8-byte magic, the SHA-256 of the program, then the program as libseccomp
//! exports it (native-endian `struct sock_filter`s). The checksum catches truncation and
//! corruption; ownership and mode checks refuse files another user could have planted. The
//! cache directory itself must be trusted (it sits under berth's root-owned state root).

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use berth_sys::seccomp::SockFilter;
use oci_spec::runtime::LinuxSeccomp;
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Identifies the file format; bump when the layout or the compiler's output rules change.
const MAGIC: &[u8; 8] = b"BRTHBPF1";
/// Magic plus digest.
const HEADER: usize = MAGIC.len() + 32;
/// Refuse to read anything bigger (the kernel caps programs at 4096 instructions).
const MAX_FILE: u64 = (HEADER + 8 * 4096) as u64;

/// The cache key: SHA-256 (hex) of the profile's JSON, the libseccomp version, the
/// architecture and the kernel release (libseccomp adapts its output to the kernel's API
/// level), and this crate's version (our translation rules).
pub(super) fn key(seccomp: &LinuxSeccomp) -> Result<String> {
    let json = serde_json::to_vec(seccomp)
        .map_err(|e| Error::Seccomp(format!("serialise the profile for the cache key: {e}")))?;
    let lib = libseccomp::ScmpVersion::current()
        .map(|v| format!("{}.{}.{}", v.major, v.minor, v.micro))
        .unwrap_or_default();
    let kernel = nix::sys::utsname::uname()
        .map(|u| u.release().as_bytes().to_vec())
        .unwrap_or_default();
    let mut h = Sha256::new();
    for part in [
        "berth-seccomp-cache".as_bytes(),
        env!("CARGO_PKG_VERSION").as_bytes(),
        lib.as_bytes(),
        std::env::consts::ARCH.as_bytes(),
        &kernel,
        &json,
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    Ok(hex(&h.finalize()))
}

/// The cache file for `key`.
pub(super) fn path(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.bpf"))
}

/// Reads and checks the program cached under `key`; `None` when absent or unusable.
pub(super) fn lookup(dir: &Path, key: &str) -> Option<Vec<SockFilter>> {
    let mut file = File::open(path(dir, key)).ok()?;
    let meta = file.metadata().ok()?;
    // Only trust files written by us (our euid) that nobody else could have modified.
    if meta.uid() != nix::unistd::geteuid().as_raw() || meta.mode() & 0o022 != 0 {
        return None;
    }
    if meta.len() > MAX_FILE || meta.len() <= HEADER as u64 {
        return None;
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut bytes).ok()?;
    let (header, program) = bytes.split_at_checked(HEADER)?;
    let (magic, digest) = header.split_at(MAGIC.len());
    if magic != MAGIC || digest != Sha256::digest(program).as_slice() {
        return None;
    }
    berth_sys::seccomp::decode_bpf(program).ok()
}

/// Stores `program` (exported bytes) under `key`, atomically replacing any previous file.
pub(super) fn store(dir: &Path, key: &str, program: &[u8]) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let tmp = dir.join(format!(
        ".{key}.{}.{}.tmp",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let res = write_synced(&tmp, program).and_then(|()| fs::rename(&tmp, path(dir, key)));
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
        return res;
    }
    // Make the rename itself durable.
    File::open(dir)?.sync_all()
}

/// Writes header and program to a new file at `tmp` and fsyncs it.
fn write_synced(tmp: &Path, program: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(tmp)?;
    let mut data = Vec::with_capacity(HEADER + program.len());
    data.extend_from_slice(MAGIC);
    data.extend_from_slice(&Sha256::digest(program));
    data.extend_from_slice(program);
    file.write_all(&data)?;
    file.sync_all()
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}
