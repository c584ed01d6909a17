//! Pattern operators and error messages: the inline cases of BuildKit's `lex_test.go`
//! (transcribed as JSON lines in the conformance README) plus hand-written checks.

use berth_dockerfile::expand::{EnvList, Lexer};
use std::collections::BTreeMap;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn readme_inline_cases() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conformance/dockerfile-shell/README.md"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{path} missing (CI is set)"
        );
        eprintln!("note: {path} missing; skipping");
        return;
    };
    let block = text
        .split("```jsonl\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("jsonl block");
    let lex = Lexer::default();
    let (mut pass, mut failures) = (0, Vec::new());
    for line in block.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).expect("json line");
        let input = case["input"].as_str().expect("input");
        let vars: BTreeMap<String, String> =
            serde_json::from_value(case["env"].clone()).expect("env");
        let got = lex.process_word(input, &vars);
        let ok = match (&got, case["expect"].as_str()) {
            (Err(_), None) => true,
            (Ok(s), Some(e)) => s == e,
            _ => false,
        };
        if ok {
            pass += 1;
        } else {
            failures.push(format!("{input:?}: want {:?}, got {got:?}", case["expect"]));
        }
    }
    println!(
        "README inline cases: {pass} passed, {} failed",
        failures.len()
    );
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    assert_eq!(pass, 48);
}

