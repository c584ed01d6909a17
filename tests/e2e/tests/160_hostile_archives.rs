//! The path-safety core's hostile corpus (`berth_pathsafe::hostile`) fed to every extractor
//! through the CLI: `import` (a rootfs tarball: layer unpack), `load` (an image archive, and
//! a valid archive whose layer is hostile), `cp -` into a container, `build` with
//! `ADD hostile.tar /x/`, and `build -` with the hostile tar as the context. Every command
//! succeeds or fails cleanly (exit 1 with a message, never a panic), and a sentinel
//! directory on the host, which the archives aim at, never changes.

use std::fs;
use std::path::{Path, PathBuf};

use berth_e2e::cmd::Output;
use berth_e2e::image_archive::{write_archive, ArchiveFormat, RunConfig};
use berth_e2e::Berth;
use berth_pathsafe::hostile::{corpus, Case, RawTar, Sentinel};

/// Exit 0, or exit 1 with a message that is not a panic.
fn clean(what: &str, case: &Case, o: &Output) {
    let code = o.code;
    assert!(
        code == Some(0) || (code == Some(1) && !o.stderr.trim().is_empty()),
        "{what} of {:?}: not a clean result: {o}",
        case.name
    );
    assert!(
        !o.stderr.contains("panicked"),
        "{what} of {:?} panicked: {o}",
        case.name
    );
}

/// The corpus written to files, with the sentinel the archives aim at.
fn setup(b: &Berth) -> (Sentinel, Vec<(Case, PathBuf)>) {
    let sentinel = Sentinel::create(&b.dir.join("sentinel")).unwrap();
    let dir = b.dir.join("hostile");
    fs::create_dir_all(&dir).unwrap();
    let cases = corpus(sentinel.path())
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let p = dir.join(format!("case{i}.tar"));
            fs::write(&p, &c.tar).unwrap();
            (c, p)
        })
        .collect();
    (sentinel, cases)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn import_and_load_of_hostile_archives() {
    let Some(b) = Berth::new("hostile-import-load") else {
        return;
    };
    let (sentinel, cases) = setup(&b);
    for (i, (case, path)) in cases.iter().enumerate() {
        let o = b.cmd(&["import", s(path), &format!("hostile-import:{i}")]);
        clean("import", case, &o);
        sentinel.assert_untouched(case.name);
        // The tar as an image archive (none is one), then as the layer of a valid one.
        let o = b.cmd(&["load", "-i", s(path)]);
        assert!(
            !o.success(),
            "{}: load accepted a non-archive: {o}",
            case.name
        );
        clean("load", case, &o);
        let archive = b.dir.join(format!("hostile/archive{i}.tar"));
        let reference = format!("hostile-load:{i}");
        write_archive(
            &archive,
            &reference,
            std::slice::from_ref(&case.tar),
            &RunConfig::default(),
            ArchiveFormat::Docker,
        )
        .unwrap();
        let o = b.cmd(&["load", "-i", s(&archive)]);
        clean("load of a hostile layer", case, &o);
        if o.success() {
            // Creating a container unpacks the layer, if load did not.
            let o = b.cmd(&["create", "--name", &format!("h{i}"), &reference]);
            clean("create on a hostile layer", case, &o);
            let _ = b.cmd(&["rm", "-f", &format!("h{i}")]);
        }
        sentinel.assert_untouched(case.name);
        sentinel.assert_not_linked_from(&b.root, case.name);
    }
}

#[test]
fn cp_of_hostile_tars_into_a_container() {
    let Some(b) = Berth::new("hostile-cp") else {
        return;
    };
    b.busybox_image("bb");
    let (sentinel, cases) = setup(&b);
    b.cmd(&["run", "-d", "--name", "c1", "bb", "sleep", "1000"])
        .ok();
    for (i, (case, path)) in cases.iter().enumerate() {
        let dest = format!("/tmp/case{i}");
        b.cmd(&["exec", "c1", "mkdir", "-p", &dest]).ok();
        let o = b.cmd_stdin(&["cp", "-", &format!("c1:{dest}")], path);
        clean("cp", case, &o);
        sentinel.assert_untouched(case.name);
        sentinel.assert_not_linked_from(&b.root, case.name);
    }
    // The container still works, and the host's sentinel is only visible nowhere in it.
    b.cmd(&["exec", "c1", "true"]).ok();
    b.cmd(&["rm", "-f", "c1"]).ok();
    sentinel.assert_untouched("after cp");
}

#[test]
fn build_add_and_build_stdin_of_hostile_tars() {
    let Some(b) = Berth::new("hostile-build") else {
        return;
    };
    b.busybox_image("bb:1");
    let (sentinel, cases) = setup(&b);
    for (i, (case, path)) in cases.iter().enumerate() {
        // ADD of a local tar extracts it.
        let ctx = b.dir.join(format!("ctx{i}"));
        fs::create_dir_all(&ctx).unwrap();
        fs::copy(path, ctx.join("hostile.tar")).unwrap();
        fs::write(ctx.join("Dockerfile"), "FROM bb:1\nADD hostile.tar /x/\n").unwrap();
        let o = b.cmd(&[
            "build",
            "--progress=plain",
            "-t",
            &format!("add:{i}"),
            s(&ctx),
        ]);
        clean("build with ADD", case, &o);
        sentinel.assert_untouched(case.name);
        // The same entries as a `build -` context, after a Dockerfile.
        let mut context = RawTar::new().file("Dockerfile", b"FROM bb:1\n").finish();
        context.truncate(context.len() - 1024);
        context.extend_from_slice(&case.tar);
        let ctx_tar = b.dir.join(format!("hostile/context{i}.tar"));
        fs::write(&ctx_tar, &context).unwrap();
        let o = b.cmd_stdin(&["build", "--progress=plain", "-"], &ctx_tar);
        clean("build -", case, &o);
        sentinel.assert_untouched(case.name);
        sentinel.assert_not_linked_from(&b.root, case.name);
    }
}
