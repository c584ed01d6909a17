//! Flags, JSON vs shell form and the per-instruction argument shapes.

use berth_dockerfile::parser::{dump, parse, Instruction};

/// Parses `FROM a` + `line` and returns the second instruction.
fn one(line: &str) -> Instruction {
    let df = parse(format!("FROM a\n{line}\n").as_bytes())
        .unwrap_or_else(|e| panic!("parse failed: {e}"));
    df.instructions[1].clone()
}

fn dumped(src: &str) -> String {
    dump(&parse(src.as_bytes()).unwrap_or_else(|e| panic!("parse failed: {e}")))
}

#[test]
fn run_flags() {
    let r = one("RUN --mount=type=cache,target=/x --network=none apt-get update");
    assert_eq!(
        r.flags,
        vec!["--mount=type=cache,target=/x", "--network=none"]
    );
    assert_eq!(r.args, vec!["apt-get update"]);
    assert!(!r.json);
    let r = one("RUN --mount=type=secret,id=\"a b\" [\"ls\", \"-l\"]");
    assert_eq!(r.flags, vec!["--mount=type=secret,id=a b"]);
    assert_eq!(r.args, vec!["ls", "-l"]);
    assert!(r.json);
    assert_eq!(
        dumped("COPY --from=build --chown=1:1 -- /a /b"),
        "(copy [\"--from=build\" \"--chown=1:1\"] \"/a\" \"/b\")\n"
    );
}

#[test]
fn onbuild_with_flags_nests() {
    let o = one("ONBUILD COPY --from=x . /");
    assert_eq!(o.keyword, "onbuild");
    let t = o.trigger.as_deref().expect("trigger");
    assert_eq!(
        (t.keyword.as_str(), t.flags.clone(), t.args.clone()),
        (
            "copy",
            vec!["--from=x".to_string()],
            vec![".".to_string(), "/".to_string()]
        )
    );
    assert_eq!(
        dumped("ONBUILD RUN --network=none [\"a\"]"),
        "(onbuild (run [\"--network=none\"] \"a\"))\n"
    );
}

