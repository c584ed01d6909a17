//! BuildKit's `Node.Dump()` rendering and Go's `strconv.Quote`.

use super::{Dockerfile, Instruction};
use std::fmt::Write;

/// Renders the parse result exactly like BuildKit's `result.AST.Dump() + "\n"` (the format of
/// the parser corpus `result` files): one `(keyword ["flags"] "args"…)` line per instruction.
/// An empty Dockerfile renders as `"\n"`.
pub fn dump(dockerfile: &Dockerfile) -> String {
    let mut out = String::new();
    for inst in &dockerfile.instructions {
        out.push('(');
        out.push_str(&dump_instruction(inst));
        out.push_str(")\n");
    }
    let mut s = out.trim().to_string();
    s.push('\n');
    s
}

/// Renders one instruction without the surrounding parentheses, e.g. `run "echo" "hi"`.
pub fn dump_instruction(inst: &Instruction) -> String {
    let mut s = inst.keyword.clone();
    if !inst.flags.is_empty() {
        let quoted: Vec<String> = inst.flags.iter().map(|f| go_quote(f)).collect();
        let _ = write!(s, " [{}]", quoted.join(" "));
    }
    for arg in &inst.args {
        s.push(' ');
        s.push_str(&go_quote(arg));
    }
    if let Some(trigger) = &inst.trigger {
        let _ = write!(s, " ({})", dump_instruction(trigger));
    }
    s.trim().to_string()
}

/// Go's `strconv.Quote`: double-quoted, with Go escapes for `"`, `\` and non-printable runes.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_go_print(c) => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// Approximates Go's `strconv.IsPrint` (categories L, M, N, P, S plus ASCII space) without
/// Unicode tables: controls, non-ASCII spaces, the format characters (Cf), private use and
/// noncharacters are non-printable; unassigned code points are (unlike Go) treated as printable.
fn is_go_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    let format_or_private = matches!(
        u,
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x890..=0x891
            | 0x8E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
            | 0xE000..=0xF8FF
            | 0xF0000..=0x10FFFF
            | 0xFDD0..=0xFDEF
    );
    !format_or_private && (u & 0xFFFE) != 0xFFFE
}

#[cfg(test)]
mod tests {
    use super::go_quote;

    #[test]
    fn quote() {
        assert_eq!(go_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote("\t\u{0}\u{7f}"), r#""\t\x00\x7f""#);
        assert_eq!(
            go_quote("☥ \u{a0}\u{2028}\u{feff}"),
            r#""☥ \u00a0\u2028\ufeff""#
        );
        assert_eq!(go_quote("\u{10ffff}"), r#""\U0010ffff""#);
    }
}
