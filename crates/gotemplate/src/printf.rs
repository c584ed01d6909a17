//! A subset of Go's `fmt.Sprintf` over JSON values, for the template
//! `printf` function: verbs `%v %s %d %q %t %x %X %o %b %c %e %f %g %%`,
//! flags `- + 0 space` (and `#` for `%#v` of strings), width and precision (`*` too), and Go's error
//! notation (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA int=1)`).

use crate::gofmt::{go_float, go_quote, go_sprint, go_type_name};
use serde_json::Value;

#[derive(Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    /// `#`: Go syntax; berth honours it for `%#v` of strings (quoted).
    sharp: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Formats `args` according to the Go format string `format`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut next = 0usize;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        spec.width = number(&mut chars, args, &mut next);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.prec = Some(number(&mut chars, args, &mut next).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        match args.get(next) {
            None => out.push_str(&format!("%!{verb}(MISSING)")),
            Some(arg) => {
                next += 1;
                out.push_str(&format_arg(arg, verb, spec));
            }
        }
    }
    if next < args.len() {
        let extra: Vec<String> = args[next..]
            .iter()
            .map(|a| match a {
                Value::Null => "<nil>".to_string(),
                _ => format!("{}={}", go_type_name(a), go_sprint(a)),
            })
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

fn number(
    chars: &mut std::iter::Peekable<std::str::Chars>,
    args: &[Value],
    next: &mut usize,
) -> Option<usize> {
    if chars.peek() == Some(&'*') {
        chars.next();
        let v = args.get(*next).and_then(Value::as_u64);
        *next += 1;
        return v.map(|v| v.min(10_000) as usize);
    }
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        chars.next();
        n = Some((n.unwrap_or(0) * 10 + d as usize).min(10_000));
    }
    n
}

fn bad(verb: char, arg: &Value) -> String {
    match arg {
        Value::Null => format!("%!{verb}(<nil>)"),
        _ => format!("%!{verb}({}={})", go_type_name(arg), go_sprint(arg)),
    }
}

fn format_arg(arg: &Value, verb: char, spec: Spec) -> String {
    let body = match arg {
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(|i| format_arg(i, verb, spec)).collect();
            return format!("[{}]", parts.join(" "));
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| {
                    let key = format_arg(&Value::String((*k).clone()), verb, spec);
                    format!("{key}:{}", format_arg(&map[k.as_str()], verb, spec))
                })
                .collect();
            return format!("map[{}]", parts.join(" "));
        }
        Value::Null if verb == 'v' => "<nil>".to_string(),
        Value::Null => return bad(verb, arg),
        Value::Bool(b) => match verb {
            'v' | 't' => b.to_string(),
            _ => return bad(verb, arg),
        },
        Value::String(s) => match verb {
            'v' if spec.sharp => go_quote(s),
            'v' | 's' => truncate(s, spec.prec),
            'q' => go_quote(&truncate(s, spec.prec)),
            'x' => s.bytes().map(|b| format!("{b:02x}")).collect(),
            'X' => s.bytes().map(|b| format!("{b:02X}")).collect(),
            _ => return bad(verb, arg),
        },
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => {
                return match format_int(i as i128, verb, spec) {
                    Some(body) => pad(body, spec, true),
                    None => bad(verb, arg),
                }
            }
            (None, Some(u), _) => {
                return match format_int(u as i128, verb, spec) {
                    Some(body) => pad(body, spec, true),
                    None => bad(verb, arg),
                }
            }
            (_, _, Some(f)) => match verb {
                'v' => sign(go_float(f, 'g', spec.prec), spec),
                'g' => sign(go_float(f, 'g', spec.prec), spec),
                'G' => sign(go_float(f, 'g', spec.prec).to_uppercase(), spec),
                'e' => sign(go_float(f, 'e', Some(spec.prec.unwrap_or(6))), spec),
                'E' => sign(
                    go_float(f, 'e', Some(spec.prec.unwrap_or(6))).to_uppercase(),
                    spec,
                ),
                'f' | 'F' => sign(go_float(f, 'f', Some(spec.prec.unwrap_or(6))), spec),
                _ => return bad(verb, arg),
            },
            _ => return bad(verb, arg),
        },
    };
    pad(body, spec, matches!(arg, Value::Number(_)))
}

