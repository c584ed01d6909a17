//! Layers the fuzz targets' hostile seeds (tests/fuzz_store.rs) found to misbehave, kept as
//! regressions.

use berth_store::unpack;
use std::os::unix::fs::MetadataExt;

/// A GNU sparse entry `big` of `real` apparent bytes, all hole, as a whole layer.
fn sparse_layer(real: u64) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..3].copy_from_slice(b"big");
    h.set_entry_type(tar::EntryType::GNUSparse);
    h.set_size(0);
    h.set_mode(0o644);
    let gnu = h.as_gnu_mut().expect("a GNU header");
    // Twelve octal digits, no terminator: up to 64 GiB. The one data chunk (empty) is at the
    // end, so the whole file is a hole.
    let field: [u8; 12] = format!("{real:012o}")
        .as_bytes()
        .try_into()
        .expect("12 digits");
    gnu.realsize = field;
    gnu.sparse[0].offset = field;
    gnu.sparse[0].numbytes = *b"00000000000\0";
    h.set_cksum();
    let mut layer = h.as_bytes().to_vec();
    layer.resize(layer.len() + 1024, 0);
    layer
}

/// A 1.5 KiB layer declaring a 1 GiB sparse file used to write 1 GiB of zeros to disk; the
/// holes now stay holes.
#[test]
fn sparse_holes_are_not_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stats = unpack::unpack_layer(&sparse_layer(1 << 30)[..], dir.path()).expect("unpacks");
    assert_eq!(stats.entries, 1);
    let meta = std::fs::metadata(dir.path().join("big")).expect("big");
    assert_eq!(meta.len(), 1 << 30);
    assert!(meta.blocks() < 1024, "{} blocks allocated", meta.blocks());
}

/// A sparse file declaring terabytes would keep the unpacker reading zeros for hours.
#[test]
fn huge_sparse_files_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = unpack::unpack_layer(&sparse_layer(32 << 30)[..], dir.path()).expect_err("refused");
    assert!(e.to_string().contains("sparse file over 16 GiB"), "{e}");
}
