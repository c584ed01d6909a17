//! Reads datasets.json and cases.txt (`name ¦ mode ¦ data ¦ template` lines).

use serde_json::Value;
use std::collections::BTreeMap;

/// One case: a template, how to run it, and its data.
pub struct Case {
    /// Unique name, e.g. `t.range-kv`.
    pub name: String,
    /// `fmt` (Template::parse), `raw` (parse_raw), `strict` (parse_raw + missing-key
    /// error) or `header` (render_header).
    pub mode: String,
    /// The dot value.
    pub data: Value,
    /// The template text as written in cases.txt.
    pub template: String,
}

/// Loads the cases from the directory holding cases.txt and datasets.json.
pub fn load(dir: &str) -> Vec<Case> {
    let datasets: BTreeMap<String, Value> = serde_json::from_str(
        &std::fs::read_to_string(format!("{dir}/datasets.json")).expect("datasets.json"),
    )
    .expect("datasets.json is JSON");
    let text = std::fs::read_to_string(format!("{dir}/cases.txt")).expect("cases.txt");
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let f: Vec<&str> = line.splitn(4, " ¦ ").collect();
            assert_eq!(f.len(), 4, "bad case line: {line}");
            let data = match f[2] {
                "-" => Value::Null,
                name => datasets.get(name).cloned().unwrap_or_else(|| {
                    serde_json::from_str(name).unwrap_or_else(|e| panic!("{line}: {e}"))
                }),
            };
            Case {
                name: f[0].into(),
                mode: f[1].into(),
                data,
                template: f[3].into(),
            }
        })
        .collect()
}
