//! Crash safety: a command that fails leaves nothing behind, and one killed with `kill -9`
//! half-way (import, load, build, pull, rm) leaves nothing the next command and `system check`
//! (without `--repair`) would trip over: the owner journals under `<root>/txn` say what the
//! dead command made, and the next command rolls it back (or finishes the removal).
//!
//! Deterministic kill points come from `BERTH_TEST_PAUSE_AT=<point>` (test-only: the process
//! prints `berth: paused at <point>` and sleeps until it is killed).

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use berth_e2e::registry::{self, Registry};
use berth_e2e::Berth;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// `system check` (no `--repair`) finds nothing.
fn assert_clean(b: &Berth, after: &str) {
    let o = b.cmd(&["system", "check"]);
    assert!(
        o.success() && o.stdout.contains("No problems found"),
        "system check after {after}:\n{o}"
    );
}

/// How many entries `dir` has (0 when missing).
fn count(dir: &Path) -> usize {
    fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

/// The store holds no blob and no unpacked layer, and no journal is left.
fn assert_store_empty(b: &Berth, after: &str) {
    let blobs = count(&b.root.join("store/blobs/sha256"));
    let layers = fs::read_dir(b.root.join("layers"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().join("diff").is_dir())
                .count()
        })
        .unwrap_or(0);
    assert_eq!((blobs, layers), (0, 0), "blobs, layers left after {after}");
    assert_eq!(count(&b.root.join("txn")), 0, "journals left after {after}");
}

/// Whether a file named `escaped` exists at `/` or anywhere under the test dir (where a
/// `../` entry would land outside the directory meant for it).
fn escaped_anywhere(b: &Berth) -> bool {
    fn walk(dir: &Path) -> bool {
        fs::read_dir(dir).into_iter().flatten().flatten().any(|e| {
            e.file_name() == "escaped"
                || (e.file_type().is_ok_and(|t| t.is_dir()) && walk(&e.path()))
        })
    }
    Path::new("/escaped").exists() || walk(&b.dir)
}

/// Starts berth with `env` set, stdout and stderr to files; stdin from `stdin` (else null).
fn spawn(b: &Berth, args: &[&str], env: &[(&str, &str)], stdin: Option<&Path>) -> (Child, PathBuf) {
    let log = b.dir.join(format!("spawn-{}.log", args[0]));
    let out = File::create(&log).unwrap();
    let err = out.try_clone().unwrap();
    let mut c = Command::new(&b.bin);
    c.arg("--root")
        .arg(&b.root)
        .args(args)
        .envs(env.iter().copied());
    c.stdin(match stdin {
        Some(p) => Stdio::from(File::open(p).unwrap()),
        None => Stdio::null(),
    });
    let child = c.stdout(out).stderr(err).spawn().unwrap();
    (child, log)
}

/// Waits (up to 120 s) until `log` contains `text` while the child runs.
fn wait_for(child: &mut Child, log: &Path, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let seen = fs::read_to_string(log).unwrap_or_default();
        if seen.contains(text) {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("berth ended ({status}) before printing {text:?}:\n{seen}");
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {text:?}:\n{seen}"
        );
        sleep(Duration::from_millis(50));
    }
}

/// SIGKILLs a child we started, by pid, and reaps it.
fn kill9(mut child: Child) {
    let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
    let _ = child.wait();
}

/// Runs `args` with `BERTH_TEST_PAUSE_AT=point`, kills it there with SIGKILL.
fn kill_at(b: &Berth, args: &[&str], point: &str, stdin: Option<&Path>) {
    let (mut child, log) = spawn(b, args, &[("BERTH_TEST_PAUSE_AT", point)], stdin);
    wait_for(&mut child, &log, &format!("paused at {point}"));
    kill9(child);
}

/// Rewrites the tar `src` into `dest`, passing each entry's path and data through `edit`.
fn rewrite_tar(src: &Path, dest: &Path, mut edit: impl FnMut(&str, &mut Vec<u8>)) {
    let mut a = tar::Archive::new(File::open(src).unwrap());
    let mut out = tar::Builder::new(File::create(dest).unwrap());
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().display().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        edit(&path, &mut data);
        let mut h = e.header().clone();
        h.set_size(data.len() as u64);
        h.set_cksum();
        out.append(&h, &data[..]).unwrap();
    }
    out.finish().unwrap();
}

