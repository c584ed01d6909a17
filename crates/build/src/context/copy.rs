//! COPY/ADD into an image root with Docker's destination rules.

use std::collections::HashMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use super::error::{io_err, ContextError};
use super::extract;
use super::resolve::{resolve, Confine};
use super::walk::{excludes_matcher, walk, Entry, Kind};
use super::write::{
    clear, default_owner, ensure_dir, join, set_dir_meta, set_mtime, write_file, write_symlink,
    Meta,
};
use super::{Source, SourceTree};

/// How COPY/ADD copies: the instruction's flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyOptions {
    /// `--chown` as uid:gid (see [`super::parse_chown`]); `None` means 0:0.
    pub chown: Option<(u32, u32)>,
    /// `--chmod` bits (see [`super::parse_chmod`]), applied to every copied file and directory.
    pub chmod: Option<u32>,
    /// `--parents`: keep each source's path relative to the tree root under the destination.
    pub parents: bool,
    /// `--exclude` patterns (`.dockerignore` syntax), relative to each source.
    pub excludes: Vec<String>,
    /// ADD: extract local tar archives (plain or gzip) instead of copying them.
    pub extract_archives: bool,
}

/// Copies sources into the root filesystem `dest_root` (a mounted overlay of the image;
/// writes land in its upper dir) at `dest` (already expanded; relative dests are relative to
/// `workdir`, an absolute path in the image). Paths in `dest_root` are resolved as if it
/// were `/`, so nothing is ever written outside it.
pub fn copy(
    tree: &SourceTree,
    sources: &[Source],
    dest_root: &Path,
    dest: &str,
    workdir: &str,
    opts: &CopyOptions,
) -> Result<(), ContextError> {
    let ex = excludes_matcher(&opts.excludes)?;
    let owner = default_owner(opts.chown);
    let abs = if dest.starts_with('/') {
        dest.to_string()
    } else {
        format!("{}/{dest}", workdir.trim_end_matches('/'))
    };
    let dest_clean = lexical_clean(&abs);
    let dir_dest = dest.ends_with('/')
        || dest.ends_with("/.")
        || dest == "."
        || dest.is_empty()
        || sources.len() > 1;
    let display = if dest_clean.is_empty() {
        "/".to_string()
    } else {
        format!("/{dest_clean}")
    };
    let ctx = Ctx {
        dest_root,
        owner,
        chmod: opts.chmod,
        display: &display,
    };
    for source in sources {
        let real = tree.real_rel(source)?;
        let kept = if opts.parents && source.rel != "." {
            lexical_clean(&source.rel)
        } else {
            String::new()
        };
        if source.is_dir {
            let target = join(&dest_clean, &kept);
            let (dir_real, created) = ensure_dir(dest_root, &target, owner, &display)?;
            let entries = walk(tree, &real, ex.as_ref())?;
            copy_entries(&ctx, &entries, &dir_real, created)?;
            continue;
        }
        let src_path = tree.root.join(&real);
        if opts.extract_archives {
            if let Some(kind) = extract::detect(&src_path)? {
                let (dir_real, _) = ensure_dir(dest_root, &dest_clean, owner, &display)?;
                extract::extract(
                    &src_path,
                    kind,
                    dest_root,
                    &dir_real,
                    opts.chown,
                    &source.rel,
                )?;
                continue;
            }
        }
        let base = source
            .rel
            .rsplit('/')
            .next()
            .unwrap_or(&source.rel)
            .to_string();
        let (parent, name) = if opts.parents {
            split(&join(&dest_clean, &kept))
        } else if dir_dest || is_existing_dir(dest_root, &dest_clean, &display)? {
            (dest_clean.clone(), base)
        } else {
            split(&dest_clean)
        };
        if name.is_empty() {
            return Err(ContextError::Destination {
                dest: display.clone(),
                reason: "cannot copy a file to the root directory".into(),
            });
        }
        let (parent_real, _) = ensure_dir(dest_root, &parent, owner, &display)?;
        let entries = walk(tree, &real, None)?;
        if let Some(entry) = entries.first() {
            write_entry(&ctx, entry, &dest_root.join(&parent_real).join(&name))?;
        }
    }
    Ok(())
}

