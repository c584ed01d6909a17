//! Inputs the fuzz targets (tests/fuzz_dockerfile.rs) found to panic, kept as regressions.

use berth_dockerfile::dockerignore::DockerIgnore;

/// `[:]` inside a class is not the start of a POSIX class name: the search for the closing
/// `:]` used to find the opening `:` itself and slice backwards.
#[test]
fn dockerignore_class_colon_bracket_does_not_panic() {
    for pattern in ["![[:]lpha:a] ", "[[:]", "[[:]]", "a[[:]:]"] {
        let _ = DockerIgnore::parse(pattern);
    }
    let ignore = DockerIgnore::parse("[[:]x").expect("a class of `[` and `:`, then x");
    assert!(ignore.matches(":x"));
    assert!(ignore.matches("[x"));
    let alpha = DockerIgnore::parse("[[:alpha:]]").expect("a POSIX class");
    assert!(alpha.matches("q"));
    assert!(!alpha.matches("1"));
}
