//! The hostile corpus against the core extractor, with each caller's policy and both ways
//! of resolving (openat2 and the forced O_NOFOLLOW walk): every archive gives Ok or a clean
//! error, and nothing outside the destination changes.

use std::path::Path;

use berth_pathsafe::dirs::{InRootDirs, NoSymlinkDirs};
use berth_pathsafe::entry::Words;
use berth_pathsafe::extract::{Extractor, Owner, Policy};
use berth_pathsafe::hostile::{corpus, Sentinel};
use berth_pathsafe::Root;

fn run_all(label: &str, mut extract: impl FnMut(&[u8], &Path) -> Result<(), String>) {
    let scratch = tempfile::tempdir().unwrap();
    let sentinel = Sentinel::create(&scratch.path().join("outside")).unwrap();
    for (i, case) in corpus(sentinel.path()).into_iter().enumerate() {
        let dest = scratch.path().join(format!("dest{i}"));
        std::fs::create_dir(&dest).unwrap();
        let res = extract(&case.tar, &dest);
        eprintln!("{label}: {}: {:?}", case.name, res);
        sentinel.assert_untouched(case.name);
        sentinel.assert_not_linked_from(&dest, case.name);
        if let Err(e) = res {
            assert!(!e.is_empty(), "{label}: {}: empty error", case.name);
        }
    }
}

#[test]
fn layer_policy() {
    run_all("layer", |tar, dest| {
        let dirs = NoSymlinkDirs::open(dest, Words::LAYER).map_err(|e| e.to_string())?;
        let mut x = Extractor::new(dirs, Policy::layer());
        x.apply_archive(&mut tar::Archive::new(tar), "layer tar")
            .map_err(|e| e.to_string())?;
        x.finish().map(drop).map_err(|e| e.to_string())
    });
}

fn in_root(tar: &[u8], dest: &Path, walk: bool, policy: Policy) -> Result<(), String> {
    let root = if walk {
        Root::open_forcing_walk(dest)
    } else {
        Root::open(dest)
    }
    .map_err(|e| e.to_string())?;
    let dirs = InRootDirs::new(root, vec![b"sub".to_vec()], None, Words::ARCHIVE);
    let mut x = Extractor::new(dirs, policy);
    x.apply_archive(&mut tar::Archive::new(tar), "archive")
        .map_err(|e| e.to_string())?;
    x.finish().map(drop).map_err(|e| e.to_string())
}

#[test]
fn add_policy_openat2_and_walk() {
    for walk in [false, true] {
        run_all("add", |tar, dest| {
            in_root(tar, dest, walk, Policy::add(Owner::Archive))
        });
    }
}

#[test]
fn context_policy_openat2_and_walk() {
    for walk in [false, true] {
        run_all("context", |tar, dest| {
            in_root(tar, dest, walk, Policy::context(Owner::Caller))
        });
    }
}

#[test]
fn cp_policy() {
    run_all("cp", |tar, dest| {
        in_root(tar, dest, true, Policy::cp(Owner::Fixed(0, 0)))
    });
}

#[test]
fn confined_results() {
    let scratch = tempfile::tempdir().unwrap();
    let sentinel = Sentinel::create(&scratch.path().join("outside")).unwrap();
    let out = sentinel.path().display().to_string();
    let dest = scratch.path().join("dest");
    std::fs::create_dir(&dest).unwrap();
    // A symlink escape is followed inside the root for ADD: the file lands in the root.
    let tar = berth_pathsafe::hostile::RawTar::new()
        .symlink("esc", &out)
        .file("esc/pwned", b"x")
        .finish();
    in_root(&tar, &dest, false, Policy::add(Owner::Archive)).unwrap();
    assert!(dest
        .join(out.trim_start_matches('/'))
        .join("pwned")
        .is_file());
    // `.wh.` names are ordinary files outside layers.
    let tar = berth_pathsafe::hostile::RawTar::new()
        .file(".wh.x", b"x")
        .finish();
    in_root(&tar, &dest, true, Policy::add(Owner::Archive)).unwrap();
    assert!(dest.join("sub/.wh.x").is_file());
    sentinel.assert_untouched("confined");
}

#[test]
fn a_replaced_symlink_is_not_used_from_the_cache() {
    let scratch = tempfile::tempdir().unwrap();
    let dest = scratch.path().join("dest");
    std::fs::create_dir_all(dest.join("sub/target")).unwrap();
    let tar = berth_pathsafe::hostile::RawTar::new()
        .symlink("d", "target")
        .file("d/one", b"1")
        .dir("d/")
        .file("d/two", b"2")
        .finish();
    for policy in [Policy::add(Owner::Caller), Policy::cp(Owner::Caller)] {
        let res = in_root(&tar, &dest, false, policy);
        match policy.replace {
            // ADD merges the directory entry into the symlink's target.
            berth_pathsafe::extract::Replace::FollowDirSymlinks => {
                res.unwrap();
                assert!(dest.join("sub/target/two").is_file());
            }
            // cp refuses a directory over a non-directory.
            _ => assert!(res.unwrap_err().contains("cannot overwrite")),
        }
    }
    let tar = berth_pathsafe::hostile::RawTar::new()
        .symlink("d", "target")
        .file("d/one", b"1")
        .file("d", b"file now")
        .dir("d/")
        .file("d/two", b"2")
        .finish();
    in_root(&tar, &dest, true, Policy::add(Owner::Caller)).unwrap();
    assert!(
        dest.join("sub/d/two").is_file(),
        "written through a stale handle"
    );
}
