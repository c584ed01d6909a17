//! The build context's strict source resolution on the path-safety core, run both ways:
//! `openat2` and the `O_NOFOLLOW` walk alone (as on kernels without it).

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use berth_dockerfile::dockerignore::DockerIgnore;

use super::resolve::FORCE_WALK;
use super::{resolve_sources, source_path, ContextError, Source, SourceTree};

/// A context directory (`ctx`, canonical) beside a directory outside it holding a secret.
struct Setup {
    _dir: tempfile::TempDir,
    ctx: std::path::PathBuf,
    outside: std::path::PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let base = fs::canonicalize(dir.path()).unwrap();
    let ctx = base.join("ctx");
    let outside = base.join("outside");
    fs::create_dir_all(ctx.join("real/deep")).unwrap();
    fs::create_dir_all(&outside).unwrap();
    fs::write(ctx.join("real/a.txt"), "a").unwrap();
    fs::write(ctx.join("real/deep/b.txt"), "b").unwrap();
    fs::write(outside.join("secret"), "host secret").unwrap();
    Setup {
        _dir: dir,
        ctx,
        outside,
    }
}

/// Runs `test` with `openat2` and with the forced walk.
fn both(test: impl Fn()) {
    for walk in [false, true] {
        FORCE_WALK.set(walk);
        if walk {
            let root = super::resolve::open_root(Path::new("/"), "/").unwrap();
            assert!(!root.uses_openat2());
        }
        test();
    }
    FORCE_WALK.set(false);
}

fn context<'a>(root: &'a Path, ignore: Option<&'a DockerIgnore>) -> SourceTree<'a> {
    SourceTree {
        root,
        ignore,
        context: true,
    }
}

fn sources(tree: &SourceTree, pattern: &str) -> Result<Vec<Source>, ContextError> {
    resolve_sources(tree, &[pattern.to_string()])
}

/// `pattern` is "outside the build context"; a plain path is named in the message as
/// written (a glob names the match that leads out).
fn assert_outside(tree: &SourceTree, pattern: &str) {
    match sources(tree, pattern) {
        Err(e @ ContextError::OutsideContext(_)) if !super::has_meta(pattern) => assert_eq!(
            e.to_string(),
            format!("forbidden path outside the build context: {pattern}")
        ),
        Err(ContextError::OutsideContext(_)) => {}
        other => panic!("{pattern}: expected outside the build context, got {other:?}"),
    }
}

#[test]
fn symlinks_pointing_outside_are_errors() {
    both(|| {
        let s = setup();
        symlink(&s.outside, s.ctx.join("abs")).unwrap();
        symlink(s.outside.join("secret"), s.ctx.join("abs_file")).unwrap();
        symlink("../outside/secret", s.ctx.join("up_file")).unwrap();
        symlink("../../outside", s.ctx.join("real/up_dir")).unwrap();
        let tree = context(&s.ctx, None);
        for p in [
            "abs",
            "abs/secret",
            "abs_file",
            "up_file",
            "real/up_dir/secret",
        ] {
            assert_outside(&tree, p);
        }
        // A glob matching such a link is an error too, not a silent skip.
        assert_outside(&tree, "abs_f*");
        assert_outside(&tree, "real/up_dir/*");
        // With a .dockerignore in place (the hook path) the same.
        let ig = DockerIgnore::parse("nothing-matches\n").unwrap();
        assert_outside(&context(&s.ctx, Some(&ig)), "up_file");
        // Another stage's tree: re-rooted inside it instead (nothing there).
        let stage = SourceTree {
            root: &s.ctx,
            ignore: None,
            context: false,
        };
        assert!(matches!(
            sources(&stage, "up_file"),
            Err(ContextError::NotFound(_))
        ));
    });
}