/// Appends a raw entry named `name` (no path checks: hostile names on purpose).
fn append_raw(
    t: &mut tar::Builder<File>,
    name: &str,
    kind: tar::EntryType,
    link: &str,
    data: &[u8],
) {
    let mut h = tar::Header::new_old();
    let n = &mut h.as_old_mut().name;
    n[..name.len()].copy_from_slice(name.as_bytes());
    if !link.is_empty() {
        let l = &mut h.as_old_mut().linkname;
        l[..link.len()].copy_from_slice(link.as_bytes());
    }
    h.set_entry_type(kind);
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    h.set_cksum();
    t.append(&h, data).unwrap();
}

/// Two busybox images (`bb1`, and `bb2` with 1 MiB more) saved in one archive, then removed,
/// so the store starts empty. Returns the archive.
fn two_image_archive(b: &Berth) -> PathBuf {
    b.busybox_image("bb1");
    b.busybox_image_with("bb2", |root| {
        let data: Vec<u8> = (0..1u32 << 20)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        fs::write(root.join("extra.bin"), data).unwrap();
    });
    let archive = b.dir.join("two.tar");
    b.cmd(&["save", "-o", archive.to_str().unwrap(), "bb1", "bb2"])
        .ok();
    b.cmd(&["rmi", "bb1", "bb2"]).ok();
    assert_store_empty(b, "removing the saved images");
    archive
}

#[test]
fn a_load_with_a_bad_digest_leaves_nothing() {
    let Some(b) = Berth::new("crash-load-digest") else {
        return;
    };
    let archive = two_image_archive(&b);
    // Corrupt the biggest entry (bb2's layer): the other images' blobs are stored first.
    let mut a = tar::Archive::new(File::open(&archive).unwrap());
    let biggest = a
        .entries()
        .unwrap()
        .map(|e| e.unwrap())
        .max_by_key(|e| e.header().size().unwrap())
        .map(|e| e.path().unwrap().display().to_string())
        .unwrap();
    let bad = b.dir.join("bad-digest.tar");
    rewrite_tar(&archive, &bad, |path, data| {
        if path == biggest {
            let mid = data.len() / 2;
            data[mid] ^= 0xff;
        }
    });
    b.cmd_stdin(&["load"], &bad).fails();
    assert_eq!(b.cmd(&["images", "-q"]).ok().out(), "");
    assert_clean(&b, "a load with a bad digest");
    assert_store_empty(&b, "a load with a bad digest");
    // The good archive still loads.
    b.cmd_stdin(&["load"], &archive).ok();
    assert_clean(&b, "loading the good archive");
}

#[test]
fn a_load_with_a_hostile_entry_leaves_nothing() {
    let Some(b) = Berth::new("crash-load-hostile") else {
        return;
    };
    let archive = two_image_archive(&b);
    let hostile = b.dir.join("sub/hostile.tar");
    fs::create_dir_all(hostile.parent().unwrap()).unwrap();
    let mut t = tar::Builder::new(File::create(&hostile).unwrap());
    let mut a = tar::Archive::new(File::open(&archive).unwrap());
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let h = e.header().clone();
        t.append(&h, &mut e).unwrap();
    }
    append_raw(&mut t, "../../escaped", tar::EntryType::Regular, "", b"out");
    t.finish().unwrap();
    let o = b.cmd_stdin(&["load"], &hostile);
    assert!(!escaped_anywhere(&b), "an entry escaped: {o}");
    if !o.success() {
        assert_eq!(b.cmd(&["images", "-q"]).ok().out(), "", "{o}");
        assert_store_empty(&b, "a load with a hostile entry");
    }
    assert_clean(&b, "a load with a hostile entry");
}

