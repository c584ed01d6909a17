//! Line handling: continuations, comments, directives, BOM/CRLF, spans, warnings and errors.

use berth_dockerfile::parser::{dump, parse};

fn dumped(src: &str) -> String {
    dump(&parse(src.as_bytes()).unwrap_or_else(|e| panic!("parse failed: {e}")))
}

#[test]
fn continuation_keeps_indent_and_skips_comments_and_blanks() {
    assert_eq!(
        dumped("RUN echo hello \\\n# comment\n\n  # indented comment\nworld\n"),
        "(run \"echo hello world\")\n"
    );
    assert_eq!(dumped("RUN a\\\n  b\\  \n\tc"), "(run \"a  b\\tc\")\n");
    assert_eq!(
        dumped("ENV C trailing\\\\\nRUN x\n"),
        "(env \"C\" \"trailing\\\\\\\\\" \"\")\n(run \"x\")\n"
    );
    assert_eq!(dumped("RUN something \\"), "(run \"something\")\n");
    // A comment ending in the escape character does not continue.
    assert_eq!(dumped("# c \\\nRUN x\n"), "(run \"x\")\n");
}

#[test]
fn empty_continuation_lines_warn() {
    let df = parse(b"RUN a \\\n\n  b\n").expect("parses");
    assert_eq!(dump(&df), "(run \"a   b\")\n");
    assert_eq!(df.warnings.len(), 1);
    assert_eq!(df.warnings[0].rule, "NoEmptyContinuation");
    assert_eq!((df.warnings[0].start_line, df.warnings[0].end_line), (1, 3));
}

#[test]
fn directives() {
    let df = parse(b"# syntax=docker/dockerfile:1\n# check=skip=all\n# escape=`\nRUN a `\n  b\n")
        .expect("parses");
    assert_eq!(df.directives.syntax(), Some("docker/dockerfile:1"));
    assert_eq!(df.directives.check(), Some("skip=all"));
    assert_eq!(df.directives.escape, '`');
    assert_eq!(
        df.directives.all.iter().map(|d| d.line).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(dump(&df), "(run \"a   b\")\n");
    // After a blank line or an ordinary comment, directive-shaped lines are comments.
    for src in [
        "\n# escape=`\nRUN a `\n",
        "# hi\n# escape=`\nRUN a `\n",
        "# foo=bar\n# escape=`\nRUN a `\n",
    ] {
        let df = parse(src.as_bytes()).expect("parses");
        assert_eq!(df.directives.escape, '\\', "{src:?}");
        assert_eq!(dump(&df), "(run \"a `\")\n");
    }
    // Names are case-insensitive.
    assert_eq!(
        parse(b"# ESCAPE=`\nRUN x\n").expect("ok").directives.escape,
        '`'
    );
}

#[test]
fn directive_errors() {
    let err = parse(b"# escape=x\nRUN a\n").expect_err("bad escape");
    assert_eq!(err.line, 1);
    assert!(err.message.starts_with("invalid escape token 'x'"), "{err}");
    let err = parse(b"# syntax=a\n# syntax=b\nRUN a\n").expect_err("duplicate");
    assert_eq!(err.line, 2);
    assert_eq!(err.message, "only one syntax parser directive can be used");
    assert_eq!(
        err.to_string(),
        "Dockerfile:2:1: only one syntax parser directive can be used: # syntax=b"
    );
}

#[test]
fn bom_and_crlf() {
    assert_eq!(
        dumped("\u{feff}FROM a\r\nRUN b \\\r\n c\r\n"),
        "(from \"a\")\n(run \"b  c\")\n"
    );
    let df = parse(b"\xef\xbb\xbf# escape=`\r\nRUN a `\r\nb\r\n").expect("parses");
    assert_eq!(df.directives.escape, '`');
    assert_eq!(dump(&df), "(run \"a b\")\n");
}

#[test]
fn spans_and_columns() {
    let df = parse(b"# c\n\nFROM a\n   RUN b \\\n  c \\\n\n  d\nUSER x").expect("parses");
    let spans: Vec<(usize, usize, usize)> = df
        .instructions
        .iter()
        .map(|i| (i.start_line, i.end_line, i.column))
        .collect();
    assert_eq!(spans, vec![(3, 3, 1), (4, 7, 4), (8, 8, 1)]);
    assert_eq!(df.instructions[0].comments, vec!["c"]);
}

#[test]
fn no_instructions_is_an_error() {
    for src in ["", "\n\n", "# only\n# comments\n", "# syntax=x\n"] {
        let err = parse(src.as_bytes()).expect_err(src);
        assert_eq!(err.message, "file with no instructions");
    }
}

#[test]
fn long_lines() {
    let ok = format!("RUN {}\n", "a".repeat(65_535 - 4));
    assert!(parse(ok.as_bytes()).is_ok());
    let long = format!("RUN {}\n", "a".repeat(65_536));
    let err = parse(long.as_bytes()).expect_err("too long");
    assert_eq!(
        err.message,
        "dockerfile line greater than max allowed size of 65535"
    );
}

#[test]
fn error_display_format() {
    let err = parse(b"FROM a\n  ENV PATH\n").expect_err("env");
    assert_eq!(
        err.to_string(),
        "Dockerfile:2:3: ENV must have two arguments: ENV PATH"
    );
}
