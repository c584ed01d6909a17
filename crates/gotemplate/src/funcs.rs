//! Template functions: Go's builtins (`index`, `len`, `eq`, `printf`, `html`, `js`, ...)
//! plus the Docker CLI's (`json`, `join`, `split`, `lower`, `upper`, `title`,
//! `pad`, `truncate`), and Docker's header-mode variants.

use crate::exec::truth;
use crate::gofmt::{go_sprint, go_type_name, is_print};
use crate::gojson::go_json;
use crate::printf::sprintf;
use serde_json::Value;

/// Why a function call failed; decides how the executor words the error.
#[derive(Debug)]
pub(crate) enum FuncError {
    /// Wrong argument count (`wrong number of args for X: want N got M`).
    Arity(String),
    /// Argument number `.1` (0-based) has an unusable type
    /// (`wrong type for value; ...`).
    Type(String, usize),
    /// The function itself failed (`error calling X: ...`).
    Call(String),
}

const FUNCS: &[&str] = &[
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt",
    "le", "gt", "ge", "urlquery", "html", "js", "call", "json", "split", "join", "title", "lower",
    "upper", "pad", "truncate",
];

/// Whether `name` is a known template function.
pub(crate) fn is_function(name: &str) -> bool {
    FUNCS.contains(&name)
}

fn arity(name: &str, args: &[Value], want: usize) -> Result<(), FuncError> {
    if args.len() != want {
        return Err(FuncError::Arity(format!(
            "wrong number of args for {name}: want {want} got {}",
            args.len()
        )));
    }
    Ok(())
}

fn at_least(name: &str, args: &[Value], want: usize) -> Result<(), FuncError> {
    if args.len() < want {
        return Err(FuncError::Arity(format!(
            "wrong number of args for {name}: want at least {want} got {}",
            args.len()
        )));
    }
    Ok(())
}

/// A string argument; scalars are printed Go-style, null is empty.
fn string_arg(args: &[Value], i: usize) -> Result<String, FuncError> {
    let v = &args[i];
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Ok(String::new()),
        Value::Bool(_) | Value::Number(_) => Ok(go_sprint(v)),
        _ => Err(FuncError::Type(
            format!(
                "wrong type for value; expected string; got {}",
                go_type_name(v)
            ),
            i,
        )),
    }
}

fn int_arg(args: &[Value], i: usize) -> Result<i64, FuncError> {
    let v = &args[i];
    v.as_i64().ok_or_else(|| {
        FuncError::Type(
            format!(
                "wrong type for value; expected int; got {}",
                go_type_name(v)
            ),
            i,
        )
    })
}

