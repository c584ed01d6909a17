//! Fixtures shared by the archive tests: generated layers, images put straight into a blob
//! store, and raw tar entries (including hostile ones the `tar` crate refuses to write).

#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

use berth_store::digest::Digest;
use berth_store::oci::{self, Descriptor, ImageConfig, Manifest, RootFs};
use berth_store::BlobStore;

/// How a generated layer is compressed.
#[derive(Clone, Copy, Debug)]
pub enum Comp {
    /// Plain tar.
    Tar,
    /// gzip.
    Gzip,
    /// zstd.
    Zstd,
}

/// A tar of regular files.
pub fn layer_tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

/// gzip of `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// zstd of `bytes`.
pub fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(bytes, 3).unwrap()
}

/// The files of a generated layer: (path, content).
pub type Files<'a> = &'a [(&'a str, &'a [u8])];

/// Puts an image with the given layers into `blobs`; returns the manifest digest.
pub fn put_image(blobs: &BlobStore, layers: &[(Files<'_>, Comp)], cmd: &str) -> Digest {
    let mut descs = Vec::new();
    let mut diff_ids = Vec::new();
    for (files, comp) in layers {
        let tar = layer_tar(files);
        diff_ids.push(Digest::of_bytes(&tar));
        let (blob, media) = match comp {
            Comp::Tar => (tar, oci::MEDIA_LAYER_TAR),
            Comp::Gzip => (gzip(&tar), oci::MEDIA_LAYER_GZIP),
            Comp::Zstd => (zstd(&tar), oci::MEDIA_LAYER_ZSTD),
        };
        let d = blobs.put_bytes(&blob).unwrap();
        descs.push(desc(media, d, blob.len() as u64));
    }
    let mut config = ImageConfig {
        architecture: oci::host_architecture().into(),
        os: "linux".into(),
        rootfs: RootFs {
            kind: "layers".into(),
            diff_ids,
        },
        ..Default::default()
    };
    config.config.cmd = Some(vec![cmd.to_string()]);
    let config = serde_json::to_vec(&config).unwrap();
    let cd = blobs.put_bytes(&config).unwrap();
    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(oci::MEDIA_MANIFEST.into()),
        config: desc(oci::MEDIA_CONFIG, cd, config.len() as u64),
        layers: descs,
        annotations: None,
    };
    blobs
        .put_bytes(&serde_json::to_vec(&manifest).unwrap())
        .unwrap()
}

/// A descriptor without annotations or platform.
pub fn desc(media_type: &str, digest: Digest, size: u64) -> Descriptor {
    Descriptor {
        media_type: media_type.into(),
        digest,
        size,
        annotations: None,
        platform: None,
    }
}

/// The manifest stored under `d`.
pub fn manifest(blobs: &BlobStore, d: &Digest) -> Manifest {
    serde_json::from_slice(&blobs.read(d).unwrap()).unwrap()
}

/// Whether the store's tmp directory is empty (nothing left behind by a load).
pub fn tmp_is_empty(root: &Path) -> bool {
    std::fs::read_dir(root.join("tmp")).unwrap().count() == 0
}

/// One raw tar entry.
pub enum Raw<'a> {
    /// A regular file.
    File(&'a str, &'a [u8]),
    /// A symlink.
    Symlink(&'a str, &'a str),
    /// A hard link.
    Hardlink(&'a str, &'a str),
    /// A directory.
    Dir(&'a str),
    /// An entry of any type, with no content.
    Other(&'a str, tar::EntryType),
}

/// A tar with exactly these entries, names written verbatim (even `..` and absolute ones).
pub fn raw_tar(entries: &[Raw<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let (name, kind, data, link): (&str, tar::EntryType, &[u8], &str) = match e {
            Raw::File(n, d) => (n, tar::EntryType::Regular, d, ""),
            Raw::Symlink(n, t) => (n, tar::EntryType::Symlink, b"", t),
            Raw::Hardlink(n, t) => (n, tar::EntryType::Link, b"", t),
            Raw::Dir(n) => (n, tar::EntryType::Directory, b"", ""),
            Raw::Other(n, k) => (n, *k, b"", ""),
        };
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        {
            let old = h.as_old_mut();
            old.name[..name.len()].copy_from_slice(name.as_bytes());
            old.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// The entries of a tar as (name, bytes), with symlinks as `-> target`.
pub fn tar_entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut a = tar::Archive::new(bytes);
    let mut out = Vec::new();
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        if e.header().entry_type() == tar::EntryType::Directory {
            continue;
        }
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        if e.header().entry_type() == tar::EntryType::Symlink {
            let t = e.link_name().unwrap().unwrap();
            data = format!("-> {}", t.display()).into_bytes();
        } else {
            e.read_to_end(&mut data).unwrap();
        }
        out.push((name, data));
    }
    out
}

/// The content of entry `name` in a tar.
pub fn entry<'a>(entries: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &entries
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} in archive"))
        .1
}
