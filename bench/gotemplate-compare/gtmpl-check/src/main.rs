//! Runs a few of ../cases.txt's templates through gtmpl 0.7.1 and prints what it renders.

use gtmpl_value::Value as G;
use serde_json::{json, Value};
use std::collections::HashMap;

fn conv(v: &Value) -> G {
    match v {
        Value::Null => G::Nil,
        Value::Bool(b) => G::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => G::from(i),
            None => G::from(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => G::String(s.clone()),
        Value::Array(a) => G::Array(a.iter().map(conv).collect()),
        Value::Object(o) => G::Map(
            o.iter()
                .map(|(k, v)| (k.clone(), conv(v)))
                .collect::<HashMap<_, _>>(),
        ),
    }
}

fn main() {
    let data = json!({"ID": "abc", "Names": ["web", "db"], "Labels": {"b": "2", "a": "1"},
        "F": 1.5, "FM": 1e6, "I": 3, "State": "running"});
    for t in [
        "{{.ID}}",
        "{{.Labels}}",
        "{{.Names}}",
        "{{.F}} {{.FM}} {{.I}}",
        "{{.Missing}}",
        "{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}",
        "{{if eq .State \"running\"}}up{{end}}",
        "{{printf \"%-10s|%5.2f\" .ID .F}}",
        "a  {{- .ID -}}  b",
        "{{index .Labels \"nope\"}}",
        "{{range .Names}}{{if eq . \"db\"}}{{break}}{{end}}{{.}}{{end}}",
        "{{len .Names}} {{slice .ID 1}}",
        "{{and 1 0}} {{or 0 2}} {{not 0}}",
        "{{lt .I .F}}",
        "{{.ID.Foo}}",
        "{{.ID}",
        "{{end}}",
        "{{if .X}}a",
    ] {
        let mut tmpl = gtmpl::Template::default();
        let out = match tmpl.parse(t) {
            Err(e) => format!("PARSE ERR {e}"),
            Ok(()) => match tmpl.render(&gtmpl::Context::from(conv(&data))) {
                Ok(s) => s,
                Err(e) => format!("EXEC ERR {e}"),
            },
        };
        println!("{t:60} => {out:?}");
    }
}
