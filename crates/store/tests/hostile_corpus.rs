//! The path-safety core's hostile corpus against the store's two extractors: layer unpack
//! and image-archive loading. Each archive gives Ok (confined) or a clean error; the
//! sentinel directory outside the destination never changes.

use berth_pathsafe::hostile::{corpus, Sentinel};
use berth_store::unpack::unpack_layer;

#[test]
fn layer_unpack() {
    let scratch = tempfile::tempdir().unwrap();
    let sentinel = Sentinel::create(&scratch.path().join("outside")).unwrap();
    for (i, case) in corpus(sentinel.path()).into_iter().enumerate() {
        let dest = scratch.path().join(format!("layer{i}"));
        std::fs::create_dir(&dest).unwrap();
        let res = unpack_layer(&case.tar[..], &dest);
        eprintln!("{}: {:?}", case.name, res.as_ref().map(|_| ()));
        if let Err(e) = &res {
            assert!(!e.to_string().is_empty());
        }
        sentinel.assert_untouched(case.name);
        sentinel.assert_not_linked_from(&dest, case.name);
    }
}

#[test]
fn archive_load() {
    let scratch = tempfile::tempdir().unwrap();
    let sentinel = Sentinel::create(&scratch.path().join("outside")).unwrap();
    for (i, case) in corpus(sentinel.path()).into_iter().enumerate() {
        let store_dir = scratch.path().join(format!("store{i}"));
        let store = berth_store::BlobStore::open(&store_dir).unwrap();
        // None of them is an image archive: each must fail, cleanly, after extraction.
        let err = berth_store::archive::load(&store, &case.tar[..])
            .expect_err(case.name)
            .to_string();
        assert!(!err.is_empty());
        sentinel.assert_untouched(case.name);
        sentinel.assert_not_linked_from(&store_dir, case.name);
        let tmp = store_dir.join("tmp");
        let left = std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
        assert_eq!(left, 0, "{}: temp dir left behind", case.name);
    }
}
