//! Heredocs: what BuildKit's `parser_heredoc_test.go` expects, plus spans and errors.

use berth_dockerfile::parser::{dump, parse, Dockerfile};

fn p(src: &str) -> Dockerfile {
    parse(src.as_bytes()).unwrap_or_else(|e| panic!("parse failed: {e}\n{src}"))
}

#[test]
fn single_heredoc_body_is_consumed() {
    let df = p("FROM alpine\nRUN <<EOF\necho hello\nFROM not-an-instruction\nEOF\nUSER x\n");
    assert_eq!(
        dump(&df),
        "(from \"alpine\")\n(run \"<<EOF\")\n(user \"x\")\n"
    );
    let run = &df.instructions[1];
    assert_eq!((run.start_line, run.end_line), (2, 5));
    assert_eq!(run.heredocs.len(), 1);
    let h = &run.heredocs[0];
    assert_eq!(h.name, "EOF");
    assert_eq!(h.content, "echo hello\nFROM not-an-instruction\n");
    assert!(h.expand && !h.chomp);
    assert_eq!(df.instructions[2].start_line, 6);
}

#[test]
fn multiple_heredocs_on_one_line() {
    let df = p("FROM a\nCOPY <<FILE1 <<FILE2 /dest\ncontent 1\nFILE1\ncontent 2\nFILE2\n");
    assert_eq!(
        dump(&df),
        "(from \"a\")\n(copy \"<<FILE1\" \"<<FILE2\" \"/dest\")\n"
    );
    let c = &df.instructions[1];
    let got: Vec<(&str, &str)> = c
        .heredocs
        .iter()
        .map(|h| (h.name.as_str(), h.content.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![("FILE1", "content 1\n"), ("FILE2", "content 2\n")]
    );
    assert_eq!(c.end_line, 6);
    // Bodies follow in order even when they mention each other's names.
    let df = p("FROM a\nCOPY <<X <<Y /dest\nY\nX\nX\nY\n");
    let got: Vec<&str> = df.instructions[1]
        .heredocs
        .iter()
        .map(|h| h.content.as_str())
        .collect();
    assert_eq!(got, vec!["Y\n", "X\n"]);
}

#[test]
fn chomp_strips_tabs_from_terminator_and_chomped_content() {
    let df = p("FROM a\nRUN <<-EOF\n\tbaz\n\tquux\n\tEOF\nUSER u\n");
    let h = &df.instructions[1].heredocs[0];
    assert!(h.chomp);
    assert_eq!(h.content, "\tbaz\n\tquux\n");
    assert_eq!(h.chomped_content(), "baz\nquux\n");
    assert_eq!(df.instructions.len(), 3);
    // Without `-`, a tab-indented terminator does not end the body.
    assert!(parse(b"FROM a\nRUN <<EOF\n\tEOF\n").is_err());
}

#[test]
fn quoted_delimiters_disable_expansion() {
    for (line, name, expand) in [
        ("RUN <<'EOF'", "EOF", false),
        ("RUN <<\"EOF\"", "EOF", false),
        ("RUN <<E\"O\"F", "EOF", false),
        ("RUN <<-'NOEXPAND'", "NOEXPAND", false),
        ("RUN <<eo\\'f", "eo'f", true),
        ("RUN <<'one two'", "one two", false),
        ("RUN 3<<EOF", "EOF", true),
        ("RUN <<  EOF  > foo", "EOF", true),
        ("RUN --mount=type=cache,target=/foo <<EOF", "EOF", true),
        ("ONBUILD RUN <<EOF", "EOF", true),
    ] {
        let src = format!("FROM a\n{line}\nbody $X\n{name}\n");
        let df = p(&src);
        let h = &df.instructions[1].heredocs;
        assert_eq!(h.len(), 1, "{line}");
        assert_eq!((h[0].name.as_str(), h[0].expand), (name, expand), "{line}");
        assert_eq!(h[0].content, "body $X\n", "{line}");
    }
    assert_eq!(
        p("FROM a\nRUN 3<<EOF\nEOF\n").instructions[1].heredocs[0].file_descriptor,
        3
    );
}

#[test]
fn not_heredocs() {
    for line in [
        "RUN [\"<<EOF\"]",
        "RUN '<<EOF'",
        "RUN \"<<EOF\"",
        "USER <<EOF",
        "RUN a<<EOF",
        "RUN <<<EOF",
        "CMD <<EOF",
    ] {
        let df = p(&format!("FROM a\n{line}\nEOF\n"));
        assert!(df.instructions[1].heredocs.is_empty(), "{line}");
        assert_eq!(
            df.instructions.len(),
            3,
            "{line}: EOF line is an instruction"
        );
    }
}

#[test]
fn crlf_bodies_keep_their_line_endings() {
    let df = p("FROM a\r\nRUN <<EOF\r\nx\r\nEOF\r\nUSER u\r\n");
    assert_eq!(df.instructions[1].heredocs[0].content, "x\r\n");
    assert_eq!(dump(&df), "(from \"a\")\n(run \"<<EOF\")\n(user \"u\")\n");
}

#[test]
fn continuation_before_heredoc() {
    let df = p("FROM a\nRUN cat <<EOF \\\n  > /x\nhello\nEOF\n");
    assert_eq!(
        df.instructions[1].args,
        vec!["cat <<EOF   > /x".to_string()]
    );
    assert_eq!(df.instructions[1].heredocs[0].content, "hello\n");
    assert_eq!(
        (df.instructions[1].start_line, df.instructions[1].end_line),
        (2, 5)
    );
}

#[test]
fn unterminated_heredoc_is_an_error_with_the_line() {
    let err = parse(b"FROM a\n\nRUN <<EOF\necho hi\n").expect_err("unterminated");
    assert_eq!(err.message, "unterminated heredoc");
    assert_eq!((err.line, err.end_line), (3, 4));
    assert_eq!(
        err.to_string(),
        "Dockerfile:3:1: unterminated heredoc: <<EOF"
    );
    // The second of two heredocs missing.
    let err = parse(b"FROM a\nCOPY <<A <<B /d\nx\nA\ny\n").expect_err("second");
    assert_eq!(err.line, 2);
    assert!(err.to_string().contains("<<B"));
}