#[test]
fn a_chain_that_leaves_and_comes_back_is_an_error() {
    both(|| {
        let s = setup();
        // Textually out of the context and back in: leaving is what counts.
        symlink("../ctx/real/a.txt", s.ctx.join("back")).unwrap();
        // Out through a link on the host that points back into the context.
        symlink(s.ctx.join("real"), s.outside.join("return")).unwrap();
        symlink("../outside/return/a.txt", s.ctx.join("via_host")).unwrap();
        symlink(s.outside.join("return"), s.ctx.join("abs_via_host")).unwrap();
        // A chain that stays inside, one link absolute into the context's own path.
        symlink(s.ctx.join("real"), s.ctx.join("abs_in")).unwrap();
        symlink("abs_in/deep", s.ctx.join("chain")).unwrap();
        let tree = context(&s.ctx, None);
        for p in ["back", "via_host", "abs_via_host/a.txt"] {
            assert_outside(&tree, p);
        }
        let got = sources(&tree, "chain/b.txt").unwrap();
        assert_eq!(
            source_path(&tree, &got[0]).unwrap(),
            s.ctx.join("real/deep/b.txt")
        );
    });
}

#[test]
fn symlink_loops_are_errors() {
    both(|| {
        let s = setup();
        symlink("b", s.ctx.join("a")).unwrap();
        symlink("a", s.ctx.join("b")).unwrap();
        symlink("self", s.ctx.join("self")).unwrap();
        symlink(s.ctx.join("dirloop"), s.ctx.join("dirloop")).unwrap();
        let tree = context(&s.ctx, None);
        for p in ["a", "self/x", "dirloop/y"] {
            let e = sources(&tree, p).unwrap_err();
            assert!(matches!(e, ContextError::SymlinkLoop(_)), "{p}: {e}");
            assert_eq!(
                e.to_string(),
                format!("too many levels of symbolic links resolving {p}")
            );
        }
        let e = sources(&tree, "sel?").unwrap_err();
        assert!(matches!(e, ContextError::SymlinkLoop(_)), "{e}");
    });
}

#[test]
fn sources_through_a_symlinked_dir_inside_the_context() {
    both(|| {
        let s = setup();
        symlink("real", s.ctx.join("link")).unwrap();
        symlink("../real/deep", s.ctx.join("real/sib")).unwrap();
        let tree = context(&s.ctx, None);
        let got = sources(&tree, "link/a.txt").unwrap();
        assert_eq!(got[0].rel, "link/a.txt");
        assert!(!got[0].is_dir);
        assert_eq!(
            source_path(&tree, &got[0]).unwrap(),
            s.ctx.join("real/a.txt")
        );
        let got = sources(&tree, "link/sib/*.txt").unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].rel, "link/sib/b.txt");
        assert_eq!(
            source_path(&tree, &got[0]).unwrap(),
            s.ctx.join("real/deep/b.txt")
        );
        let got = sources(&tree, "link").unwrap();
        assert!(got[0].is_dir);
        assert_eq!(source_path(&tree, &got[0]).unwrap(), s.ctx.join("real"));
        let got = sources(&tree, "l*").unwrap();
        assert_eq!((got[0].rel.as_str(), got[0].is_dir), ("link", true));
    });
}

#[test]
fn dockerignore_hides_links_and_their_targets() {
    both(|| {
        let s = setup();
        symlink("real/a.txt", s.ctx.join("to_a")).unwrap();
        symlink("real", s.ctx.join("to_real")).unwrap();
        symlink("real/a.txt", s.ctx.join("hidden_link")).unwrap();
        fs::write(s.ctx.join("real/deep/keep.txt"), "k").unwrap();
        let ig = DockerIgnore::parse("real/a.txt\nhidden_link\nreal/deep\n!real/deep/keep.txt\n")
            .unwrap();
        let tree = context(&s.ctx, Some(&ig));
        for p in [
            "real/a.txt",
            "to_a",
            "hidden_link",
            "to_real/a.txt",
            "real/deep/b.txt",
        ] {
            let e = sources(&tree, p).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("file not found in build context or excluded by .dockerignore: {p}")
            );
        }
        // Re-included below an excluded directory, directly and through a link.
        for p in [
            "real/deep/keep.txt",
            "to_real/deep/keep.txt",
            "to_real/deep/k*",
        ] {
            let got = sources(&tree, p).unwrap();
            assert_eq!(
                source_path(&tree, &got[0]).unwrap(),
                s.ctx.join("real/deep/keep.txt"),
                "{p}"
            );
        }
        let got = sources(&tree, "real/deep").unwrap();
        assert!(got[0].is_dir);
        let got = sources(&tree, "*").unwrap();
        let names: Vec<_> = got.iter().map(|s| s.rel.as_str()).collect();
        assert_eq!(names, ["real", "to_real"]);
    });
}
