//! Fuzz target (see tests/fuzz) for the Go-template engine: a `--format` string parsed, then
//! rendered over container-like data, as a header and as list rows. An input is the template,
//! optionally followed by a NUL and JSON data to render instead. Every input must give `Ok`
//! or an error: no panic, no hang.

use super::{render_rows, Template};
use berth_fuzz::fuzz_target;
use serde_json::{json, Value};

const TEMPLATE_TOKENS: &[&str] = &[
    "{{",
    "}}",
    "{{-",
    "-}}",
    "{{.",
    "{{range .",
    "{{if .",
    "{{with .",
    "{{else}}",
    "{{end}}",
    "{{break}}",
    "{{continue}}",
    "{{else if ",
    "{{else with ",
    "{{/*",
    "*/}}",
    "$x := ",
    "$x = ",
    "$",
    "|",
    "(",
    ")",
    ".ID",
    ".Names",
    ".Labels",
    ".Ports",
    ".Mounts",
    ".State.Running",
    "json ",
    "split ",
    "join ",
    "title ",
    "lower ",
    "upper ",
    "pad ",
    "truncate ",
    "printf ",
    "print ",
    "println ",
    "len ",
    "index ",
    "slice ",
    "eq ",
    "ne ",
    "lt ",
    "and ",
    "or ",
    "not ",
    "html ",
    "js ",
    "urlquery ",
    "call ",
    "\"%-10s\"",
    "\"%*d\"",
    "\"%.3f\"",
    "`raw`",
    "'c'",
    "1e6",
    "-1",
    "0x10",
    "nil",
    "true",
    "table ",
    "\\t",
    "\\n",
];

/// Data shaped like `docker ps`/`inspect` rows; lists and maps have one entry at most, so
/// nested `range`s stay linear (Go's engine would be exponential too).
fn data() -> Value {
    json!({
        "ID": "0123456789ab",
        "Names": "web",
        "Image": "busybox:latest",
        "Command": "\"sh -c 'sleep 1'\"",
        "Labels": {"com.example": "x"},
        "Ports": "0.0.0.0:8080->80/tcp",
        "Size": 1234,
        "Float": 1.5,
        "Neg": -3,
        "Null": null,
        "Empty": [],
        "List": ["a"],
        "Mounts": [{"Source": "/a", "Destination": "/b", "RW": true}],
        "State": {"Running": true, "Pid": 42, "Health": null}
    })
}

fn seeds() -> Vec<Vec<u8>> {
    [
        "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.Names}}",
        "{{json .}}",
        "{{range $k, $v := .Labels}}{{$k}}={{$v}}{{end}}",
        "{{if .State.Running}}up{{else if .Null}}?{{else}}down{{end}}",
        "{{with .Mounts}}{{range .}}{{.Source}}:{{.Destination}}{{end}}{{end}}",
        "{{printf \"%-10s|%5d|%x|%q\" .Names .Size .ID .Command}}",
        "{{join (split .Ports \",\") \";\"}} {{upper .Names | lower | title}}",
        "{{pad .Names 3 4}}{{truncate .ID 4}}{{len .List}}{{index .List 0}}{{slice .ID 1 3}}",
        "{{$x := 1}}{{range .List}}{{if eq $x 1}}{{break}}{{end}}{{end}}{{$x = 2}}{{$x}}",
        "{{- /* comment */ -}} {{and .ID .Null}} {{or .Null .ID}} {{not .Empty}}",
        "{{.Missing.Deeper}}\u{0}{\"Missing\":{\"Deeper\":[1,2,{\"x\":null}]}}",
        // Nesting past the parser's limit (a stack overflow before it had one).
        &format!("{{{{{}.ID{}}}}}", "(".repeat(300), ")".repeat(300)),
        &format!("{}x{}", "{{if .ID}}".repeat(200), "{{end}}".repeat(200)),
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// Whether the input may `range` over a big number (Go 1.22's `{{range N}}`): such a loop is
/// slow in Go too, not wrong, so rendering it would only stall the target. Conservative:
/// any number-like word but a small integer counts.
fn may_range_long(text: &str) -> bool {
    let numberish = |c: char| c.is_ascii_alphanumeric() || "_.+-".contains(c);
    text.contains("range")
        && text
            .split(|c: char| !numberish(c))
            .filter(|w| w.starts_with(|c: char| c.is_ascii_digit() || "+-.".contains(c)))
            .filter(|w| w.contains(|c: char| c.is_ascii_digit()))
            .any(|w| w.parse::<i64>().map_or(true, |n| n.abs() > 100_000))
}

#[test]
fn fuzz_go_template() {
    let default = data();
    fuzz_target!(
        seeds = seeds(),
        max_len = 4096,
        dictionary = TEMPLATE_TOKENS,
        body = |input: &[u8]| {
            let text = String::from_utf8_lossy(input);
            let (format, json) = text.split_once('\0').unwrap_or((&text, ""));
            let custom = serde_json::from_str::<Value>(json).ok();
            let data = custom.as_ref().unwrap_or(&default);
            if may_range_long(&text) {
                let _ = Template::parse(format);
                return;
            }
            if let Ok(t) = Template::parse(format) {
                let _ = t.render(data);
                let _ = t.clone().with_missing_key_error().render(data);
                let _ = t.render_header(data);
                let _ = t.field_names();
            }
            let rows = [data.clone(), json!({})];
            let _ = render_rows(
                Some(format),
                "table {{.ID}}",
                &[("ID", "CONTAINER ID")],
                &rows,
            );
        },
    );
}