/// The destination-side settings of one copy.
struct Ctx<'a> {
    dest_root: &'a Path,
    owner: Option<(u32, u32)>,
    chmod: Option<u32>,
    display: &'a str,
}

impl Ctx<'_> {
    fn meta(&self, entry: &Entry) -> Meta {
        Meta {
            mode: self.chmod.unwrap_or(entry.md.permissions().mode() & 0o7777),
            owner: self.owner,
            mtime: Some((entry.md.mtime(), entry.md.mtime_nsec())),
        }
    }
}

/// Copies a directory's entries (the first being the directory itself) into `dir_real`.
fn copy_entries(
    ctx: &Ctx,
    entries: &[Entry],
    dir_real: &str,
    created: bool,
) -> Result<(), ContextError> {
    let mut dirs: HashMap<&str, String> = HashMap::new();
    let mut created_dirs: Vec<(String, Meta)> = Vec::new();
    for entry in entries {
        if entry.sub.is_empty() {
            dirs.insert("", dir_real.to_string());
            if created {
                let meta = ctx.meta(entry);
                set_dir_meta(&ctx.dest_root.join(dir_real), &meta)?;
                created_dirs.push((dir_real.to_string(), meta));
            }
            continue;
        }
        let (parent_sub, name) = match entry.sub.rsplit_once('/') {
            Some((p, n)) => (p, n),
            None => ("", entry.sub.as_str()),
        };
        let parent_real = dirs
            .get(parent_sub)
            .cloned()
            .unwrap_or_else(|| join(dir_real, parent_sub));
        if entry.kind == Kind::Dir {
            let (real, made) = ensure_dir(
                ctx.dest_root,
                &join(&parent_real, name),
                ctx.owner,
                ctx.display,
            )?;
            if made {
                let meta = ctx.meta(entry);
                set_dir_meta(&ctx.dest_root.join(&real), &meta)?;
                created_dirs.push((real.clone(), meta));
            }
            dirs.insert(entry.sub.as_str(), real);
        } else {
            write_entry(ctx, entry, &ctx.dest_root.join(&parent_real).join(name))?;
        }
    }
    // Directory times last, deepest first, so writing their contents does not change them.
    for (real, meta) in created_dirs.iter().rev() {
        set_mtime(&ctx.dest_root.join(real), meta.mtime)?;
    }
    Ok(())
}

/// Writes one file or symlink entry at `target` (whose parent is a real directory).
fn write_entry(ctx: &Ctx, entry: &Entry, target: &Path) -> Result<(), ContextError> {
    match &entry.kind {
        Kind::File => {
            let mut f = std::fs::File::open(&entry.path)
                .map_err(io_err(format!("reading {}", entry.path.display())))?;
            write_file(target, &mut f, &ctx.meta(entry))
        }
        Kind::Symlink(to) => write_symlink(target, to, &ctx.meta(entry)),
        Kind::Dir => {
            // A directory named as a file source (cannot happen via resolve_sources).
            clear(target)?;
            std::fs::create_dir(target)
                .map_err(io_err(format!("creating {}", target.display())))?;
            set_dir_meta(target, &ctx.meta(entry))
        }
    }
}

/// Whether `path` exists in the image (following symlinks, confined) and is a directory.
fn is_existing_dir(root: &Path, path: &str, display: &str) -> Result<bool, ContextError> {
    let confine = Confine {
        strict: false,
        ignore: None,
        display,
    };
    let r = resolve(root, path, true, confine)?;
    Ok(r.exists() && std::fs::symlink_metadata(root.join(r.real_rel())).is_ok_and(|m| m.is_dir()))
}

/// Splits `a/b/c` into (`a/b`, `c`).
fn split(path: &str) -> (String, String) {
    match path.rsplit_once('/') {
        Some((p, n)) => (p.to_string(), n.to_string()),
        None => (String::new(), path.to_string()),
    }
}