fn truncate(s: &str, prec: Option<usize>) -> String {
    match prec {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    }
}

fn sign(s: String, spec: Spec) -> String {
    if s.starts_with('-') || s.starts_with('+') {
        return s;
    }
    if spec.plus {
        format!("+{s}")
    } else if spec.space {
        format!(" {s}")
    } else {
        s
    }
}

/// Formats an integer for `verb`, or `None` when the verb does not apply.
fn format_int(i: i128, verb: char, spec: Spec) -> Option<String> {
    let neg = i < 0;
    let a = i.unsigned_abs();
    let digits = match verb {
        'v' | 'd' => a.to_string(),
        'x' => format!("{a:x}"),
        'X' => format!("{a:X}"),
        'o' => format!("{a:o}"),
        'b' => format!("{a:b}"),
        'c' => return char::from_u32(i as u32).map(String::from),
        'q' => return char::from_u32(i as u32).map(|c| format!("'{c}'")),
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' | 's' | 't' => return None,
        _ => return None,
    };
    let digits = match spec.prec {
        Some(p) if digits.len() < p => format!("{}{digits}", "0".repeat(p - digits.len())),
        _ => digits,
    };
    Some(if neg {
        format!("-{digits}")
    } else {
        sign(digits, spec)
    })
}

fn pad(body: String, spec: Spec, numeric: bool) -> String {
    let Some(width) = spec.width else {
        return body;
    };
    let len = body.chars().count();
    if len >= width {
        return body;
    }
    let fill = width - len;
    if spec.minus {
        format!("{body}{}", " ".repeat(fill))
    } else if spec.zero && numeric {
        let (sign, rest) = match body.chars().next() {
            Some(c @ ('-' | '+' | ' ')) => (c.to_string(), &body[1..]),
            _ => (String::new(), body.as_str()),
        };
        format!("{sign}{}{rest}", "0".repeat(fill))
    } else {
        format!("{}{body}", " ".repeat(fill))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn basic_verbs() {
        assert_eq!(
            sprintf("%s-%d-%v", &[json!("a"), json!(3), json!(true)]),
            "a-3-true"
        );
        assert_eq!(sprintf("%v", &[json!([1, "b"])]), "[1 b]");
        assert_eq!(sprintf("%q", &[json!("x\"y")]), "\"x\\\"y\"");
        assert_eq!(
            sprintf("%5s|%-5s|%05d", &[json!("ab"), json!("cd"), json!(-42)]),
            "   ab|cd   |-0042"
        );
        assert_eq!(
            sprintf(
                "%.2f %x %.3s",
                &[json!(2.5151), json!(255), json!("abcdef")]
            ),
            "2.52 ff abc"
        );
        assert_eq!(sprintf("100%%", &[]), "100%");
        assert_eq!(sprintf("%v", &[json!(1.5)]), "1.5");
        assert_eq!(
            sprintf("%#v|%+v|%#v", &[json!("a\"b"), json!("c"), json!(2)]),
            "\"a\\\"b\"|c|2"
        );
        assert_eq!(sprintf("%g", &[json!(100000000.0)]), "1e+08");
        assert_eq!(sprintf("%e", &[json!(1234.5)]), "1.234500e+03");
        assert_eq!(
            sprintf("%G %E", &[json!(1e100), json!(0.0)]),
            "1E+100 0.000000E+00"
        );
    }

    #[test]
    fn go_error_notation() {
        assert_eq!(sprintf("%d", &[json!("x")]), "%!d(string=x)");
        assert_eq!(sprintf("%s %s", &[json!("x")]), "x %!s(MISSING)");
        assert_eq!(sprintf("%s", &[json!("x"), json!(1)]), "x%!(EXTRA int=1)");
        assert_eq!(sprintf("%s", &[json!(null)]), "%!s(<nil>)");
        assert_eq!(sprintf("%v", &[json!(null)]), "<nil>");
        assert_eq!(sprintf("%", &[]), "%!(NOVERB)");
    }
}
