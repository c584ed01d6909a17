//! Go `fmt`/`strconv` look-alikes: `%v` printing of JSON values, float
//! formatting (`%g`, `%e`, `%f`), `strconv.Quote` and `%#U`.

use serde_json::Value;

/// Prints a value the way Go's `fmt.Sprint` prints the equivalent Go value
/// (`map[k:v]`, `[a b]`, `<nil>`, integers without `.0`).
pub fn go_sprint(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v);
    out
}

fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_number(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push_str("map[");
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_value(out, &map[k.as_str()]);
            }
            out.push(']');
        }
    }
}

/// Formats a JSON number like Go's `%v`: integers plainly, floats with `%g`-shortest.
pub fn go_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        go_float(n.as_f64().unwrap_or(0.0), 'g', None)
    }
}

/// The Go type name of the value as Docker's JSON data would hold it.
pub fn go_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Decimal digits (no trailing zeros) and decimal-point position of `f >= 0`,
/// either shortest round-trip (`sig == None`) or rounded to `sig` digits.
fn decimal_digits(f: f64, sig: Option<usize>) -> (Vec<u8>, i64) {
    if f == 0.0 {
        return (Vec::new(), 0);
    }
    let s = match sig {
        None => format!("{f:e}"),
        Some(n) => format!("{:.*e}", n.max(1) - 1, f),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits.is_empty() {
        return (Vec::new(), 0);
    }
    (digits, exp + 1)
}

fn fmt_e(digits: &[u8], dp: i64, prec: usize, out: &mut String) {
    out.push(digits.first().map_or('0', |d| *d as char));
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(digits.get(i).map_or('0', |d| *d as char));
        }
    }
    let exp = if digits.is_empty() { 0 } else { dp - 1 };
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs();
    if e < 10 {
        out.push('0');
    }
    out.push_str(&e.to_string());
}

fn fmt_f(digits: &[u8], dp: i64, prec: usize, out: &mut String) {
    let digit = |i: i64| -> char {
        if i >= 0 && (i as usize) < digits.len() {
            digits[i as usize] as char
        } else {
            '0'
        }
    };
    if dp > 0 {
        for i in 0..dp {
            out.push(digit(i));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 1..=prec as i64 {
            out.push(digit(dp + i - 1));
        }
    }
}

/// Formats a float like Go's `strconv.FormatFloat(f, verb, prec, 64)` for
/// verbs `g`, `e` and `f` (`v` is treated as `g`); `prec == None` means shortest.
pub fn go_float(f: f64, verb: char, prec: Option<usize>) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let mut out = String::new();
    if f.is_sign_negative() && f != 0.0 {
        out.push('-');
    }
    let a = f.abs();
    match verb {
        'e' | 'E' => {
            let (digits, dp) = match prec {
                None => decimal_digits(a, None),
                Some(p) => decimal_digits(a, Some(p + 1)),
            };
            let p = prec.unwrap_or(digits.len().saturating_sub(1));
            fmt_e(&digits, dp, p, &mut out);
        }
        'f' | 'F' => match prec {
            Some(p) => out.push_str(&format!("{a:.p$}")),
            None => {
                let (digits, dp) = decimal_digits(a, None);
                let p = (digits.len() as i64 - dp).max(0) as usize;
                fmt_f(&digits, dp, p, &mut out);
            }
        },
        _ => {
            let shortest = prec.is_none();
            let (digits, dp) = decimal_digits(a, prec.map(|p| p.max(1)));
            let nd = digits.len() as i64;
            let mut p = if shortest {
                nd
            } else {
                prec.unwrap_or(1).max(1) as i64
            };
            let mut eprec = p;
            if eprec > nd && nd >= dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = dp - 1;
            if exp < -4 || exp >= eprec {
                if p > nd {
                    p = nd;
                }
                fmt_e(&digits, dp, (p - 1).max(0) as usize, &mut out);
            } else {
                if p > dp {
                    p = nd;
                }
                fmt_f(&digits, dp, (p - dp).max(0) as usize, &mut out);
            }
        }
    }
    out
}

/// An approximation of Go's `strconv.IsPrint`.
pub fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
        || ('\u{E000}'..='\u{F8FF}').contains(&c))
}

/// Quotes a string like Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if is_print(c) => out.push(c),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Formats a rune like Go's `%#U`: `U+007D '}'`.
pub fn go_char_u(c: char) -> String {
    if is_print(c) {
        format!("U+{:04X} '{}'", c as u32, c)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sprint_values() {
        assert_eq!(
            go_sprint(&json!({"b": [1, "x"], "a": null})),
            "map[a:<nil> b:[1 x]]"
        );
        assert_eq!(go_sprint(&json!(1.5)), "1.5");
        assert_eq!(go_sprint(&json!(1.0)), "1");
        assert_eq!(go_sprint(&json!(100000000.0)), "1e+08");
        assert_eq!(go_sprint(&json!(123456789)), "123456789");
        assert_eq!(go_sprint(&json!(0.0001)), "0.0001");
        assert_eq!(go_sprint(&json!(0.00001)), "1e-05");
        assert_eq!(go_sprint(&json!([])), "[]");
        assert_eq!(go_sprint(&json!({})), "map[]");
    }

    #[test]
    fn g_with_precision() {
        assert_eq!(go_float(1.23456, 'g', Some(3)), "1.23");
        assert_eq!(go_float(1.1, 'g', Some(3)), "1.1");
        assert_eq!(go_float(999.9, 'g', Some(3)), "1e+03");
        assert_eq!(go_float(100.0, 'g', Some(3)), "100");
        assert_eq!(go_float(0.0, 'g', Some(3)), "0");
        assert_eq!(go_float(512.0, 'g', Some(3)), "512");
        assert_eq!(go_float(1023.0, 'g', Some(4)), "1023");
    }

    #[test]
    fn e_and_f() {
        assert_eq!(go_float(1234.5678, 'e', Some(2)), "1.23e+03");
        assert_eq!(go_float(1234.5678, 'f', Some(2)), "1234.57");
        assert_eq!(go_float(-0.5, 'f', None), "-0.5");
        assert_eq!(go_float(f64::INFINITY, 'g', None), "+Inf");
    }

    #[test]
    fn quote() {
        assert_eq!(go_quote("sh -c \"x\"\n"), "\"sh -c \\\"x\\\"\\n\"");
        assert_eq!(go_quote("a…"), "\"a…\"");
        assert_eq!(go_quote("\u{1}"), "\"\\x01\"");
        assert_eq!(go_char_u('}'), "U+007D '}'");
        assert_eq!(go_char_u('\n'), "U+000A");
    }
}
