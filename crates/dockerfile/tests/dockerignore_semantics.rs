//! The `.dockerignore` behaviours people trip over, checked against moby's semantics.

use berth_dockerfile::dockerignore::{select_ignore_file, DockerIgnore};

fn parse(text: &str) -> DockerIgnore {
    DockerIgnore::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

#[test]
fn exclude_all_then_reinclude_a_dir_then_exclude_inside_it() {
    let ig = parse("*\n!src\nsrc/secret\n");
    assert!(ig.matches("README.md"));
    assert!(ig.matches("node_modules/x/y.js"));
    assert!(!ig.matches("src"));
    assert!(!ig.matches("src/main.rs"));
    assert!(!ig.matches("src/deep/er/file"));
    assert!(ig.matches("src/secret"));
    assert!(ig.matches("src/secret/key.pem"));
    assert!(ig.can_skip_dir("node_modules"));
    assert!(!ig.can_skip_dir("src"));
    assert!(ig.can_skip_dir("src/secret"));
}

#[test]
fn later_patterns_win() {
    assert!(parse("!keep\n*\n").matches("keep"));
    assert!(!parse("*\n!keep\n").matches("keep"));
    assert!(!parse("*.md\n!README*.md\n").matches("README-secret.md"));
    assert!(parse("*.md\n!README*.md\nREADME-secret.md\n").matches("README-secret.md"));
}

#[test]
fn patterns_are_anchored_at_the_context_root() {
    let ig = parse("foo\n");
    assert!(ig.matches("foo"));
    assert!(ig.matches("foo/bar"));
    assert!(!ig.matches("a/foo"));
    let ig = parse("/foo\n./bar\n");
    assert!(ig.matches("foo/x"));
    assert!(ig.matches("bar"));
    let ig = parse("**/foo\n");
    assert!(ig.matches("a/b/foo"));
    assert!(ig.matches("foo"));
    assert!(ig.matches("a/foo/inner"));
    assert!(!ig.matches("a/xfoo"));
    // `*` stops at `/`, but a matching parent excludes the subtree.
    let ig = parse("*/temp*\n");
    assert!(ig.matches("somedir/temporary.txt"));
    assert!(ig.matches("somedir/temp/inner"));
    assert!(!ig.matches("a/b/temp"));
    assert!(!ig.matches("temp"));
}

#[test]
fn double_star_spans_directories() {
    let ig = parse("a/**/b\n");
    assert!(ig.matches("a/b"));
    assert!(ig.matches("a/x/y/b"));
    assert!(!ig.matches("a/xb"));
    assert!(parse("**/*.go\n").matches("go.go"));
    assert!(parse("**/*.go\n").matches("x/y/z.go"));
    // `**file` is a plain suffix match (moby's suffixMatch), so it also matches `myfile`.
    assert!(parse("**file\n").matches("dir/myfile"));
}

#[test]
fn bracket_classes_negate_with_caret_only() {
    let ig = parse("[!a]b\n");
    assert!(ig.matches("!b"));
    assert!(ig.matches("ab"));
    assert!(!ig.matches("cb"));
    let ig = parse("[^a]b\n");
    assert!(!ig.matches("ab"));
    assert!(ig.matches("cb"));
    assert!(!ig.matches("/b"), "cleaned to `b`");
}

#[test]
fn escapes() {
    let ig = parse("\\#file\n\\*star\nq\\?\n");
    assert!(ig.matches("#file"));
    assert!(ig.matches("*star"));
    assert!(!ig.matches("xstar"));
    assert!(ig.matches("q?"));
    assert!(!ig.matches("qx"));
}

#[test]
fn reading_rules() {
    let ig = parse("\u{FEFF}# comment\n  # not a comment  \r\nfoo   \r\n\n  \n!  bar  \n");
    let texts: Vec<&str> = ig.patterns().iter().map(|p| p.as_str()).collect();
    assert_eq!(texts, ["# not a comment", "foo", "bar"]);
    assert!(ig.patterns()[2].is_exclusion());
    assert!(ig.matches("# not a comment"));
    assert!(ig.matches("foo"));
    assert!(parse("a/../b/./c//\n").matches("b/c"));
    assert!(DockerIgnore::parse("!\n").is_err());
    assert!(DockerIgnore::parse("[\n").is_err());
    assert!(DockerIgnore::parse("a\\\n").is_err());
}

#[test]
fn paths_are_cleaned_and_the_root_is_never_excluded() {
    let ig = parse("*\n");
    assert!(!ig.matches("."));
    assert!(!ig.matches(""));
    assert!(!ig.matches("./"));
    assert!(ig.matches("./x"));
    assert!(ig.matches("/x"));
}

#[test]
fn skip_dir_logic() {
    assert!(parse("build\n").can_skip_dir("build"));
    assert!(!parse("build\n").can_skip_dir("src"));
    assert!(!parse("node_modules\n!node_modules/keep\n").can_skip_dir("node_modules"));
    assert!(parse("node_modules\n!other\n").can_skip_dir("node_modules"));
    // An exception naming a parent of the dir forbids skipping only if it re-includes it.
    assert!(!parse("a\n!a/b/c\n").can_skip_dir("a/b"));
    assert!(parse("a\n!a/bc\n").can_skip_dir("a/b"));
    // Any wildcard in an exception could match below any dir.
    assert!(!parse("node_modules\n!**/keep.txt\n").can_skip_dir("node_modules"));
    assert!(!parse("node_modules\n!x\\.y\n").can_skip_dir("node_modules"));
}

#[test]
fn dockerfile_specific_ignore_file_wins() {
    let files = [
        ("build/Dockerfile.dockerignore", "specific"),
        (".dockerignore", "root"),
    ];
    let read = |name: &str| {
        files
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.to_string())
    };
    assert_eq!(
        select_ignore_file("build/Dockerfile", read),
        Some(("build/Dockerfile.dockerignore".into(), "specific".into()))
    );
    assert_eq!(
        select_ignore_file("Dockerfile", read),
        Some((".dockerignore".into(), "root".into()))
    );
    assert_eq!(select_ignore_file("Dockerfile", |_| None), None);
}