/// Calls function `name`. In header mode the Docker functions return their
/// first argument unchanged, as Docker does when rendering table headers.
pub(crate) fn call(name: &str, args: Vec<Value>, header: bool) -> Result<Value, FuncError> {
    if header {
        let passthrough = match name {
            "json" | "title" | "lower" | "upper" => Some(1),
            "split" | "join" | "truncate" => Some(2),
            _ => None,
        };
        if let Some(n) = passthrough {
            arity(name, &args, n)?;
            return match &args[0] {
                Value::String(_) => Ok(args[0].clone()),
                other => Err(FuncError::Type(
                    format!(
                        "wrong type for value; expected string; got {}",
                        go_type_name(other)
                    ),
                    0,
                )),
            };
        }
    }
    let s = |s: String| Ok(Value::String(s));
    match name {
        "not" => {
            arity(name, &args, 1)?;
            Ok(Value::Bool(!truth(&args[0])))
        }
        "len" => {
            arity(name, &args, 1)?;
            length(&args[0]).map(Value::from)
        }
        "index" => {
            at_least(name, &args, 1)?;
            index(&args[0], &args[1..])
        }
        "slice" => {
            at_least(name, &args, 1)?;
            slice(&args[0], &args[1..])
        }
        "print" => s(sprint(&args)),
        "println" => {
            let parts: Vec<String> = args.iter().map(go_sprint).collect();
            s(format!("{}\n", parts.join(" ")))
        }
        "printf" => {
            at_least(name, &args, 1)?;
            let format = string_arg(&args, 0)?;
            s(sprintf(&format, &args[1..]))
        }
        "eq" => {
            at_least(name, &args, 1)?;
            if args.len() < 2 {
                return Err(FuncError::Call("missing argument for comparison".into()));
            }
            for other in &args[1..] {
                if compare(&args[0], other)? == std::cmp::Ordering::Equal {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        "ne" | "lt" | "le" | "gt" | "ge" => {
            arity(name, &args, 2)?;
            if name != "ne" && !matches!(args[0], Value::Number(_) | Value::String(_)) {
                return Err(FuncError::Call("invalid type for comparison".into()));
            }
            let ord = compare(&args[0], &args[1])?;
            use std::cmp::Ordering::*;
            Ok(Value::Bool(match name {
                "ne" => ord != Equal,
                "lt" => ord == Less,
                "le" => ord != Greater,
                "gt" => ord == Greater,
                _ => ord != Less,
            }))
        }
        "urlquery" => s(urlquery(&sprint(&args))),
        "html" => s(html_escape(&sprint(&args))),
        "call" => {
            // JSON data holds no functions: Go's `call` fails on every value it can see.
            at_least(name, &args, 1)?;
            Err(FuncError::Call(match &args[0] {
                Value::Null => "call of nil".into(),
                other => format!("non-function of type {}", go_type_name(other)),
            }))
        }
        "js" => s(js_escape(&sprint(&args))),
        "json" => {
            arity(name, &args, 1)?;
            s(go_json(&args[0]))
        }
        "split" => {
            arity(name, &args, 2)?;
            let (text, sep) = (string_arg(&args, 0)?, string_arg(&args, 1)?);
            let parts: Vec<Value> = if sep.is_empty() {
                text.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                text.split(sep.as_str())
                    .map(|p| Value::String(p.into()))
                    .collect()
            };
            Ok(Value::Array(parts))
        }
        "join" => {
            arity(name, &args, 2)?;
            let sep = string_arg(&args, 1)?;
            match &args[0] {
                Value::Array(items) => {
                    s(items.iter().map(go_sprint).collect::<Vec<_>>().join(&sep))
                }
                Value::Null => s(String::new()),
                other => Err(FuncError::Type(
                    format!(
                        "wrong type for value; expected []string; got {}",
                        go_type_name(other)
                    ),
                    0,
                )),
            }
        }
        "lower" => {
            arity(name, &args, 1)?;
            s(string_arg(&args, 0)?.to_lowercase())
        }
        "upper" => {
            arity(name, &args, 1)?;
            s(string_arg(&args, 0)?.to_uppercase())
        }
        "title" => {
            arity(name, &args, 1)?;
            s(title(&string_arg(&args, 0)?))
        }
        "pad" => {
            arity(name, &args, 3)?;
            let text = string_arg(&args, 0)?;
            let (pre, post) = (int_arg(&args, 1)?, int_arg(&args, 2)?);
            if text.is_empty() {
                return s(text);
            }
            let rep = |n: i64| " ".repeat(n.clamp(0, 10_000) as usize);
            s(format!("{}{text}{}", rep(pre), rep(post)))
        }
        "truncate" => {
            arity(name, &args, 2)?;
            let text = string_arg(&args, 0)?;
            let n = int_arg(&args, 1)?.max(0) as usize;
            if text.len() < n {
                return s(text);
            }
            let mut end = n;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            s(text[..end].to_string())
        }
        _ => Err(FuncError::Call(format!("function {name:?} not defined"))),
    }
}

/// Go's `fmt.Sprint`: spaces between operands when neither is a string.
fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        let is_str = |v: &Value| matches!(v, Value::String(_));
        if i > 0 && !is_str(a) && !is_str(&args[i - 1]) {
            out.push(' ');
        }
        out.push_str(&go_sprint(a));
    }
    out
}

/// Go's deprecated `strings.Title`: upper-cases letters that start a word.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_sep = true;
    for c in s.chars() {
        if prev_sep {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_sep = if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else {
            c.is_whitespace()
        };
    }
    out
}

/// Go's `template.HTMLEscapeString`.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`: quotes, backslash, `<>&=` and control characters
/// escaped, non-printable runes as `\uXXXX`.
fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if c < ' ' || (!c.is_ascii() && !is_print(c)) => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

fn urlquery(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn length(v: &Value) -> Result<usize, FuncError> {
    match v {
        Value::String(s) => Ok(s.len()),
        Value::Array(a) => Ok(a.len()),
        Value::Object(o) => Ok(o.len()),
        Value::Null => Err(FuncError::Call("len of nil pointer".into())),
        other => Err(FuncError::Call(format!(
            "len of type {}",
            go_type_name(other)
        ))),
    }
}

fn index(item: &Value, keys: &[Value]) -> Result<Value, FuncError> {
    let mut cur = item.clone();
    for key in keys {
        cur = match (&cur, key) {
            (Value::Null, _) => return Err(FuncError::Call("index of untyped nil".into())),
            (Value::Object(map), Value::String(k)) => match map.get(k) {
                Some(v) => v.clone(),
                // A missing key yields the map's zero value: "" for string maps
                // (Docker's label maps), nil otherwise.
                None if map.values().all(Value::is_string) => Value::String(String::new()),
                None => Value::Null,
            },
            (Value::Object(_), other) => {
                return Err(FuncError::Call(format!(
                    "value has type {}; should be string",
                    go_type_name(other)
                )))
            }
            (Value::Array(_) | Value::String(_), k) => {
                let len = if let Value::Array(a) = &cur {
                    a.len()
                } else {
                    cur.as_str().map_or(0, str::len)
                };
                let Some(i) = k.as_i64() else {
                    return Err(FuncError::Call(format!(
                        "cannot index slice/array with type {}",
                        go_type_name(k)
                    )));
                };
                if i < 0 || i as usize >= len {
                    return Err(FuncError::Call(format!("index out of range: {i}")));
                }
                match &cur {
                    Value::Array(a) => a[i as usize].clone(),
                    _ => Value::from(cur.as_str().map_or(0, |s| s.as_bytes()[i as usize])),
                }
            }
            (other, _) => {
                return Err(FuncError::Call(format!(
                    "can't index item of type {}",
                    go_type_name(other)
                )))
            }
        };
    }
    Ok(cur)
}

fn slice(item: &Value, idx: &[Value]) -> Result<Value, FuncError> {
    let len = match item {
        Value::String(s) => s.len(),
        Value::Array(a) => a.len(),
        Value::Null => return Err(FuncError::Call("slice of untyped nil".into())),
        other => {
            return Err(FuncError::Call(format!(
                "can't slice item of type {}",
                go_type_name(other)
            )))
        }
    };
    if idx.len() > 2 {
        return Err(FuncError::Call("too many slice indexes".into()));
    }
    let mut bounds = [0usize, len];
    for (i, v) in idx.iter().enumerate() {
        let n = v.as_i64().ok_or_else(|| {
            FuncError::Call(format!(
                "cannot index slice/array with type {}",
                go_type_name(v)
            ))
        })?;
        if n < 0 || n as usize > len {
            return Err(FuncError::Call(format!("index out of range: {n}")));
        }
        bounds[i] = n as usize;
    }
    let [lo, hi] = bounds;
    if lo > hi {
        return Err(FuncError::Call(format!("invalid slice index: {lo} > {hi}")));
    }
    Ok(match item {
        Value::String(s) => match s.get(lo..hi) {
            Some(sub) => Value::String(sub.to_string()),
            None => Value::String(String::from_utf8_lossy(&s.as_bytes()[lo..hi]).into_owned()),
        },
        Value::Array(a) => Value::Array(a[lo..hi].to_vec()),
        _ => Value::Null,
    })
}

/// Compares two basic values; numbers compare numerically across int/float.
fn compare(a: &Value, b: &Value) -> Result<std::cmp::Ordering, FuncError> {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                return Ok(x.cmp(&y));
            }
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            Ok(x.partial_cmp(&y).unwrap_or(Ordering::Less))
        }
        (Value::String(x), Value::String(y)) => Ok(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Ok(if x == y {
            Ordering::Equal
        } else {
            Ordering::Less
        }),
        (Value::Null, Value::Null) => Ok(Ordering::Equal),
        (Value::Null, _) | (_, Value::Null) => Ok(Ordering::Less),
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => {
            let bad = if matches!(a, Value::Array(_) | Value::Object(_)) {
                a
            } else {
                b
            };
            Err(FuncError::Call(format!(
                "non-comparable type {}: {}",
                go_sprint(bad),
                go_type_name(bad)
            )))
        }
        _ => Err(FuncError::Call("incompatible types for comparison".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(name: &str, args: Vec<Value>) -> Value {
        call(name, args, false).unwrap_or_else(|e| json!(format!("ERR {e:?}")))
    }

    #[test]
    fn docker_functions() {
        assert_eq!(c("join", vec![json!(["a", "b"]), json!(",")]), json!("a,b"));
        assert_eq!(
            c("split", vec![json!("a:b"), json!(":")]),
            json!(["a", "b"])
        );
        assert_eq!(
            c("title", vec![json!("hello wOrld-x")]),
            json!("Hello WOrld-X")
        );
        assert_eq!(c("upper", vec![json!("abc")]), json!("ABC"));
        assert_eq!(
            c("pad", vec![json!("x"), json!(1), json!(2)]),
            json!(" x  ")
        );
        assert_eq!(c("truncate", vec![json!("abcdef"), json!(3)]), json!("abc"));
        assert_eq!(
            c("json", vec![json!({"b": "<&>", "a": 1})]),
            json!("{\"a\":1,\"b\":\"<&>\"}")
        );
    }

    #[test]
    fn go_builtins() {
        assert_eq!(c("index", vec![json!({"k": "v"}), json!("k")]), json!("v"));
        assert_eq!(c("index", vec![json!({"k": "v"}), json!("x")]), json!(""));
        assert_eq!(c("index", vec![json!([1, 2]), json!(1)]), json!(2));
        assert_eq!(c("len", vec![json!([1, 2])]), json!(2));
        assert_eq!(
            c("html", vec![json!("<a href=\"x\">'&'</a>\u{0}")]),
            json!("&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;\u{FFFD}")
        );
        assert_eq!(c("html", vec![json!(1), json!(2)]), json!("1 2"));
        assert!(
            matches!(call("call", vec![json!(null)], false), Err(FuncError::Call(m)) if m == "call of nil")
        );
        assert!(
            matches!(call("call", vec![json!("f"), json!(1)], false), Err(FuncError::Call(m)) if m == "non-function of type string")
        );
        assert_eq!(
            c("js", vec![json!("it's \"x\" <b>&=\\\u{1}é\u{2028}")]),
            json!("it\\'s \\\"x\\\" \\u003Cb\\u003E\\u0026\\u003D\\\\\\u0001é\\u2028")
        );
        assert_eq!(c("eq", vec![json!(1), json!(2), json!(1)]), json!(true));
        assert_eq!(c("lt", vec![json!("a"), json!("b")]), json!(true));
        assert_eq!(
            c("print", vec![json!(1), json!(2), json!("a"), json!(3)]),
            json!("1 2a3")
        );
        assert_eq!(
            c("slice", vec![json!("abcdef"), json!(1), json!(3)]),
            json!("bc")
        );
        assert!(
            matches!(call("index", vec![json!([1]), json!(5)], false), Err(FuncError::Call(m)) if m == "index out of range: 5")
        );
        assert!(
            matches!(call("not", vec![], false), Err(FuncError::Arity(m)) if m == "wrong number of args for not: want 1 got 0")
        );
    }

    #[test]
    fn header_mode_passes_through() {
        assert_eq!(
            call("json", vec![json!("PORTS")], true).ok(),
            Some(json!("PORTS"))
        );
        assert_eq!(
            call("join", vec![json!("NAMES"), json!(",")], true).ok(),
            Some(json!("NAMES"))
        );
    }
}
