//! BuildKit's `envVarTest` and `wordsTest`, driven the way `lex_test.go` drives them (Linux run).

use berth_dockerfile::expand::{EnvList, Lexer};
use std::path::PathBuf;

fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conformance/dockerfile-shell"
    ));
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "conformance data missing at {} (CI is set)",
        dir.display()
    );
    eprintln!("note: {} missing; skipping conformance test", dir.display());
    None
}

/// `bufio.Scanner` line splitting: split on `\n`, drop one trailing `\r`.
fn lines(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    if text.ends_with('\n') {
        out.pop();
    }
    out
}

#[test]
fn env_var_test() {
    let Some(dir) = data_dir() else { return };
    let text = std::fs::read_to_string(dir.join("envVarTest")).expect("read envVarTest");
    let env = EnvList::from_entries(["PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="]);
    let lex = Lexer::new('\\');
    let (mut pass, mut skipped, mut failures) = (0, 0, Vec::new());
    for line in lines(&text) {
        if line.starts_with('#') {
            continue;
        }
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        assert_eq!(fields.len(), 3, "bad line {line:?}");
        let (tag, input, expected) = (fields[0], fields[1], fields[2]);
        match tag {
            "A" | "U" => {}
            "W" => {
                skipped += 1;
                continue;
            }
            other => panic!("bad tag {other:?} in {line:?}"),
        }
        let got = lex.process_word(input, &env);
        let ok = match (&got, expected) {
            (Err(_), "error") => true,
            (Ok(s), e) => e != "error" && s == e,
            _ => false,
        };
        if ok {
            pass += 1;
        } else {
            failures.push(format!("{input:?}: want {expected:?}, got {got:?}"));
        }
    }
    println!(
        "envVarTest: {pass} passed, {} failed, {skipped} skipped (W)",
        failures.len()
    );
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    assert_eq!(pass, 228);
}

#[test]
fn words_test() {
    let Some(dir) = data_dir() else { return };
    let text = std::fs::read_to_string(dir.join("wordsTest")).expect("read wordsTest");
    let mut env = EnvList::default();
    let lex = Lexer::new('\\');
    let (mut pass, mut failures) = (0, Vec::new());
    for line in lines(&text) {
        if line.starts_with('#') {
            continue;
        }
        if let Some(def) = line.strip_prefix("ENV ") {
            let def = def.trim_start_matches(' ');
            let (k, v) = def.split_once('=').unwrap_or((def, ""));
            env.set(k, v);
            continue;
        }
        let parts: Vec<&str> = line.split('|').collect();
        assert_eq!(parts.len(), 2, "bad line {line:?}");
        let input = parts[0].trim();
        let expected: Vec<&str> = parts[1].trim_start_matches(' ').split(',').collect();
        let got = lex
            .process_words(input, &env)
            .unwrap_or_else(|_| vec!["error".to_string()]);
        if got == expected {
            pass += 1;
        } else {
            failures.push(format!("{input:?}: want {expected:?}, got {got:?}"));
        }
    }
    println!("wordsTest: {pass} passed, {} failed", failures.len());
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    assert_eq!(pass, 24);
}