#[test]
fn hostile_patterns_do_not_crash() {
    let pattern = format!("{}x", "**/".repeat(50_000));
    let ig = parse(&pattern);
    assert!(ig.matches("a/b/x"));
    let stars = format!("{}y", "*".repeat(3));
    assert!(parse(&stars).matches("aaay"));
}

/// Issue 13's cases, each as docker's legacy builder showed it (a real dockerd, `COPY . /out`).
#[test]
fn excluded_dir_with_a_reincluded_file_is_walked() {
    let ig = parse("junk\n!junk/keep.txt\n");
    assert!(ig.matches("junk"), "the dir itself stays excluded");
    assert!(ig.matches("junk/drop.txt"));
    assert!(ig.matches("junk/sub/x.txt"));
    assert!(!ig.matches("junk/keep.txt"));
    assert!(ig.may_reinclude_below("junk"));
    assert!(!ig.can_skip_dir("junk"), "keep.txt may be below it");
    assert!(!ig.may_reinclude_below("junk/sub"));
    assert!(
        ig.can_skip_dir("junk/sub"),
        "nothing below junk/sub comes back"
    );
    assert!(!ig.may_reinclude_below("other"));
    // A dir that is not excluded is never skipped, whatever the exceptions.
    assert!(!ig.can_skip_dir("other"));
}

#[test]
fn exception_by_base_name_only_at_the_root() {
    let ig = parse("**/*.log\n!important.log\n");
    assert!(!ig.matches("important.log"));
    assert!(ig.matches("sub/important.log"), "the exception is anchored");
    assert!(ig.matches("a.log"));
    assert!(ig.matches("sub/deep/c.log"));
    assert!(!ig.matches("sub"));
    assert!(!ig.matches("keep.txt"));
}

#[test]
fn dir_children_excluded_but_one_subdir_reincluded() {
    let ig = parse("dir/*\n!dir/sub/\n");
    assert!(!ig.matches("dir"));
    assert!(ig.matches("dir/f.txt"));
    assert!(ig.matches("dir/other"));
    assert!(ig.matches("dir/other/c.txt"));
    assert!(
        !ig.matches("dir/sub"),
        "`!dir/sub/` is cleaned to `dir/sub`"
    );
    assert!(!ig.matches("dir/sub/a.txt"));
    assert!(!ig.matches("dir/sub/in/b.txt"));
    assert!(ig.can_skip_dir("dir/other"));
    assert!(!ig.can_skip_dir("dir/sub"));
}