fn err(word: &str, vars: &[(&str, &str)]) -> String {
    match Lexer::default().process_word(word, &env(vars)) {
        Ok(v) => panic!("{word:?} expanded to {v:?}, expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn error_messages_match_buildkit() {
    assert_eq!(
        err("${}", &[]),
        r#"failed to process "${}": syntax error: bad substitution"#
    );
    assert_eq!(
        err("a${", &[]),
        r#"failed to process "a${": syntax error: missing '}'"#
    );
    assert_eq!(
        err("${a:-b", &[]),
        r#"failed to process "${a:-b": syntax error: missing '}'"#
    );
    assert_eq!(
        err("${X:?}", &[]),
        r#"failed to process "${X:?}": X: is not allowed to be unset"#
    );
    assert_eq!(
        err("${X:?}", &[("X", "")]),
        r#"failed to process "${X:?}": X: is not allowed to be empty"#
    );
    assert_eq!(
        err("${X?oops $Y}", &[("Y", "y")]),
        r#"failed to process "${X?oops $Y}": X: oops y"#
    );
    assert_eq!(
        err("${X=a}", &[]),
        r#"failed to process "${X=a}": unsupported modifier (=) in substitution"#
    );
    assert_eq!(
        err("${X:=a}", &[]),
        r#"failed to process "${X:=a}": unsupported modifier (:=) in substitution"#
    );
    assert_eq!(
        err("${X:#a}", &[]),
        r#"failed to process "${X:#a}": unsupported modifier (:#) in substitution"#
    );
    assert_eq!(
        err("${#X}", &[]),
        r#"failed to process "${#X}": unsupported modifier (X) in substitution"#
    );
    assert_eq!(
        err("${X//a}", &[]),
        r#"failed to process "${X//a}": syntax error: missing '/' in ${}"#
    );
    assert_eq!(
        err("'abc", &[]),
        r#"failed to process "'abc": unexpected end of statement while looking for matching single-quote"#
    );
    assert_eq!(
        err("\"abc", &[]),
        r#"failed to process "\"abc": unexpected end of statement while looking for matching double-quote"#
    );
    assert_eq!(
        err("${X#a\\b}", &[("X", "ab")]),
        r#"failed to process "${X#a\\b}": invalid pattern (a\b) in substitution: invalid escape '\b'"#
    );
    assert_eq!(
        err("${X%$P}", &[("X", "ab"), ("P", "\\")]),
        "failed to process \"${X%$P}\": invalid pattern (\\) in substitution: invalid escape '\\\u{FFFD}'"
    );
}

#[test]
fn matches_and_unmatched_are_reported() {
    let vars = env(&[("A", "1"), ("B", "")]);
    let e = Lexer::default()
        .process_word_with_matches("$A ${B:-x} ${C:+y} '$D' \"$E\"", &vars)
        .expect("expand");
    assert_eq!(e.result, "1 x  $D ");
    assert_eq!(e.matched.into_iter().collect::<Vec<_>>(), ["A", "B"]);
    assert_eq!(e.unmatched.into_iter().collect::<Vec<_>>(), ["C", "E"]);
}

#[test]
fn names_are_case_sensitive() {
    let vars = env(&[("PWD", "/home")]);
    assert_eq!(
        Lexer::default()
            .process_word("$pwd$PWD", &vars)
            .ok()
            .as_deref(),
        Some("/home")
    );
}

#[test]
fn backtick_escape_token() {
    let lex = Lexer::new('`');
    let vars = env(&[("X", "x")]);
    assert_eq!(
        lex.process_word("a`$X\\b", &vars).ok().as_deref(),
        Some("a$X\\b")
    );
    assert_eq!(
        lex.process_word("\"`\"`$X\"", &vars).ok().as_deref(),
        Some("\"$X")
    );
    assert_eq!(
        lex.process_word("c:\\dir\\$X", &vars).ok().as_deref(),
        Some("c:\\dir\\x")
    );
}

#[test]
fn replace_all_follows_go_regexp() {
    let lex = Lexer::default();
    let vars = env(&[("V", "abc"), ("R", "<$0>"), ("E", "")]);
    // Empty pattern: every empty match is replaced, once per position.
    assert_eq!(
        lex.process_word("${V//$E/-}", &vars).ok().as_deref(),
        Some("-a-b-c-")
    );
    // `$0` in a replace-all template is the whole match, as in Go's ReplaceAllString.
    assert_eq!(
        lex.process_word("${V//b/$R}", &vars).ok().as_deref(),
        Some("a<b>c")
    );
    // Single replacement inserts the text literally.
    assert_eq!(
        lex.process_word("${V/b/$R}", &vars).ok().as_deref(),
        Some("a<$0>c")
    );
    assert_eq!(
        lex.process_word("${V%%b*}${V#*b}", &vars).ok().as_deref(),
        Some("ac")
    );
    // A star that can match empty: Go skips the empty match right after a non-empty one.
    assert_eq!(
        lex.process_word("${V//b*/-}", &vars).ok().as_deref(),
        Some("a-")
    );
    assert_eq!(
        lex.process_word("${V//?/-}", &vars).ok().as_deref(),
        Some("---")
    );
}

#[test]
fn process_words_quirk_of_nested_operators() {
    let vars = env(&[("S", "a b")]);
    let lex = Lexer::default();
    assert_eq!(
        lex.process_words("abc${X:-def}ghi", &vars).ok(),
        Some(vec!["defghi".to_string()])
    );
    assert_eq!(
        lex.process_words("x$S y", &vars).ok(),
        Some(vec!["xa".into(), "b".into(), "y".into()])
    );
    assert_eq!(
        lex.process_word("abc${X:-def}ghi", &vars).ok().as_deref(),
        Some("abcdefghi")
    );
}

#[test]
fn options() {
    let vars = EnvList::from_entries(["A=1"]);
    let lex = Lexer {
        skip_unset_env: true,
        raw_quotes: true,
        ..Lexer::default()
    };
    assert_eq!(
        lex.process_word("'$A' \"$A\" $B ${B} ${B:-x} ${B/a/b}", &vars)
            .ok()
            .as_deref(),
        Some("'$A' \"1\" $B ${B} ${B:-x} ${B/a/b}")
    );
    let heredoc = Lexer {
        skip_process_quotes: true,
        ..Lexer::default()
    };
    assert_eq!(
        heredoc
            .process_word("'$A' \\$A \\\\ \\q", &vars)
            .ok()
            .as_deref(),
        Some("'1' $A \\ q")
    );
    let raw = Lexer {
        raw_escapes: true,
        ..Lexer::default()
    };
    assert_eq!(
        raw.process_word("a\\$A \"\\$A\"", &vars).ok().as_deref(),
        Some("a\\$A \\$A")
    );
}

#[test]
fn hostile_input_does_not_crash() {
    let vars = env(&[("X", &"ab".repeat(2000))]);
    let lex = Lexer::default();
    let long = format!("${{X#{}b}}", "*a".repeat(500));
    assert_eq!(
        lex.process_word(&long, &vars).ok().as_deref(),
        Some(&*"ab".repeat(1500))
    );
    let deep = format!("{}x{}", "${A:-".repeat(10_000), "}".repeat(10_000));
    assert!(lex.process_word(&deep, &vars).is_err());
    let ok = format!("{}x{}", "${A:-".repeat(50), "}".repeat(50));
    assert_eq!(lex.process_word(&ok, &vars).ok().as_deref(), Some("x"));
}
