//! moby/patternmatcher's test tables (`TestMatches` via `MatchesOrParentMatches`, the
//! `filepath.Match`-derived `matchTests`, the single-pattern cases) and its ignorefile reader test.

use berth_dockerfile::dockerignore::{read_patterns, DockerIgnore};

fn ignore(patterns: &[&str]) -> DockerIgnore {
    DockerIgnore::from_patterns(patterns).unwrap_or_else(|e| panic!("{patterns:?}: {e}"))
}

#[test]
fn test_matches_table_or_parent_matches() {
    // (pattern, text, matches-or-parent-matches). Texts of "/" are left out: berth cleans the
    // path first, and the cleaned context root is never excluded.
    let cases: &[(&str, &str, bool)] = &[
        ("**", "file", true),
        ("**", "file/", true),
        ("**/", "file", true),
        ("**/", "file/", true),
        ("**", "dir/file", true),
        ("**/", "dir/file", true),
        ("**", "dir/file/", true),
        ("**/", "dir/file/", true),
        ("**/**", "dir/file", true),
        ("**/**", "dir/file/", true),
        ("dir/**", "dir/file", true),
        ("dir/**", "dir/file/", true),
        ("dir/**", "dir/dir2/file", true),
        ("dir/**", "dir/dir2/file/", true),
        ("**/dir", "dir", true),
        ("**/dir", "dir/file", true),
        ("**/dir2/*", "dir/dir2/file", true),
        ("**/dir2/*", "dir/dir2/file/", true),
        ("**/dir2/**", "dir/dir2/dir3/file", true),
        ("**/dir2/**", "dir/dir2/dir3/file/", true),
        ("**file", "file", true),
        ("**file", "dir/file", true),
        ("**/file", "dir/file", true),
        ("**file", "dir/dir/file", true),
        ("**/file", "dir/dir/file", true),
        ("**/file*", "dir/dir/file", true),
        ("**/file*", "dir/dir/file.txt", true),
        ("**/file*txt", "dir/dir/file.txt", true),
        ("**/file*.txt", "dir/dir/file.txt", true),
        ("**/file*.txt*", "dir/dir/file.txt", true),
        ("**/**/*.txt", "dir/dir/file.txt", true),
        ("**/**/*.txt2", "dir/dir/file.txt", false),
        ("**/*.txt", "file.txt", true),
        ("**/**/*.txt", "file.txt", true),
        ("a**/*.txt", "a/file.txt", true),
        ("a**/*.txt", "a/dir/file.txt", true),
        ("a**/*.txt", "a/dir/dir/file.txt", true),
        ("a/*.txt", "a/dir/file.txt", false),
        ("a/*.txt", "a/file.txt", true),
        ("a/*.txt**", "a/file.txt", true),
        ("a[b-d]e", "ae", false),
        ("a[b-d]e", "ace", true),
        ("a[b-d]e", "aae", false),
        ("a[^b-d]e", "aze", true),
        (".*", ".foo", true),
        (".*", "foo", false),
        ("abc.def", "abcdef", false),
        ("abc.def", "abc.def", true),
        ("abc.def", "abcZdef", false),
        ("abc?def", "abcZdef", true),
        ("abc?def", "abcdef", false),
        ("**/foo/bar", "foo/bar", true),
        ("**/foo/bar", "dir/foo/bar", true),
        ("**/foo/bar", "dir/dir2/foo/bar", true),
        ("abc/**", "abc", false),
        ("abc/**", "abc/def", true),
        ("abc/**", "abc/def/ghi", true),
        ("**/.foo", ".foo", true),
        ("**/.foo", "bar.foo", false),
        ("a(b)c/def", "a(b)c/def", true),
        ("a(b)c/def", "a(b)c/xyz", false),
        ("a.|)$(}+{bc", "a.|)$(}+{bc", true),
        (
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            true,
        ),
        (
            "dist/*.whl",
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            true,
        ),
        ("a\\\\", "a\\", true),
        ("a\\*b", "a*b", true),
    ];
    let mut failures = Vec::new();
    for (pattern, text, want) in cases {
        if ignore(&[pattern]).matches(text) != *want {
            failures.push(format!("pattern={pattern:?} text={text:?} want {want}"));
        }
    }
    let multi: &[(&[&str], &str, bool)] = &[
        (&["**", "!util/docker/web"], "util/docker/web/foo", false),
        (
            &["**", "!util/docker/web", "util/docker/web/foo"],
            "util/docker/web/foo",
            true,
        ),
        (
            &[
                "**",
                "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            ],
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            false,
        ),
        (
            &["**", "!dist/*.whl"],
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            false,
        ),
    ];
    for (patterns, text, want) in multi {
        if ignore(patterns).matches(text) != *want {
            failures.push(format!("patterns={patterns:?} text={text:?} want {want}"));
        }
    }
    println!(
        "patternmatcher TestMatches: {} cases, {} failed",
        cases.len() + multi.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn test_match_table_from_filepath_match() {
    // (pattern, text, matches, pattern error)
    let cases: &[(&str, &str, bool, bool)] = &[
        ("abc", "abc", true, false),
        ("*", "abc", true, false),
        ("*c", "abc", true, false),
        ("a*", "a", true, false),
        ("a*", "abc", true, false),
        ("a*", "ab/c", true, false),
        ("a*/b", "abc/b", true, false),
        ("a*/b", "a/c/b", false, false),
        ("a*b*c*d*e*/f", "axbxcxdxe/f", true, false),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true, false),
        ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false, false),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false, false),
        ("a*b?c*x", "abxbbxdbxebxczzx", true, false),
        ("a*b?c*x", "abxbbxdbxebxczzy", false, false),
        ("ab[c]", "abc", true, false),
        ("ab[b-d]", "abc", true, false),
        ("ab[e-g]", "abc", false, false),
        ("ab[^c]", "abc", false, false),
        ("ab[^b-d]", "abc", false, false),
        ("ab[^e-g]", "abc", true, false),
        ("a\\*b", "a*b", true, false),
        ("a\\*b", "ab", false, false),
        ("a?b", "a☺b", true, false),
        ("a[^a]b", "a☺b", true, false),
        ("a???b", "a☺b", false, false),
        ("a[^a][^a][^a]b", "a☺b", false, false),
        ("[a-ζ]*", "α", true, false),
        ("*[a-ζ]", "A", false, false),
        ("a?b", "a/b", false, false),
        ("a*b", "a/b", false, false),
        ("[\\]a]", "]", true, false),
        ("[\\-]", "-", true, false),
        ("[x\\-]", "x", true, false),
        ("[x\\-]", "-", true, false),
        ("[x\\-]", "z", false, false),
        ("[\\-x]", "x", true, false),
        ("[\\-x]", "-", true, false),
        ("[\\-x]", "a", false, false),
        ("[]a]", "]", false, true),
        ("[-]", "-", false, true),
        ("[x-]", "x", false, true),
        ("[-x]", "x", false, true),
        ("\\", "a", false, true),
        ("[a-b-c]", "a", false, true),
        ("[", "a", false, true),
        ("[^", "a", false, true),
        ("[^bc", "a", false, true),
        ("a[", "a", false, true),
        ("*x", "xxx", true, false),
    ];
    let mut failures = Vec::new();
    for (pattern, text, want, want_err) in cases {
        match DockerIgnore::from_patterns([pattern]) {
            Err(_) if *want_err => {}
            Err(e) => failures.push(format!("{pattern:?}: unexpected error {e}")),
            Ok(_) if *want_err => failures.push(format!("{pattern:?}: expected a pattern error")),
            Ok(ig) => {
                if ig.matches(text) != *want {
                    failures.push(format!("pattern={pattern:?} text={text:?} want {want}"));
                }
            }
        }
    }
    println!(
        "patternmatcher matchTests: {} cases, {} failed",
        cases.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn single_pattern_rules() {
    assert!(ignore(&["*"]).matches("fileutils.go"));
    assert!(ignore(&["*.go"]).matches("fileutils.go"));
    assert!(ignore(&["!fileutils.go", "*.go"]).matches("fileutils.go"));
    assert!(!ignore(&["docs", "!docs/README.md"]).matches("docs/README.md"));
    assert!(!ignore(&["docs/", "!docs/README.md"]).matches("docs/README.md"));
    assert!(!ignore(&["docs/*", "!docs/README.md"]).matches("docs/README.md"));
    assert!(!ignore(&["*.go", "!fileutils.go"]).matches("fileutils.go"));
    assert!(!ignore(&["*.go"]).matches("."));
    assert!(!ignore(&[]).matches("/any/path/there"));
    assert!(DockerIgnore::from_patterns(["!"]).is_err());
    assert!(DockerIgnore::from_patterns(["["]).is_err());
    assert!(ignore(&["docs", "  !docs/README.md  "]).has_exceptions());
    assert_eq!(ignore(&["docs", "config", ""]).patterns().len(), 2);
    // Valid for filepath.Match, but `l-O` is a reversed range for Go's regexp.
    assert!(DockerIgnore::from_patterns(["[Local-Only]/"]).is_err());
}

#[test]
fn ignorefile_read_all() {
    let content =
        "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ";
    assert_eq!(
        read_patterns(content),
        [
            "test1",
            "test2",
            "a/file/here",
            "lastfile",
            "!inverted/abs/path",
            "!",
            "!"
        ]
    );
    assert!(DockerIgnore::parse(content).is_err(), "a lone ! is illegal");
}
