//! JSON encoding like Go's `encoding/json` with HTML escaping off, as the
//! Docker CLI's `json` template function produces: compact, map keys sorted,
//! floats without a trailing `.0` (`1e+21` style exponents).

use crate::gofmt::go_float;
use serde_json::Value;

/// Encodes `v` the way Docker's `{{json .}}` does.
pub fn go_json(v: &Value) -> String {
    let mut out = String::new();
    write(&mut out, v);
    out
}

fn write(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_f64() => out.push_str(&float(n.as_f64().unwrap_or(0.0))),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(out, k);
                out.push(':');
                write(out, &map[k.as_str()]);
            }
            out.push('}');
        }
    }
}

/// Go's float encoding: `%f`-style unless tiny or huge, then `1e-07` -> `1e-7`.
fn float(f: f64) -> String {
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let s = go_float(f, 'e', None);
        return match s.split_once("e-0") {
            Some((m, e)) => format!("{m}e-{e}"),
            None => s,
        };
    }
    go_float(f, 'f', None)
}

fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_go_encoding() {
        assert_eq!(
            go_json(&json!({"b": [1, 1.5, null], "a": "<&>\u{1}\u{2028}"})),
            "{\"a\":\"<&>\\u0001\\u2028\",\"b\":[1,1.5,null]}"
        );
        assert_eq!(go_json(&json!(100000000.0)), "100000000");
        assert_eq!(go_json(&json!(1e21)), "1e+21");
        assert_eq!(go_json(&json!(0.0000001)), "1e-7");
        assert_eq!(go_json(&json!(0.000001)), "0.000001");
        assert_eq!(go_json(&json!(-0.5)), "-0.5");
    }
}
