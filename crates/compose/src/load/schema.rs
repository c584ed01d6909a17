//! Validation against the Compose Specification's JSON schema (`compose-spec.json` beside
//! this file, compose-spec commit 170098b, Apache-2.0: `compose-spec.LICENSE`).
//!
//! A small draft-07 validator for the keywords that schema uses (`type`, `properties`,
//! `patternProperties`, `additionalProperties`, `required`, `items`, `uniqueItems`, `enum`,
//! `pattern`, `minimum`, `maximum`, `oneOf`, `$ref` to `#/definitions`), written here rather
//! than taken from the `jsonschema` crate: that crate does not build against the workspace's
//! `regex` stand-in (it needs `RegexBuilder::dfa_size_limit`), and its dependency tree
//! (fancy-regex, Unicode tables, bignum fractions) is what the workspace keeps out of the
//! binary (docs/PERFORMANCE.md). Owning it also lets every message read like docker
//! compose's (`additional properties 'foo' not allowed`, `must be a string or number`).

use std::sync::OnceLock;

use regex_lite::Regex;
use serde_json::Value;

use super::interpolate::join;

/// The schema text.
const SCHEMA: &str = include_str!("compose-spec.json");

/// One violation: the key path and what is wrong. `key` names the offending key of an
/// additional property (for a precise position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    /// The key path of the value.
    pub path: String,
    /// The offending key under `path`, for unknown keys.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

fn schema() -> Option<&'static Value> {
    static S: OnceLock<Option<Value>> = OnceLock::new();
    S.get_or_init(|| serde_json::from_str(SCHEMA).ok()).as_ref()
}

/// Every violation in `doc`, in document (key) order.
pub(crate) fn validate(doc: &Value) -> Vec<Violation> {
    let Some(root) = schema() else {
        return vec![Violation {
            path: String::new(),
            key: None,
            message: "internal error: the bundled compose schema does not parse".into(),
        }];
    };
    let mut out = Vec::new();
    check(root, root, doc, "", &mut out);
    out
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_ok(want: &str, v: &Value) -> bool {
    let got = type_name(v);
    want == got || (want == "number" && got == "integer")
}

fn human(want: &[&str]) -> String {
    let name = |s: &str| match s {
        "object" => "mapping".to_string(),
        "array" => "list".to_string(),
        o => o.to_string(),
    };
    let mut w: Vec<String> = want.iter().map(|s| name(s)).collect();
    w.sort();
    match w.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let mut s = schema;
    for _ in 0..16 {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => match r.strip_prefix("#/definitions/") {
                Some(name) => match root.get("definitions").and_then(|d| d.get(name)) {
                    Some(t) => s = t,
                    None => return s,
                },
                None => return s,
            },
            None => return s,
        }
    }
    s
}

fn regex(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

fn push(out: &mut Vec<Violation>, path: &str, message: String) {
    out.push(Violation {
        path: path.to_string(),
        key: None,
        message,
    });
}

fn check(root: &Value, schema: &Value, v: &Value, path: &str, out: &mut Vec<Violation>) {
    let schema = resolve(root, schema);
    let want = types(schema);
    if !want.is_empty() && !want.iter().any(|t| type_ok(t, v)) {
        push(out, path, format!("must be a {}", human(&want)));
        return;
    }
    if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
        one_of(root, branches, v, path, out);
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.contains(v) {
            let list: Vec<String> = options.iter().map(Value::to_string).collect();
            push(out, path, format!("must be one of {}", list.join(", ")));
        }
    }
    match v {
        Value::String(s) => {
            if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
                if regex(p).is_some_and(|r| !r.is_match(s)) {
                    push(out, path, format!("{s:?} does not match {p:?}"));
                }
            }
        }
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or_default();
            if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
                if f < min {
                    push(out, path, format!("must be >= {min}"));
                }
            }
            if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
                if f > max {
                    push(out, path, format!("must be <= {max}"));
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(root, item_schema, item, &format!("{path}[{i}]"), out);
                }
            }
            if schema.get("uniqueItems") == Some(&Value::Bool(true)) {
                for (i, item) in items.iter().enumerate() {
                    if items[..i].contains(item) {
                        push(
                            out,
                            &format!("{path}[{i}]"),
                            format!("duplicate item {item} in list"),
                        );
                    }
                }
            }
        }
        Value::Object(map) => object(root, schema, map, path, out),
        _ => {}
    }
}