/// Cleans an image path lexically relative to `/` (`..` at the root stays at the root).
fn lexical_clean(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::resolve_sources;
    use berth_dockerfile::dockerignore::DockerIgnore;
    use std::fs;
    use std::os::unix::fs::symlink;

    fn ctx_tree() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let p = t.path();
        fs::create_dir_all(p.join("src/sub")).unwrap();
        fs::write(p.join("a.txt"), "a").unwrap();
        fs::write(p.join("b.txt"), "b").unwrap();
        fs::write(p.join("secret"), "s").unwrap();
        fs::write(p.join("src/x.rs"), "x").unwrap();
        fs::write(p.join("src/sub/y.rs"), "y").unwrap();
        fs::set_permissions(p.join("src/x.rs"), fs::Permissions::from_mode(0o751)).unwrap();
        symlink("../x.rs", p.join("src/sub/link")).unwrap();
        t
    }

    fn run(ctx: &Path, pats: &[&str], dest: &str, opts: &CopyOptions) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        run_into(ctx, pats, root.path(), dest, opts).unwrap();
        root
    }

    fn run_into(
        ctx: &Path,
        pats: &[&str],
        root: &Path,
        dest: &str,
        opts: &CopyOptions,
    ) -> Result<(), ContextError> {
        let ig = DockerIgnore::parse("secret\n").unwrap();
        let tree = SourceTree {
            root: ctx,
            ignore: Some(&ig),
            context: true,
        };
        let pats: Vec<String> = pats.iter().map(|s| s.to_string()).collect();
        let sources = resolve_sources(&tree, &pats)?;
        copy(&tree, &sources, root, dest, "/work", opts)
    }

    #[test]
    fn dir_contents_not_dir_itself() {
        let c = ctx_tree();
        let r = run(c.path(), &["src"], "/app", &CopyOptions::default());
        let p = r.path();
        assert_eq!(fs::read_to_string(p.join("app/x.rs")).unwrap(), "x");
        assert_eq!(fs::read_to_string(p.join("app/sub/y.rs")).unwrap(), "y");
        let md = fs::metadata(p.join("app/x.rs")).unwrap();
        assert_eq!(md.mode() & 0o7777, 0o751);
        // Symlink inside a copied dir stays a symlink.
        let l = fs::symlink_metadata(p.join("app/sub/link")).unwrap();
        assert!(l.file_type().is_symlink());
        assert_eq!(
            fs::read_link(p.join("app/sub/link")).unwrap(),
            Path::new("../x.rs")
        );
        // Source mtimes are kept.
        let src = fs::metadata(c.path().join("src/sub/y.rs")).unwrap();
        let dst = fs::metadata(p.join("app/sub/y.rs")).unwrap();
        assert_eq!(src.mtime(), dst.mtime());
        let src = fs::metadata(c.path().join("src/sub")).unwrap();
        let dst = fs::metadata(p.join("app/sub")).unwrap();
        assert_eq!(src.mtime(), dst.mtime());
    }

    #[test]
    fn file_dest_rules() {
        let c = ctx_tree();
        // No trailing slash, not existing: the file is written at dest.
        let r = run(
            c.path(),
            &["a.txt"],
            "/opt/renamed",
            &CopyOptions::default(),
        );
        assert_eq!(
            fs::read_to_string(r.path().join("opt/renamed")).unwrap(),
            "a"
        );
        // Trailing slash: inside.
        let r = run(c.path(), &["a.txt"], "/opt/d/", &CopyOptions::default());
        assert_eq!(
            fs::read_to_string(r.path().join("opt/d/a.txt")).unwrap(),
            "a"
        );
        // Existing directory: inside.
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("etc")).unwrap();
        run_into(
            c.path(),
            &["a.txt"],
            root.path(),
            "/etc",
            &CopyOptions::default(),
        )
        .unwrap();
        assert!(root.path().join("etc/a.txt").is_file());
        // Relative dest is under workdir; "." is the workdir.
        run_into(
            c.path(),
            &["b.txt"],
            root.path(),
            ".",
            &CopyOptions::default(),
        )
        .unwrap();
        assert!(root.path().join("work/b.txt").is_file());
        // Overwrite.
        fs::write(c.path().join("b.txt"), "B").unwrap();
        run_into(
            c.path(),
            &["b.txt"],
            root.path(),
            ".",
            &CopyOptions::default(),
        )
        .unwrap();
        assert_eq!(
            fs::read_to_string(root.path().join("work/b.txt")).unwrap(),
            "B"
        );
    }

    #[test]
    fn several_sources_and_globs_make_dest_a_dir() {
        let c = ctx_tree();
        let r = run(
            c.path(),
            &["a.txt", "src/x.rs"],
            "/d",
            &CopyOptions::default(),
        );
        assert!(r.path().join("d/a.txt").is_file());
        assert!(r.path().join("d/x.rs").is_file());
        let r = run(c.path(), &["*.txt"], "/g", &CopyOptions::default());
        assert!(r.path().join("g/a.txt").is_file());
        assert!(r.path().join("g/b.txt").is_file());
    }

    #[test]
    fn ignored_files_are_not_copied() {
        let c = ctx_tree();
        let r = run(c.path(), &["."], "/all/", &CopyOptions::default());
        assert!(r.path().join("all/a.txt").is_file());
        assert!(!r.path().join("all/secret").exists());
        let root = tempfile::tempdir().unwrap();
        assert!(matches!(
            run_into(
                c.path(),
                &["secret"],
                root.path(),
                "/x",
                &CopyOptions::default()
            ),
            Err(ContextError::NotFound(_))
        ));
    }

    #[test]
    fn excludes_and_parents() {
        let c = ctx_tree();
        let opts = CopyOptions {
            excludes: vec!["sub".into()],
            ..Default::default()
        };
        let r = run(c.path(), &["src"], "/e", &opts);
        assert!(r.path().join("e/x.rs").is_file());
        assert!(!r.path().join("e/sub").exists());
        let opts = CopyOptions {
            parents: true,
            ..Default::default()
        };
        let r = run(c.path(), &["src/sub/y.rs", "src/sub"], "/p/", &opts);
        assert!(r.path().join("p/src/sub/y.rs").is_file());
        assert!(r.path().join("p/src/sub/link").symlink_metadata().is_ok());
    }

    #[test]
    fn dest_symlinks_are_rerooted() {
        let c = ctx_tree();
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("usr")).unwrap();
        fs::create_dir_all(root.path().join("opt")).unwrap();
        fs::create_dir_all(root.path().join("etc")).unwrap();
        symlink("/opt", root.path().join("usr/local")).unwrap();
        symlink(outside.path(), root.path().join("etc/evil")).unwrap();
        symlink(outside.path().join("f"), root.path().join("etc/evilfile")).unwrap();
        let o = CopyOptions::default();
        run_into(c.path(), &["a.txt"], root.path(), "/usr/local/bin/x", &o).unwrap();
        assert_eq!(
            fs::read_to_string(root.path().join("opt/bin/x")).unwrap(),
            "a"
        );
        run_into(c.path(), &["a.txt"], root.path(), "/etc/evil/", &o).unwrap();
        run_into(c.path(), &["src"], root.path(), "/etc/evil/deep", &o).unwrap();
        run_into(c.path(), &["b.txt"], root.path(), "/etc/evilfile", &o).unwrap();
        run_into(
            c.path(),
            &["b.txt"],
            root.path(),
            "../../../../etc/evil/z",
            &o,
        )
        .unwrap();
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
        let stripped = outside.path().strip_prefix("/").unwrap();
        assert!(root.path().join(stripped).join("a.txt").is_file());
        assert!(root.path().join(stripped).join("deep/sub/y.rs").is_file());
        assert!(root.path().join("etc/evilfile").is_file());
    }

    #[test]
    fn merges_through_image_dir_symlinks() {
        let c = tempfile::tempdir().unwrap();
        fs::create_dir_all(c.path().join("rootfs/lib")).unwrap();
        fs::write(c.path().join("rootfs/lib/libx.so"), "so").unwrap();
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("usr/lib")).unwrap();
        fs::write(root.path().join("usr/lib/old.so"), "old").unwrap();
        symlink("usr/lib", root.path().join("lib")).unwrap();
        run_into(
            c.path(),
            &["rootfs/"],
            root.path(),
            "/",
            &CopyOptions::default(),
        )
        .unwrap();
        assert!(root.path().join("usr/lib/libx.so").is_file());
        assert!(root.path().join("usr/lib/old.so").is_file());
        assert!(fs::symlink_metadata(root.path().join("lib"))
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn chown_and_chmod_apply_to_everything() {
        let c = ctx_tree();
        let opts = CopyOptions {
            chown: Some((1234, 4321)),
            chmod: Some(0o640),
            ..Default::default()
        };
        let root_user = rustix::process::geteuid().is_root();
        if !root_user {
            return;
        }
        let r = run(c.path(), &["src"], "/new/parent/app", &opts);
        for p in [
            "new",
            "new/parent",
            "new/parent/app",
            "new/parent/app/x.rs",
            "new/parent/app/sub",
        ] {
            let md = fs::symlink_metadata(r.path().join(p)).unwrap();
            assert_eq!((md.uid(), md.gid()), (1234, 4321), "{p}");
        }
        let f = fs::metadata(r.path().join("new/parent/app/x.rs")).unwrap();
        assert_eq!(f.mode() & 0o7777, 0o640);
        let d = fs::metadata(r.path().join("new/parent/app/sub")).unwrap();
        assert_eq!(d.mode() & 0o7777, 0o640);
        let l = fs::symlink_metadata(r.path().join("new/parent/app/sub/link")).unwrap();
        assert_eq!((l.uid(), l.gid()), (1234, 4321));
        // Without --chown, owner is root.
        let r = run(c.path(), &["a.txt"], "/a", &CopyOptions::default());
        let md = fs::metadata(r.path().join("a")).unwrap();
        assert_eq!((md.uid(), md.gid()), (0, 0));
    }

    #[test]
    fn other_stage_tree_without_ignore() {
        let stage = tempfile::tempdir().unwrap();
        fs::create_dir_all(stage.path().join("real")).unwrap();
        fs::write(stage.path().join("real/bin"), "elf").unwrap();
        symlink("/real", stage.path().join("lnk")).unwrap();
        let tree = SourceTree {
            root: stage.path(),
            ignore: None,
            context: false,
        };
        let sources = resolve_sources(&tree, &["/lnk/bin".to_string()]).unwrap();
        let root = tempfile::tempdir().unwrap();
        copy(
            &tree,
            &sources,
            root.path(),
            "/usr/bin/",
            "/",
            &CopyOptions::default(),
        )
        .unwrap();
        assert_eq!(
            fs::read_to_string(root.path().join("usr/bin/bin")).unwrap(),
            "elf"
        );
    }

    /// Everything below `dir`, sorted, directories with a trailing `/`.
    fn listing(dir: &Path) -> Vec<String> {
        fn walk(base: &Path, sub: &str, out: &mut Vec<String>) {
            for e in fs::read_dir(base.join(sub)).unwrap() {
                let e = e.unwrap();
                let rel = format!("{sub}{}", e.file_name().to_string_lossy());
                if e.file_type().unwrap().is_dir() {
                    out.push(format!("{rel}/"));
                    walk(base, &format!("{rel}/"), out);
                } else {
                    out.push(rel);
                }
            }
        }
        let mut out = Vec::new();
        walk(dir, "", &mut out);
        out.sort();
        out
    }

    /// A context holding `files` (each file's content is its path) with `ignore` as its
    /// .dockerignore; `COPY <pattern> /out/` into an empty root; what /out then holds.
    fn copied(files: &[&str], ignore: &str, pattern: &str) -> Result<Vec<String>, ContextError> {
        let c = tempfile::tempdir().unwrap();
        for f in files {
            let p = c.path().join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, f).unwrap();
        }
        let ig = DockerIgnore::parse(ignore).unwrap();
        let tree = SourceTree {
            root: c.path(),
            ignore: Some(&ig),
            context: true,
        };
        let sources = resolve_sources(&tree, &[pattern.to_string()])?;
        let root = tempfile::tempdir().unwrap();
        copy(
            &tree,
            &sources,
            root.path(),
            "/out/",
            "/",
            &CopyOptions::default(),
        )?;
        Ok(listing(&root.path().join("out")))
    }

    /// Issue 13's cases; the expected listings are what docker's legacy builder copied for
    /// the same context, .dockerignore and COPY (a real dockerd 20.10).
    #[test]
    fn reincluded_entries_below_excluded_dirs_as_docker_copies_them() {
        let junk = ["a.txt", "junk/keep.txt", "junk/drop.txt", "junk/sub/x.txt"];
        let ig = "junk\n!junk/keep.txt\n";
        for pattern in ["junk/", "junk", "./junk/", "jun*", "jun*/"] {
            assert_eq!(
                copied(&junk, ig, pattern).unwrap(),
                ["keep.txt"],
                "{pattern}"
            );
        }
        assert_eq!(
            copied(&junk, ig, ".").unwrap(),
            ["a.txt", "junk/", "junk/keep.txt"]
        );
        for pattern in ["junk/drop.txt", "junk/sub", "junk/sub/x.txt", "junk/*.md"] {
            assert!(
                matches!(copied(&junk, ig, pattern), Err(ContextError::NotFound(_))),
                "{pattern}"
            );
        }
        assert_eq!(copied(&junk, ig, "junk/keep.txt").unwrap(), ["keep.txt"]);
        // Re-included deeper: the dirs on the way are there as its parents.
        let ig = "junk\n!junk/sub/x.txt\n";
        assert_eq!(copied(&junk, ig, "junk").unwrap(), ["sub/", "sub/x.txt"]);
        // An exception that re-includes nothing that exists: the dir is not there at all.
        let ig = "junk\n!junk/missing\n";
        assert!(matches!(
            copied(&junk, ig, "junk"),
            Err(ContextError::NotFound(_))
        ));
        assert_eq!(copied(&junk, ig, ".").unwrap(), ["a.txt"]);
        // A wildcard exception is looked for below every excluded dir (as BuildKit does).
        let ig = "junk\n!**/keep.txt\n";
        assert_eq!(copied(&junk, ig, "junk/").unwrap(), ["keep.txt"]);

        let logs = [
            "a.log",
            "important.log",
            "sub/important.log",
            "sub/b.log",
            "sub/deep/c.log",
            "keep.txt",
            "sub/x.txt",
        ];
        let ig = "**/*.log\n!important.log\n";
        assert_eq!(
            copied(&logs, ig, ".").unwrap(),
            [
                "important.log",
                "keep.txt",
                "sub/",
                "sub/deep/",
                "sub/x.txt"
            ]
        );
        assert_eq!(copied(&logs, ig, "sub").unwrap(), ["deep/", "x.txt"]);
        assert_eq!(copied(&logs, ig, "*.log").unwrap(), ["important.log"]);
        assert!(matches!(
            copied(&logs, ig, "sub/important.log"),
            Err(ContextError::NotFound(_))
        ));

        let dirs = [
            "dir/f.txt",
            "dir/sub/a.txt",
            "dir/sub/in/b.txt",
            "dir/other/c.txt",
            "top.txt",
        ];
        let ig = "dir/*\n!dir/sub/\n";
        assert_eq!(
            copied(&dirs, ig, ".").unwrap(),
            [
                "dir/",
                "dir/sub/",
                "dir/sub/a.txt",
                "dir/sub/in/",
                "dir/sub/in/b.txt",
                "top.txt"
            ]
        );
        assert_eq!(
            copied(&dirs, ig, "dir").unwrap(),
            ["sub/", "sub/a.txt", "sub/in/", "sub/in/b.txt"]
        );
        for pattern in ["dir/sub", "dir/*"] {
            assert_eq!(
                copied(&dirs, ig, pattern).unwrap(),
                ["a.txt", "in/", "in/b.txt"],
                "{pattern}"
            );
        }
        assert!(matches!(
            copied(&dirs, ig, "dir/other"),
            Err(ContextError::NotFound(_))
        ));
    }
}