#[test]
fn an_import_of_a_hostile_tar_leaves_nothing() {
    let Some(b) = Berth::new("crash-import-hostile") else {
        return;
    };
    type Hostile = (&'static str, tar::EntryType, &'static str);
    let cases: [&[Hostile]; 3] = [
        &[("../escaped", tar::EntryType::Regular, "")],
        &[("link", tar::EntryType::Link, "../../../../etc/passwd")],
        &[
            ("s", tar::EntryType::Symlink, "/"),
            ("s/escaped", tar::EntryType::Regular, ""),
        ],
    ];
    for (i, case) in cases.iter().enumerate() {
        let tar_path = b.dir.join(format!("hostile-{i}.tar"));
        let mut t = tar::Builder::new(File::create(&tar_path).unwrap());
        append_raw(&mut t, "ok.txt", tar::EntryType::Regular, "", b"fine");
        for (name, kind, link) in case.iter() {
            append_raw(&mut t, name, *kind, link, b"hostile");
        }
        t.finish().unwrap();
        let o = b.cmd(&["import", tar_path.to_str().unwrap(), &format!("h{i}")]);
        assert!(!escaped_anywhere(&b), "case {i}: an entry escaped: {o}");
        if !o.success() {
            assert_eq!(b.cmd(&["images", "-q"]).ok().out(), "", "case {i}: {o}");
            assert_store_empty(&b, &format!("hostile import {i}"));
        } else {
            b.cmd(&["rmi", &format!("h{i}")]).ok();
        }
        assert_clean(&b, &format!("hostile import {i}"));
    }
}

#[test]
fn a_failed_build_leaves_only_its_cache() {
    let Some(b) = Berth::new("crash-build-fails") else {
        return;
    };
    b.busybox_image("bb");
    let ctx = b.dir.join("ctx");
    fs::create_dir_all(&ctx).unwrap();
    fs::write(ctx.join("new.txt"), "a new layer\n").unwrap();
    fs::write(
        ctx.join("Dockerfile"),
        "FROM bb\nCOPY new.txt /new.txt\nRUN false\n",
    )
    .unwrap();
    b.cmd(&["build", "-t", "broken", ctx.to_str().unwrap()])
        .fails();
    assert_clean(&b, "a failed build");
    assert_eq!(count(&b.root.join("build")), 0, "build scratch left");
    assert_eq!(count(&b.root.join("txn")), 0, "journal left");
    // Dropping the cache leaves only the base image.
    b.cmd(&["builder", "prune", "-a", "-f"]).ok();
    assert_clean(&b, "pruning the cache");
}

#[test]
fn a_killed_import_is_rolled_back() {
    let Some(b) = Berth::new("crash-kill-import") else {
        return;
    };
    let tar = b.busybox_tar("bb", |_| {});
    kill_at(
        &b,
        &["import", tar.to_str().unwrap(), "bb"],
        "import:stored",
        None,
    );
    assert_eq!(count(&b.root.join("txn")), 1, "the killed import's journal");
    // The next command cleans up before it adds content.
    b.cmd(&["import", tar.to_str().unwrap(), "other"]).ok();
    assert_clean(&b, "a killed import");
    b.cmd(&["rmi", "other"]).ok();
    assert_store_empty(&b, "a killed import");
    kill_at(
        &b,
        &["import", tar.to_str().unwrap(), "bb"],
        "import:stored",
        None,
    );
    assert_clean(&b, "a killed import, checked first");
    assert_store_empty(&b, "a killed import, checked first");
}

#[test]
fn a_killed_load_is_rolled_back() {
    let Some(b) = Berth::new("crash-kill-load") else {
        return;
    };
    let archive = two_image_archive(&b);
    kill_at(&b, &["load"], "load:stored", Some(&archive));
    assert_eq!(b.cmd(&["images", "-q"]).ok().out(), "");
    assert_clean(&b, "a killed load");
    assert_store_empty(&b, "a killed load");
    let o = b.cmd_stdin(&["load"], &archive).ok();
    assert!(o.stdout.contains("bb2"), "{o}");
    assert_clean(&b, "loading again");
}