#[test]
fn json_forms() {
    assert_eq!(one("CMD []").args, Vec::<String>::new());
    assert!(one("CMD []").json);
    assert_eq!(dumped("CMD []"), "(cmd)\n");
    assert_eq!(
        one(r#"CMD ["a\u0000\/b", "\ud83d\ude00"]"#).args,
        vec!["a\0/b", "😀"]
    );
    // Lone surrogates decode to U+FFFD like Go.
    assert_eq!(one(r#"CMD ["\ud800x"]"#).args, vec!["\u{fffd}x"]);
    // Invalid JSON falls back to shell form.
    for bad in [
        "['a', 'b']",
        "[\"a\"] trailing",
        "[\"a\",]",
        "[NaN]",
        "[\"a\"",
        "[\"a\\x\"]",
        "[\"tab\there\"]",
        "[01]",
        "{\"a\": 1}",
    ] {
        let c = one(&format!("CMD {bad}"));
        assert_eq!(c.args, vec![bad.to_string()], "{bad}");
        assert!(!c.json, "{bad}");
    }
    // COPY falls back to whitespace split.
    assert_eq!(one("COPY [\"a\" /b").args, vec!["[\"a\"", "/b"]);
}

#[test]
fn non_string_json_is_an_error() {
    for bad in [
        "[1]",
        "[\"a\", null]",
        "[\"a\", [\"b\"]]",
        "[true]",
        "[{\"k\": [1, 2.5e3]}]",
        "[-0.5]",
    ] {
        for kw in [
            "CMD",
            "RUN",
            "ENTRYPOINT",
            "SHELL",
            "COPY",
            "ADD",
            "VOLUME",
            "HEALTHCHECK CMD",
        ] {
            let err = parse(format!("FROM a\n{kw} {bad}\n").as_bytes()).expect_err(bad);
            assert_eq!(err.line, 2);
            assert_eq!(
                err.message,
                "when using JSON array syntax, arrays must be comprised of strings only"
            );
        }
    }
    // A syntax error anywhere wins over a type error (Go validates first).
    assert!(!one("CMD [1, 'x']").json);
}

#[test]
fn deep_json_nesting_is_handled_without_recursion() {
    let deep = format!("CMD {}{}", "[".repeat(20_000), "]".repeat(20_000));
    let c = one(&deep);
    assert!(
        !c.json,
        "deeper than Go's 10000 limit is a syntax error -> shell form"
    );
    let ok = format!("CMD [{}{}]", "[".repeat(5_000), "]".repeat(5_000));
    assert!(parse(format!("FROM a\n{ok}\n").as_bytes()).is_err());
}

#[test]
fn env_and_label_shapes() {
    let e = one("ENV a=1 b=\"x y\" c=z\\ w");
    assert_eq!(
        e.key_values(),
        vec![
            ("a", "1", false),
            ("b", "\"x y\"", false),
            ("c", "z\\ w", false)
        ]
    );
    let e = one("ENV PATH /usr/bin:/bin  extra");
    assert_eq!(e.args, vec!["PATH", "/usr/bin:/bin  extra", ""]);
    assert_eq!(e.key_values(), vec![("PATH", "/usr/bin:/bin  extra", true)]);
    let err = parse(b"FROM a\nLABEL a=b c\n").expect_err("missing =");
    assert!(
        err.message
            .starts_with("Syntax error - can't find = in \"c\""),
        "{err}"
    );
    let err = parse(b"FROM a\nLABEL only\n").expect_err("legacy needs a value");
    assert_eq!(err.message, "LABEL must have two arguments");
    assert_eq!(dumped("ENV"), "(env)\n");
}

#[test]
fn other_shapes() {
    assert_eq!(one("ARG a=\"1 2\" b").args, vec!["a=\"1 2\"", "b"]);
    assert_eq!(dumped("FROM x AS build"), "(from \"x\" \"AS\" \"build\")\n");
    assert_eq!(
        dumped("EXPOSE 80/tcp  443"),
        "(expose \"80/tcp\" \"443\")\n"
    );
    assert_eq!(
        dumped("MAINTAINER Me <me@x>"),
        "(maintainer \"Me <me@x>\")\n"
    );
    assert_eq!(dumped("WORKDIR /a b"), "(workdir \"/a b\")\n");
    assert_eq!(dumped("VOLUME /a /b"), "(volume \"/a\" \"/b\")\n");
    assert_eq!(dumped("VOLUME [\"/a b\"]"), "(volume \"/a b\")\n");
    assert_eq!(dumped("HEALTHCHECK NONE"), "(healthcheck \"NONE\")\n");
    assert_eq!(
        dumped("HEALTHCHECK --interval=5s CMD [\"curl\", \"-f\"]"),
        "(healthcheck [\"--interval=5s\"] \"CMD\" \"curl\" \"-f\")\n"
    );
    assert!(one("HEALTHCHECK CMD [\"x\"]").json);
    assert_eq!(dumped("HEALTHCHECK"), "(healthcheck)\n");
    assert_eq!(dumped("ONBUILD"), "(onbuild)\n");
}

#[test]
fn unknown_instructions_are_accepted_with_an_empty_argument() {
    let df = parse(b"FROM a\nFOO bar baz\nNOARGS\n").expect("parses");
    assert_eq!(dump(&df), "(from \"a\")\n(foo \"\")\n(noargs \"\")\n");
    assert_eq!(df.instructions[1].keyword, "foo");
    assert_eq!(df.instructions[1].original, "FOO bar baz");
}

#[test]
fn keyword_is_lowercased_and_original_kept() {
    let r = one("  RuN   echo hi  ");
    assert_eq!(r.keyword, "run");
    assert_eq!(r.args, vec!["echo hi"]);
    assert_eq!(r.column, 3);
}
