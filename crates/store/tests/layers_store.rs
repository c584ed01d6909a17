//! The layer store: unpack once by chain ID, diff ID checks, races, removal, crash leftovers.

mod layers_common;

use std::fs;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use berth_store::layers::{chain_id, LayerStore};
use berth_store::{Digest, Error};
use layers_common::{gzip, Tar};

fn layer() -> Vec<u8> {
    Tar::new()
        .dir("etc/", 0o755)
        .file("etc/hostname", b"berth\n")
        .file(".wh.gone", b"")
        .dir("opq/", 0o755)
        .file("opq/.wh..wh..opq", b"")
        .finish()
}

fn tmp_dirs(store: &LayerStore) -> Vec<String> {
    fs::read_dir(store.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("tmp-"))
        .collect()
}

#[test]
fn ensure_unpacks_once() {
    let root = tempfile::tempdir().unwrap();
    let store = LayerStore::open(root.path()).unwrap();
    let tar = layer();
    let diff_id = Digest::of_bytes(&tar);
    let chain = chain_id(None, &diff_id);
    assert!(!store.exists(&chain));

    let opened = AtomicUsize::new(0);
    let open = || {
        opened.fetch_add(1, Ordering::SeqCst);
        Ok(std::io::Cursor::new(gzip(&tar)))
    };
    let diff = store.ensure(&chain, &diff_id, open).unwrap();
    assert_eq!(diff, store.diff_path(&chain));
    assert_eq!(
        fs::read(diff.join("etc/hostname")).unwrap(),
        b"berth\n".to_vec()
    );
    assert!(store.exists(&chain));
    assert_eq!(store.size(&chain).unwrap(), 6);
    assert_eq!(store.list().unwrap(), vec![chain.clone()]);

    let again = store
        .ensure(&chain, &diff_id, || -> berth_store::Result<&[u8]> {
            panic!("must not reopen an unpacked layer")
        })
        .unwrap();
    assert_eq!(again, diff);
    assert_eq!(opened.load(Ordering::SeqCst), 1);
    assert!(tmp_dirs(&store).is_empty());

    // A child layer gets its own chain ID.
    let child_tar = Tar::new().file("etc/motd", b"hi").finish();
    let child_diff = Digest::of_bytes(&child_tar);
    let child = chain_id(Some(&chain), &child_diff);
    store
        .ensure(&child, &child_diff, || Ok(&child_tar[..]))
        .unwrap();
    let mut want = vec![chain.clone(), child.clone()];
    want.sort();
    assert_eq!(store.list().unwrap(), want);

    // Removal copes with whiteout devices and the opaque xattr.
    store.remove(&chain).unwrap();
    store.remove(&chain).unwrap();
    assert!(!store.exists(&chain));
    assert_eq!(store.list().unwrap(), vec![child]);
    assert!(tmp_dirs(&store).is_empty());
}

#[test]
fn diff_id_mismatch_is_refused_and_cleaned() {
    let root = tempfile::tempdir().unwrap();
    let store = LayerStore::open(root.path()).unwrap();
    let tar = layer();
    let wrong = Digest::of_bytes(b"something else");
    let chain = chain_id(None, &wrong);
    let err = store.ensure(&chain, &wrong, || Ok(&tar[..])).unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    assert!(!store.exists(&chain));
    assert!(tmp_dirs(&store).is_empty());
    assert!(store.list().unwrap().is_empty());

    // A corrupt blob and a failing opener also leave nothing behind.
    let good = Digest::of_bytes(&tar);
    assert!(store
        .ensure(&good, &good, || Ok(&tar[..tar.len() / 3]))
        .is_err());
    let err = store
        .ensure(&good, &good, || -> berth_store::Result<&[u8]> {
            Err(Error::BlobNotFound(good.to_string()))
        })
        .unwrap_err();
    assert!(matches!(err, Error::BlobNotFound(_)));
    assert!(tmp_dirs(&store).is_empty());
}

#[test]
fn concurrent_ensure_of_one_layer() {
    let root = tempfile::tempdir().unwrap();
    let store = LayerStore::open(root.path()).unwrap();
    let mut t = Tar::new();
    for i in 0..200 {
        t.file(&format!("f{i}"), &vec![b'x'; 4096]);
    }
    let tar = Arc::new(t.finish());
    let diff_id = Digest::of_bytes(&tar);
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let (store, tar, diff_id, barrier) =
                (store.clone(), tar.clone(), diff_id.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                store.ensure(&diff_id, &diff_id, || Ok(&tar[..]))
            })
        })
        .collect();
    let paths: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    assert_eq!(paths[0], paths[1]);
    assert_eq!(fs::read_dir(&paths[0]).unwrap().count(), 200);
    assert_eq!(store.size(&diff_id).unwrap(), 200 * 4096);
    assert!(tmp_dirs(&store).is_empty());
}

#[test]
fn stale_tmp_dirs_are_those_of_dead_processes() {
    let root = tempfile::tempdir().unwrap();
    let store = LayerStore::open(root.path()).unwrap();
    let dead = store.dir().join("tmp-999999999-1-1");
    fs::create_dir_all(dead.join("diff/a")).unwrap();
    let live = store.dir().join(format!("tmp-{}-1-1", std::process::id()));
    fs::create_dir(&live).unwrap();
    assert_eq!(store.stale_tmp_dirs().unwrap(), vec![dead.clone()]);
    assert_eq!(store.remove_stale().unwrap(), vec![dead.clone()]);
    assert!(!dead.exists() && live.exists());
}