fn object(
    root: &Value,
    schema: &Value,
    map: &serde_json::Map<String, Value>,
    path: &str,
    out: &mut Vec<Violation>,
) {
    if let Some(req) = schema.get("required").and_then(Value::as_array) {
        for r in req.iter().filter_map(Value::as_str) {
            if !map.contains_key(r) {
                push(out, path, format!("missing property '{r}'"));
            }
        }
    }
    let props = schema.get("properties").and_then(Value::as_object);
    let patterns: Vec<(Regex, &Value)> = schema
        .get("patternProperties")
        .and_then(Value::as_object)
        .map(|p| {
            p.iter()
                .filter_map(|(k, s)| regex(k).map(|r| (r, s)))
                .collect()
        })
        .unwrap_or_default();
    let mut extra = Vec::new();
    for (k, val) in map {
        let p = join(path, k);
        let mut known = false;
        if let Some(s) = props.and_then(|ps| ps.get(k)) {
            known = true;
            check(root, s, val, &p, out);
        }
        for (re, s) in &patterns {
            if re.is_match(k) {
                known = true;
                check(root, s, val, &p, out);
            }
        }
        if !known {
            match schema.get("additionalProperties") {
                Some(Value::Bool(false)) => extra.push(k.clone()),
                Some(s @ Value::Object(_)) => check(root, s, val, &p, out),
                _ => {}
            }
        }
    }
    if let Some(first) = extra.first() {
        let message = if extra.len() == 1 {
            format!("additional properties '{first}' not allowed")
        } else {
            format!("additional properties '{}' not allowed", extra.join("', '"))
        };
        out.push(Violation {
            path: path.to_string(),
            key: Some(first.clone()),
            message,
        });
    }
}

fn one_of(root: &Value, branches: &[Value], v: &Value, path: &str, out: &mut Vec<Violation>) {
    let mut results: Vec<Vec<Violation>> = Vec::new();
    for b in branches {
        let mut errs = Vec::new();
        check(root, b, v, path, &mut errs);
        if errs.is_empty() {
            return;
        }
        results.push(errs);
    }
    // No branch fits: report the branch written for this kind of value, if one is.
    for (b, errs) in branches.iter().zip(&results) {
        let t = types(resolve(root, b));
        if t.iter().any(|t| type_ok(t, v)) {
            out.extend(errs.iter().cloned());
            return;
        }
    }
    let mut all: Vec<&str> = branches
        .iter()
        .flat_map(|b| types(resolve(root, b)))
        .collect();
    all.sort();
    all.dedup();
    if all.is_empty() {
        push(out, path, "does not match any allowed form".into());
    } else {
        push(out, path, format!("must be a {}", human(&all)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn first(doc: Value) -> Option<(String, String)> {
        validate(&doc)
            .into_iter()
            .next()
            .map(|v| (v.path, v.message))
    }

    #[test]
    fn messages() {
        assert_eq!(first(json!({"services": {"web": {"image": "x"}}})), None);
        assert_eq!(
            first(json!({"services": {"web": {"image": "x", "foo": 1}}})),
            Some((
                "services.web".into(),
                "additional properties 'foo' not allowed".into()
            ))
        );
        assert_eq!(
            first(json!({"services": {"web": {"image": ["x"]}}})),
            Some(("services.web.image".into(), "must be a string".into()))
        );
        assert_eq!(
            first(json!({"services": {"web": {"ports": [{"target": 80, "bogus": 1}]}}})),
            Some((
                "services.web.ports[0]".into(),
                "additional properties 'bogus' not allowed".into()
            ))
        );
        assert_eq!(
            first(json!({"services": {"web": {"ports": [true]}}})),
            Some((
                "services.web.ports[0]".into(),
                "must be a mapping, number or string".into()
            ))
        );
        assert_eq!(
            first(json!({"services": {"web": {"environment": {"A": [1]}}}})),
            Some((
                "services.web.environment.A".into(),
                "must be a boolean, null, number or string".into()
            ))
        );
        assert!(first(json!({"x-any": {"whatever": [1]}, "services": {}})).is_none());
        assert!(first(json!({"bogus": 1})).is_some());
    }
}
