//! BuildKit's parser corpus: every positive case must dump byte for byte like its `result`,
//! every negative case must fail, and the line-number fixture must give BuildKit's spans.

use berth_dockerfile::parser::{dump, parse};
use std::path::{Path, PathBuf};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/conformance/dockerfile-parser"
);

/// The corpus folder, or `None` (with a note) when it is missing outside CI.
fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(CORPUS);
    if p.is_dir() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "corpus folder {CORPUS} missing under CI"
    );
    eprintln!("note: {CORPUS} not found, skipping corpus test");
    None
}

/// Case folders (skipping `_extra`), sorted.
fn cases(root: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("read corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && p.join("Dockerfile").is_file())
        .filter(|p| p.file_name().is_some_and(|n| n != "_extra"))
        .collect();
    v.sort();
    v
}

#[test]
fn positive_cases_dump_exactly() {
    let Some(root) = corpus() else { return };
    let mut passed = 0;
    let mut failures = Vec::new();
    for case in cases(&root)
        .into_iter()
        .filter(|c| c.join("result").is_file())
    {
        let src = std::fs::read(case.join("Dockerfile")).expect("read Dockerfile");
        let want = std::fs::read_to_string(case.join("result")).expect("read result");
        match parse(&src) {
            Ok(df) if dump(&df) == want => passed += 1,
            Ok(df) => failures.push(format!(
                "{}:\n--- want\n{want}--- got\n{}",
                case.display(),
                dump(&df)
            )),
            Err(e) => failures.push(format!("{}: unexpected error {e}", case.display())),
        }
    }
    eprintln!("positive corpus cases passed: {passed}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(passed, 33);
}

#[test]
fn negative_cases_fail() {
    let Some(root) = corpus() else { return };
    let mut failed = 0;
    for case in cases(&root)
        .into_iter()
        .filter(|c| !c.join("result").exists())
    {
        let src = std::fs::read(case.join("Dockerfile")).expect("read Dockerfile");
        match parse(&src) {
            Ok(df) => panic!("{} parsed but must fail:\n{}", case.display(), dump(&df)),
            Err(e) => {
                eprintln!("{}: {e}", case.display());
                failed += 1;
            }
        }
    }
    assert_eq!(failed, 4);
}

#[test]
fn line_numbers_fixture() {
    let Some(root) = corpus() else { return };
    let src = std::fs::read(root.join("_extra/testfile-line/Dockerfile")).expect("read fixture");
    let df = parse(&src).expect("fixture parses");
    let spans: Vec<(usize, usize)> = df
        .instructions
        .iter()
        .map(|i| (i.start_line, i.end_line))
        .collect();
    assert_eq!(spans, vec![(5, 5), (11, 12), (17, 31)]);
    assert_eq!(df.directives.escape, '\\');
    assert_eq!(df.directives.get("escape"), Some("\\"));
}
