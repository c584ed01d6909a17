//! `cp`'s extraction against the path-safety core's hostile corpus, and the
//! CVE-2018-15664 race: a directory swapped for a symlink to the host while a copy runs.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use berth_pathsafe::hostile::{corpus, RawTar, Sentinel};

use super::extract::{extract, ExtractOptions};
use super::view::{MountPoint, View};

fn run_corpus(owner: Option<(u32, u32)>, with_mount: bool) {
    let scratch = tempfile::tempdir().unwrap();
    let sentinel = Sentinel::create(&scratch.path().join("outside")).unwrap();
    for (i, case) in corpus(sentinel.path()).into_iter().enumerate() {
        let root = scratch.path().join(format!("root{i}"));
        let vol = scratch.path().join(format!("vol{i}"));
        std::fs::create_dir_all(root.join("dest/vol")).unwrap();
        std::fs::create_dir_all(&vol).unwrap();
        let mounts = if with_mount {
            vec![MountPoint {
                at: vec![b"dest".to_vec(), b"vol".to_vec()],
                source: vol.clone(),
                read_only: false,
            }]
        } else {
            Vec::new()
        };
        let view = View::open(&root, false, mounts).unwrap();
        let res = extract(
            &view,
            &[b"dest".to_vec()],
            &case.tar[..],
            &ExtractOptions { owner },
        );
        if let Err(e) = &res {
            assert!(!e.to_string().is_empty(), "{}", case.name);
        }
        sentinel.assert_untouched(case.name);
        sentinel.assert_not_linked_from(&root, case.name);
        sentinel.assert_not_linked_from(&vol, case.name);
    }
}

#[test]
fn hostile_corpus_stays_in_the_view() {
    run_corpus(Some((0, 0)), false);
    run_corpus(None, true);
}

#[test]
fn hostile_entries_through_a_mount_stay_in_it() {
    let scratch = tempfile::tempdir().unwrap();
    let sentinel = Sentinel::create(&scratch.path().join("outside")).unwrap();
    let root = scratch.path().join("root");
    let vol = scratch.path().join("vol");
    std::fs::create_dir_all(root.join("data")).unwrap();
    std::fs::create_dir_all(&vol).unwrap();
    let mounts = vec![MountPoint {
        at: vec![b"data".to_vec()],
        source: vol.clone(),
        read_only: false,
    }];
    let view = View::open(&root, false, mounts).unwrap();
    let tar = RawTar::new()
        .symlink("data/esc", "../../../../../../..")
        .file("data/esc/pwned", b"x")
        .file("data/ok", b"y")
        .finish();
    extract(&view, &[], &tar[..], &ExtractOptions::default()).unwrap();
    assert_eq!(std::fs::read(vol.join("ok")).unwrap(), b"y");
    assert!(
        root.join("pwned").is_file(),
        "the link is followed inside the view"
    );
    sentinel.assert_untouched("mount");
}

/// CVE-2018-15664: while `cp` writes into `/d`, another process keeps exchanging `/d` with
/// a symlink to a host directory. Every lookup is confined to the view, so whichever it
/// sees, nothing lands outside.
#[test]
fn swapping_a_directory_for_a_symlink_during_the_copy_writes_nothing_outside() {
    let scratch = tempfile::tempdir().unwrap();
    let sentinel = Sentinel::create(&scratch.path().join("outside")).unwrap();
    let root = scratch.path().join("root");
    std::fs::create_dir_all(root.join("d")).unwrap();
    std::os::unix::fs::symlink(sentinel.path(), root.join("swap")).unwrap();
    let mut tar = RawTar::new();
    for i in 0..400 {
        tar = tar.file(&format!("a{i}/f"), b"x");
    }
    let tar = tar.finish();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let swapper = s.spawn(|| {
            let dir = rustix::fs::open(
                &root,
                rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY,
                rustix::fs::Mode::empty(),
            )
            .unwrap();
            let mut swaps = 0u64;
            while !stop.load(Ordering::Relaxed) {
                rustix::fs::renameat_with(
                    &dir,
                    "d",
                    &dir,
                    "swap",
                    rustix::fs::RenameFlags::EXCHANGE,
                )
                .unwrap();
                swaps += 1;
            }
            swaps
        });
        for _ in 0..20 {
            let view = View::open(&root, false, Vec::new()).unwrap();
            let _ = extract(
                &view,
                &[b"d".to_vec()],
                &tar[..],
                &ExtractOptions::default(),
            );
            sentinel.assert_untouched("cp race");
        }
        stop.store(true, Ordering::Relaxed);
        assert!(swapper.join().unwrap() > 0);
    });
    sentinel.assert_untouched("cp race");
    // Whatever the copy saw as `/d/...` through the symlink landed inside the view.
    assert!(Path::new(&root).read_dir().unwrap().count() >= 2);
}