#[test]
fn a_build_killed_in_a_run_step_is_cleaned_up() {
    let Some(b) = Berth::new("crash-kill-build") else {
        return;
    };
    b.busybox_image("bb");
    let ctx = b.dir.join("ctx");
    fs::create_dir_all(&ctx).unwrap();
    fs::write(ctx.join("new.txt"), "a new layer\n").unwrap();
    fs::write(
        ctx.join("Dockerfile"),
        "FROM bb\nCOPY new.txt /new.txt\nRUN echo step-started && sleep 1000\n",
    )
    .unwrap();
    let (mut child, log) = spawn(
        &b,
        &[
            "build",
            "--progress=plain",
            "-t",
            "slow",
            ctx.to_str().unwrap(),
        ],
        &[],
        None,
    );
    wait_for(&mut child, &log, "step-started");
    kill9(child);
    assert!(
        count(&b.root.join("build")) > 0,
        "the killed build's scratch"
    );
    b.cmd(&["images"]).ok();
    assert_clean(&b, "a killed build");
    assert_eq!(count(&b.root.join("build")), 0, "build scratch left");
    assert_eq!(count(&b.root.join("txn")), 0, "journal left");
    let mounts = fs::read_to_string("/proc/self/mountinfo").unwrap();
    let root = b.root.display().to_string();
    assert!(
        !mounts.lines().any(|l| l.contains(&root)),
        "mounts left under the root:\n{mounts}"
    );
    let runtime: Vec<_> = fs::read_dir(b.root.join("run/runtime"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        runtime.is_empty(),
        "the RUN step's container is left: {runtime:?}"
    );
    // The next build works (and reuses the COPY step's cache entry).
    fs::write(
        ctx.join("Dockerfile"),
        "FROM bb\nCOPY new.txt /new.txt\nRUN true\n",
    )
    .unwrap();
    b.cmd(&["build", "-t", "quick", ctx.to_str().unwrap()]).ok();
    assert_clean(&b, "the next build");
}

#[test]
fn a_killed_rm_is_finished_by_the_next_command() {
    let Some(b) = Berth::new("crash-kill-rm") else {
        return;
    };
    b.busybox_image("bb");
    let name = "crash-rm-victim";
    b.cmd(&["run", "-d", "--name", name, "bb", "sleep", "1000"])
        .ok();
    kill_at(&b, &["rm", "-f", name], "rm:dir-removed", None);
    b.cmd(&["ps", "-a"]).ok();
    assert_clean(&b, "a killed rm");
    let o = b.cmd(&["ps", "-a", "-q"]).ok();
    assert_eq!(o.out(), "", "the container is still listed: {o}");
    b.cmd(&["run", "--rm", "--name", name, "bb", "true"]).ok();
    assert_clean(&b, "reusing the name");
}

#[test]
fn a_killed_pull_leaves_nothing_to_report() {
    let name = "crash-kill-pull";
    let Some(b) = Berth::new(name) else {
        return;
    };
    if registry::skip(name) {
        return;
    }
    let r = Registry::plain(&b.netns, &b.dir);
    b.busybox_image("bb");
    let reference = r.image("crash/bb:1");
    b.cmd(&["tag", "bb", &reference]).ok();
    b.cmd(&["push", &reference]).ok();
    b.cmd(&["rmi", &reference, "bb"]).ok();
    assert_store_empty(&b, "removing the pushed image");
    // Killed with every blob and layer in, before the image is named: the pending record
    // keeps them for the next pull, so nothing is a finding.
    kill_at(&b, &["pull", "-q", &reference], "pull:stored", None);
    let tar = b.busybox_tar("other", |_| {});
    b.cmd(&["import", tar.to_str().unwrap(), "other"]).ok();
    assert_clean(&b, "a killed pull");
    b.cmd(&["pull", &reference]).ok();
    assert_clean(&b, "pulling again");
    let pending = fs::read_dir(b.root.join("store/partial"))
        .map(|d| d.flatten().count())
        .unwrap_or(0);
    assert_eq!(pending, 0, "pending records or partial files left");
}
