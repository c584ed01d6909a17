//! The compiled-program cache.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::Instant;

use serde_json::json;

use super::profile;
use crate::seccomp::{cache, compile, default_docker_profile};

fn sample() -> oci_spec::runtime::LinuxSeccomp {
    profile(json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{ "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO" }]
    }))
}

#[test]
fn seccomp_cache_hit_gives_identical_program() {
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = dir.path().join("cache");
    let p = sample();
    let fresh = compile(&p, None).unwrap();
    let miss = compile(&p, Some(&cache_dir)).unwrap();
    let file = cache::path(&cache_dir, &cache::key(&p).unwrap());
    assert!(file.is_file(), "cache file written");
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let hit = compile(&p, Some(&cache_dir)).unwrap();
    assert_eq!(fresh.program, miss.program);
    assert_eq!(miss.program, hit.program);
    assert_eq!((miss.flags, miss.notify), (hit.flags, hit.notify));
    // No temp files left behind.
    assert_eq!(fs::read_dir(&cache_dir).unwrap().count(), 1);
}

#[test]
fn seccomp_cache_hit_reads_the_file() {
    // Plant another valid program under the sample's key: a hit must return it, proving the
    // compiler was skipped.
    let dir = tempfile::tempdir().unwrap();
    let p = sample();
    let other = profile(json!({ "defaultAction": "SCMP_ACT_LOG" }));
    let other_dir = dir.path().join("other");
    let expected = compile(&other, Some(&other_dir)).unwrap().program;
    let planted = fs::read(cache::path(&other_dir, &cache::key(&other).unwrap())).unwrap();
    fs::write(cache::path(dir.path(), &cache::key(&p).unwrap()), planted).unwrap();
    assert_eq!(compile(&p, Some(dir.path())).unwrap().program, expected);
}

#[test]
fn seccomp_cache_corrupt_file_is_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let p = sample();
    let good = compile(&p, Some(dir.path())).unwrap().program;
    let file = cache::path(dir.path(), &cache::key(&p).unwrap());
    let original = fs::read(&file).unwrap();
    let mut flipped = original.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0xff;
    let truncated = original[..original.len() - 8].to_vec();
    for bad in [b"garbage".to_vec(), Vec::new(), truncated, flipped] {
        fs::write(&file, &bad).unwrap();
        assert_eq!(compile(&p, Some(dir.path())).unwrap().program, good);
        assert_eq!(fs::read(&file).unwrap(), original, "rewritten");
    }
    // A file others could have written is not trusted.
    fs::set_permissions(&file, fs::Permissions::from_mode(0o666)).unwrap();
    assert_eq!(compile(&p, Some(dir.path())).unwrap().program, good);
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn seccomp_cache_key_depends_on_profile() {
    let a = cache::key(&sample()).unwrap();
    let b = cache::key(&profile(json!({ "defaultAction": "SCMP_ACT_LOG" }))).unwrap();
    assert_ne!(a, b);
    assert_eq!(a, cache::key(&sample()).unwrap());
    assert_eq!(a.len(), 64);
}

/// Timing of a miss (libseccomp compile + store) against a hit, on Docker's default profile.
/// Run with `cargo test -p berth-runtime --release seccomp_cache_timing -- --ignored --nocapture`.
#[test]
#[ignore]
fn seccomp_cache_timing() {
    let p = default_docker_profile();
    let dir = tempfile::tempdir().unwrap();
    let rounds = 50u32;
    let start = Instant::now();
    for _ in 0..rounds {
        compile(&p, None).unwrap();
    }
    let nocache = start.elapsed() / rounds;
    let mut miss = std::time::Duration::ZERO;
    for i in 0..rounds {
        let d = dir.path().join(i.to_string());
        let t = Instant::now();
        compile(&p, Some(&d)).unwrap();
        miss += t.elapsed();
    }
    let miss = miss / rounds;
    let d = dir.path().join("0");
    let t = Instant::now();
    for _ in 0..rounds * 20 {
        compile(&p, Some(&d)).unwrap();
    }
    let hit = t.elapsed() / (rounds * 20);
    let key = Instant::now();
    for _ in 0..rounds * 20 {
        cache::key(&p).unwrap();
    }
    let key = key.elapsed() / (rounds * 20);
    let t = Instant::now();
    for _ in 0..rounds {
        default_docker_profile();
    }
    let resolve = t.elapsed() / rounds;
    println!(
        "docker default profile: no cache {nocache:?}, miss {miss:?}, hit {hit:?} \
         (key {key:?}); default_docker_profile() {resolve:?}"
    );
}
