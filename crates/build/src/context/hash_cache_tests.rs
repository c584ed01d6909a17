//! The context digest cache on real files: hits, misses on each metadata field, racy
//! files, corrupt cache files, concurrent writers; and that cached hashes equal uncached.

use super::*;
use crate::context::{content_hash, content_hash_cached, resolve_sources, SourceTree};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

/// A scan start far enough ahead that files made now are not racy.
fn later() -> i64 {
    now_ns() + 10 * RACY_MARGIN_NS
}

fn make(p: &Path) {
    fs::create_dir_all(p.join("d/sub")).unwrap();
    for i in 0..5 {
        fs::write(p.join(format!("d/f{i}")), format!("file {i}")).unwrap();
    }
    fs::write(p.join("d/sub/x"), "x").unwrap();
    std::os::unix::fs::symlink("f1", p.join("d/l")).unwrap();
    fs::write(p.join("top"), "top").unwrap();
}

/// The context's hash through `cache`, and the same without any cache.
fn both(ctx: &Path, cache: &HashCache) -> (String, String) {
    let tree = SourceTree {
        root: ctx,
        ignore: None,
        context: true,
    };
    let s = resolve_sources(&tree, &[".".to_string()]).unwrap();
    let cached = content_hash_cached(&tree, &s, &[], Some(cache)).unwrap();
    (cached, content_hash(&tree, &s, &[]).unwrap())
}

/// One build's pass: load, hash, save. Returns (hash, (hits, misses), saved).
fn pass(ctx: &Path, file: &Path, scan: Option<i64>) -> (String, (usize, usize), Saved) {
    let mut c = HashCache::load(file);
    if let Some(ns) = scan {
        c = c.scan_started_at(ns);
    }
    let (cached, plain) = both(ctx, &c);
    assert_eq!(cached, plain, "a cached hash equals the uncached one");
    let saved = c.save().unwrap();
    (cached, c.stats(), saved)
}

