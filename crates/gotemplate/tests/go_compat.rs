//! berth-gotemplate against Go's own text/template: every case of
//! bench/gotemplate-compare/cases.txt must render exactly as Go did (go-expected.json, written
//! by that directory's go-oracle with the Docker CLI's functions), except the known
//! differences below, each of which must still differ (drop it from the list once fixed).

use berth_gotemplate::Template;
use serde_json::Value;
use std::collections::BTreeMap;

/// Cases where berth answers differently from Go 1.19 on purpose or for want of Go types;
/// docs/ARCHITECTURE.md, "Go templates", says why.
const KNOWN_DIFFERENCES: &[&str] = &[
    // Go type names JSON cannot carry (`interface {}`, `[]string`, `int64`).
    "t.err-field-of-string",
    "t.err-wrong-type",
    "g.field-on-list",
    "g.field-on-int",
    "g.printf-s-int",
    // Deliberate leniency.
    "g.cmp-mixed",
    "g.cmp-literal-mixed",
    "g.join-non-string",
    "g.upper-int",
    "g.truncate-unicode",
    "g.pad-neg",
    // `{{define}}` is rejected.
    "e.define",
    // A field of a JSON null prints `<no value>`.
    "x.inspect-health-status",
    "g.field-on-nil",
];

/// Answers of the Docker CLI's Go (>= 1.23) where the Go 1.19 oracle predates a feature.
const NEWER_GO: &[(&str, &str)] = &[("t.range-int", "012"), ("g.with-else-with", "proxy")];

fn bench_file(name: &str) -> String {
    let path = format!(
        "{}/../../bench/gotemplate-compare/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn render(mode: &str, template: &str, data: &Value) -> String {
    let parsed = match mode {
        "fmt" | "header" => Template::parse(template),
        "strict" => Template::parse_raw(template).map(Template::with_missing_key_error),
        _ => Template::parse_raw(template),
    };
    match parsed {
        Err(e) => e.to_string(),
        Ok(t) if mode == "header" => t.render_header(data),
        Ok(t) => t.render(data).unwrap_or_else(|e| e.to_string()),
    }
}

#[test]
fn cases_render_as_go_renders_them() {
    let datasets: BTreeMap<String, Value> =
        serde_json::from_str(&bench_file("datasets.json")).expect("datasets.json");
    let mut go: BTreeMap<String, String> =
        serde_json::from_str(&bench_file("go-expected.json")).expect("go-expected.json");
    for (name, answer) in NEWER_GO {
        go.insert(name.to_string(), answer.to_string());
    }
    let mut failures = Vec::new();
    let mut count = 0;
    for line in bench_file("cases.txt").lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.splitn(4, " ¦ ").collect();
        assert_eq!(f.len(), 4, "bad case line: {line}");
        let data = match f[2] {
            "-" => Value::Null,
            name => datasets
                .get(name)
                .cloned()
                .unwrap_or_else(|| serde_json::from_str(name).expect("inline JSON")),
        };
        let want = go
            .get(f[0])
            .unwrap_or_else(|| panic!("{}: no Go answer", f[0]));
        let got = render(f[1], f[3], &data);
        count += 1;
        let known = KNOWN_DIFFERENCES.contains(&f[0]);
        if (got == *want) == known {
            failures.push(format!(
                "{}{}: {:?}\n  go:    {want:?}\n  berth: {got:?}",
                f[0],
                if known {
                    " (listed as a known difference)"
                } else {
                    ""
                },
                f[3]
            ));
        }
    }
    assert!(count > 200, "only {count} cases read");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
