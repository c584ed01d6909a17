//! `berth build`'s context digest cache (issue 15): files whose metadata did not change are
//! not read again, yet an edit that keeps a file's size and restores its mtime right after
//! a build is still seen; a no-op rebuild is fully cached; a one-file change rebuilds from
//! the COPY; a stdin context keeps no cache.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use berth_e2e::cmd::Output;
use berth_e2e::{cached_and_run, Berth};

fn build(b: &Berth, ctx: &Path, tag: &str) -> Output {
    let c = ctx.display().to_string();
    b.cmd(&["build", "--progress=plain", "-t", tag, &c]).ok()
}

/// The context cache files under the state root.
fn cache_files(b: &Berth) -> Vec<PathBuf> {
    match fs::read_dir(b.root.join("build/context-cache")) {
        Ok(d) => d.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

fn cat(b: &Berth, image: &str, file: &str) -> String {
    b.cmd(&["run", "--rm", "--network", "none", image, "cat", file])
        .ok()
        .out()
        .to_string()
}

#[test]
fn same_size_edit_with_restored_mtime_is_seen_and_noop_is_cached() {
    let Some(b) = Berth::new("build-ctxcache") else {
        return;
    };
    b.busybox_image("bb:1");
    let ctx = b.dir.join("ctx");
    for d in 0..4 {
        fs::create_dir_all(ctx.join(format!("d{d}"))).unwrap();
        for f in 0..10 {
            fs::write(ctx.join(format!("d{d}/f{f}")), format!("file {d}/{f}\n")).unwrap();
        }
    }
    fs::write(ctx.join("data.txt"), "aaaa\n").unwrap();
    fs::write(
        ctx.join("Dockerfile"),
        "FROM bb:1\nCOPY . /app\nRUN cat /app/data.txt > /out\n",
    )
    .unwrap();
    // Files changed within the racy window (2 s) before a build are not cached by it: let
    // them age so the first build caches every one.
    std::thread::sleep(Duration::from_millis(2200));
    let first = build(&b, &ctx, "app:1");
    assert_eq!(cached_and_run(&first).1.len(), 2, "{first}");
    assert_eq!(cat(&b, "app:1", "/out"), "aaaa");
    let files = cache_files(&b);
    assert_eq!(files.len(), 1, "no context cache written: {files:?}");
    // 42 files of about 95 bytes each, not an empty cache (44 bytes).
    assert!(
        fs::metadata(&files[0]).unwrap().len() > 2000,
        "nothing cached"
    );

    // No-op rebuild: every step cached.
    let noop = build(&b, &ctx, "app:1");
    let (cached, run) = cached_and_run(&noop);
    assert_eq!((cached.len(), run.len()), (2, 0), "no-op rebuild:\n{noop}");

    // Right after the build, within the same second: the same size, the mtime put back.
    let data = ctx.join("data.txt");
    let mtime = fs::metadata(&data).unwrap().modified().unwrap();
    fs::write(&data, "bbbb\n").unwrap();
    fs::File::options()
        .write(true)
        .open(&data)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let md = fs::metadata(&data).unwrap();
    assert_eq!((md.len(), md.modified().unwrap()), (5, mtime));
    let edited = build(&b, &ctx, "app:2");
    let (cached, run) = cached_and_run(&edited);
    assert!(cached.is_empty(), "the edit was missed:\n{edited}");
    assert!(run[0].contains("COPY . /app"), "{run:?}");
    assert_eq!(cat(&b, "app:2", "/out"), "bbbb");
    assert_eq!(cat(&b, "app:2", "/app/data.txt"), "bbbb");

    // One file changed: the COPY and what follows it run again, with the new content.
    fs::write(ctx.join("d2/f7"), "file 2/7, changed\n").unwrap();
    let changed = build(&b, &ctx, "app:3");
    let (cached, run) = cached_and_run(&changed);
    assert_eq!((cached.len(), run.len()), (0, 2), "{changed}");
    assert_eq!(cat(&b, "app:3", "/app/d2/f7"), "file 2/7, changed");
    let again = build(&b, &ctx, "app:3");
    assert_eq!(cached_and_run(&again).1.len(), 0, "{again}");

    // A context tar on stdin keeps no cache; `builder prune -a` removes the caches.
    let tarball = b.dir.join("ctx.tar");
    let tar = std::process::Command::new("tar")
        .args([
            "-C",
            ctx.to_str().unwrap(),
            "-cf",
            tarball.to_str().unwrap(),
            ".",
        ])
        .status()
        .unwrap();
    assert!(tar.success());
    b.cmd_stdin(&["build", "-q", "-t", "app:4", "-"], &tarball)
        .ok();
    assert_eq!(cache_files(&b).len(), 1);
    b.cmd(&["builder", "prune", "-af"]).ok();
    assert!(cache_files(&b).is_empty());
}