fn set_mtime(p: &Path, t: std::time::SystemTime) {
    fs::File::options()
        .write(true)
        .open(p)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

#[test]
fn hits_after_a_save_and_misses_only_what_changed() {
    let t = tempfile::tempdir().unwrap();
    let ctx = t.path().join("ctx");
    let file = t.path().join("state/cache");
    make(&ctx);
    let (h1, (hits, misses), saved) = pass(&ctx, &file, Some(later()));
    assert_eq!((hits, misses), (0, 7));
    assert_eq!(saved, Saved::Written(7));
    let (h2, stats, saved) = pass(&ctx, &file, Some(later()));
    assert_eq!(
        (h2.as_str(), stats, saved),
        (h1.as_str(), (7, 0), Saved::Unchanged)
    );
    // Another size: one miss, a new hash.
    fs::write(ctx.join("d/f2"), "file 2, longer").unwrap();
    let (h3, stats, saved) = pass(&ctx, &file, Some(later()));
    assert_ne!(h3, h1);
    assert_eq!((stats, saved), ((6, 1), Saved::Written(7)));
    let (_, stats, _) = pass(&ctx, &file, Some(later()));
    assert_eq!(stats, (7, 0));
}

#[test]
fn same_size_and_restored_mtime_still_miss_on_ctime() {
    let t = tempfile::tempdir().unwrap();
    let ctx = t.path().join("ctx");
    let file = t.path().join("cache");
    make(&ctx);
    let f = ctx.join("d/f3");
    let mtime = fs::metadata(&f).unwrap().modified().unwrap();
    let (h1, _, _) = pass(&ctx, &file, Some(later()));
    std::thread::sleep(Duration::from_millis(20));
    fs::write(&f, "FILE 3").unwrap();
    set_mtime(&f, mtime);
    assert_eq!(fs::metadata(&f).unwrap().modified().unwrap(), mtime);
    let (h2, stats, _) = pass(&ctx, &file, Some(later()));
    assert_eq!(stats, (6, 1));
    assert_ne!(h1, h2);
}

#[test]
fn every_stamp_field_is_part_of_the_key() {
    let t = tempfile::tempdir().unwrap();
    let ctx = t.path().join("ctx");
    let file = t.path().join("cache");
    make(&ctx);
    pass(&ctx, &file, Some(later()));
    let c = HashCache::load(&file).scan_started_at(later());
    let key = "\0d/f0";
    let stamp = Stamp::of(&fs::symlink_metadata(ctx.join("d/f0")).unwrap());
    assert!(c.get(key, &stamp).is_some());
    let changed: [fn(&mut Stamp); 6] = [
        |s| s.size += 1,
        |s| s.mtime_ns += 1,
        |s| s.ctime_ns += 1,
        |s| s.ino += 1,
        |s| s.dev += 1,
        |s| s.mode ^= 0o100,
    ];
    for change in changed {
        let mut s = stamp;
        change(&mut s);
        assert!(c.get(key, &s).is_none(), "{s:?}");
    }
    assert!(c.get("\0d/other", &stamp).is_none());
}

#[test]
fn a_replaced_file_misses_on_its_inode() {
    let t = tempfile::tempdir().unwrap();
    let ctx = t.path().join("ctx");
    let file = t.path().join("cache");
    make(&ctx);
    let f = ctx.join("d/f4");
    let mtime = fs::metadata(&f).unwrap().modified().unwrap();
    let (h1, _, _) = pass(&ctx, &file, Some(later()));
    fs::write(ctx.join("new"), "FILE 4").unwrap();
    set_mtime(&ctx.join("new"), mtime);
    fs::rename(ctx.join("new"), &f).unwrap();
    let (h2, stats, _) = pass(&ctx, &file, Some(later()));
    assert_eq!(stats, (6, 1));
    assert_ne!(h1, h2);
    // A mode change alone (ctime and mode): a miss, and a new hash.
    fs::set_permissions(&f, fs::Permissions::from_mode(0o600)).unwrap();
    let (h3, stats, _) = pass(&ctx, &file, Some(later()));
    assert_eq!(stats, (6, 1));
    assert_ne!(h2, h3);
}

#[test]
fn racy_files_are_never_stored_nor_trusted() {
    let t = tempfile::tempdir().unwrap();
    let ctx = t.path().join("ctx");
    let file = t.path().join("cache");
    make(&ctx);
    // The files were just made: racy for a scan starting now. Nothing is stored.
    let (h1, stats, saved) = pass(&ctx, &file, None);
    assert_eq!((stats, saved), ((0, 7), Saved::Unchanged));
    assert!(!file.exists());
    // Stored by a scan that started later; a scan starting now does not trust them.
    pass(&ctx, &file, Some(later()));
    assert_eq!(HashCache::load(&file).loaded(), 7);
    let (h2, stats, saved) = pass(&ctx, &file, None);
    assert_eq!(h1, h2);
    assert_eq!(stats, (0, 7));
    // ... and drops their records, which it could not vouch for.
    assert_eq!(saved, Saved::Written(0));
    assert_eq!(HashCache::load(&file).loaded(), 0);
    // Files older than the margin are stored by a scan starting now.
    let c = HashCache::load(&file);
    let stamp = Stamp {
        mtime_ns: now_ns() - 3 * RACY_MARGIN_NS,
        ctime_ns: now_ns() - 3 * RACY_MARGIN_NS,
        ..Stamp::of(&fs::metadata(ctx.join("top")).unwrap())
    };
    assert!(!c.is_racy(&stamp));
    assert!(c.is_racy(&Stamp {
        ctime_ns: now_ns() - RACY_MARGIN_NS / 2,
        ..stamp
    }));
}

#[test]
fn a_corrupt_or_unreadable_cache_is_ignored() {
    let t = tempfile::tempdir().unwrap();
    let ctx = t.path().join("ctx");
    let file = t.path().join("cache");
    make(&ctx);
    let (h1, _, _) = pass(&ctx, &file, Some(later()));
    let good = fs::read(&file).unwrap();
    let mut bad = vec![
        Vec::new(),
        b"garbage".to_vec(),
        good[..good.len() / 2].to_vec(),
        good[..good.len() - 1].to_vec(),
    ];
    for i in [0, 9, 20, good.len() - 40, good.len() - 1] {
        let mut flipped = good.clone();
        flipped[i] ^= 0x40;
        bad.push(flipped);
    }
    for data in bad {
        fs::write(&file, &data).unwrap();
        let c = HashCache::load(&file).scan_started_at(later());
        assert_eq!(c.loaded(), 0);
        let (h, plain) = both(&ctx, &c);
        assert_eq!((h.as_str(), plain.as_str()), (h1.as_str(), h1.as_str()));
        assert_eq!(c.stats(), (0, 7));
    }
    // A directory where the file should be: read nothing, and fail to save, harmlessly.
    fs::remove_file(&file).unwrap();
    fs::create_dir(&file).unwrap();
    let c = HashCache::load(&file).scan_started_at(later());
    assert_eq!(both(&ctx, &c).0, h1);
    assert!(c.save().is_err());
}

#[test]
fn concurrent_writers_leave_a_whole_cache() {
    let t = tempfile::tempdir().unwrap();
    let ctx = t.path().join("ctx");
    let file = t.path().join("state/cache");
    make(&ctx);
    std::thread::scope(|s| {
        for i in 0..4 {
            let (ctx, file) = (&ctx, &file);
            s.spawn(move || {
                for j in 0..20 {
                    let c = HashCache::load(file).scan_started_at(later());
                    both(ctx, &c);
                    // Each writer knows a record of its own too, so that each one writes.
                    c.record([(
                        format!("w{i}-{j}"),
                        Stamp::of(&fs::metadata(ctx).unwrap()),
                        &*"ab".repeat(32),
                    )]);
                    c.save().unwrap();
                    assert!(HashCache::load(file).loaded() >= 7);
                }
            });
        }
    });
    let c = HashCache::load(&file).scan_started_at(later());
    assert!(c.loaded() >= 7);
    both(&ctx, &c);
    assert_eq!(c.stats(), (7, 0));
    let leftovers: Vec<_> = fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, [std::ffi::OsString::from("cache")]);
}

#[test]
fn unused_records_age_out() {
    let t = tempfile::tempdir().unwrap();
    let ctx = t.path().join("ctx");
    let file = t.path().join("cache");
    make(&ctx);
    pass(&ctx, &file, Some(later()));
    fs::remove_file(ctx.join("d/f0")).unwrap();
    for n in 0..MAX_AGE {
        // A changed file makes each pass write.
        fs::write(ctx.join("top"), "x".repeat(n as usize + 10)).unwrap();
        pass(&ctx, &file, Some(later()));
    }
    let c = HashCache::load(&file);
    assert_eq!(c.loaded(), 7, "f0 still kept after {MAX_AGE} saves");
    fs::write(ctx.join("top"), "y").unwrap();
    pass(&ctx, &file, Some(later()));
    assert_eq!(HashCache::load(&file).loaded(), 6);
}

#[test]
fn hex_round_trips() {
    let d: [u8; 32] = std::array::from_fn(|i| (i * 37) as u8);
    let h = hex(&d);
    assert_eq!(h, d.iter().map(|b| format!("{b:02x}")).collect::<String>());
    assert_eq!(unhex(&h), Some(d));
    assert_eq!(unhex("zz"), None);
}
