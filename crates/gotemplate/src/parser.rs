//! Parser for Go templates, structured like Go's `text/template/parse` so
//! that error messages match (`template: :1: unexpected "}" in operand`).

use crate::ast::{Arg, Command, ControlKind, List, Node, Pipe};
use crate::error::FormatError;
use crate::funcs::is_function;
use crate::lexer::{lex, Item, Tok};
use serde_json::Value;

type PResult<T> = Result<T, FormatError>;

/// What `text_or_action` produced: a node, or an `{{end}}`/`{{else}}` marker.
enum Parsed {
    Node(Node),
    End,
    Else,
}

/// How deep parenthesized pipelines and control structures may nest (Go allows 10000 on
/// its growable stacks; parsing, running and dropping the tree recurse, and a few hundred
/// levels overflowed a 2 MiB thread stack here).
const MAX_DEPTH: usize = 100;

/// Parses template text into a node list.
pub(crate) fn parse(text: &str) -> PResult<List> {
    let mut p = Parser {
        items: lex(text),
        idx: 0,
        line: 1,
        vars: vec!["$".to_string()],
        range_depth: 0,
        depth: 0,
    };
    p.parse_root()
}

struct Parser {
    items: Vec<Item>,
    idx: usize,
    line: usize,
    vars: Vec<String>,
    range_depth: usize,
    /// Parenthesized pipelines and control structures open around the current item.
    depth: usize,
}

impl Parser {
    fn next(&mut self) -> Item {
        let item = self.peek();
        if self.idx < self.items.len() {
            self.idx += 1;
        }
        self.line = item.line;
        item
    }

    fn peek(&self) -> Item {
        self.items.get(self.idx).cloned().unwrap_or(Item {
            typ: Tok::Eof,
            val: String::new(),
            pos: 0,
            line: self.line,
        })
    }

    fn backup(&mut self) {
        self.idx = self.idx.saturating_sub(1);
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let item = self.next();
            if item.typ != Tok::Space {
                return item;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let item = self.next_non_space();
        self.backup();
        item
    }

    fn error<T>(&self, msg: impl std::fmt::Display) -> PResult<T> {
        Err(FormatError::parse(format!(
            "template: :{}: {}",
            self.line, msg
        )))
    }

    fn unexpected<T>(&self, item: &Item, context: &str) -> PResult<T> {
        if item.typ == Tok::Error {
            return self.error(item);
        }
        self.error(format!("unexpected {item} in {context}"))
    }

    fn expect(&mut self, typ: Tok, context: &str) -> PResult<Item> {
        let item = self.next_non_space();
        if item.typ != typ {
            return self.unexpected(&item, context);
        }
        Ok(item)
    }

    fn parse_root(&mut self) -> PResult<List> {
        let mut root = Vec::new();
        while self.peek().typ != Tok::Eof {
            match self.text_or_action()? {
                Parsed::Node(n) => root.push(n),
                Parsed::End => return self.error("unexpected {{end}}"),
                Parsed::Else => return self.error("unexpected {{else}}"),
            }
        }
        Ok(root)
    }

    fn item_list(&mut self) -> PResult<(List, Parsed)> {
        let mut list = Vec::new();
        while self.peek_non_space().typ != Tok::Eof {
            match self.text_or_action()? {
                Parsed::Node(n) => list.push(n),
                end => return Ok((list, end)),
            }
        }
        self.error("unexpected EOF")
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let item = self.next_non_space();
        match item.typ {
            Tok::Text => Ok(Parsed::Node(Node::Text(item.val))),
            Tok::LeftDelim => self.action(),
            Tok::Comment => Ok(Parsed::Node(Node::Text(String::new()))),
            _ => self.unexpected(&item, "input"),
        }
    }

    fn action(&mut self) -> PResult<Parsed> {
        let item = self.next_non_space();
        match item.typ {
            Tok::Block | Tok::Define | Tok::Template => {
                self.error(format!("{{{{{}}}}} is not supported", item.val))
            }
            Tok::Break | Tok::Continue => {
                let what = format!("{{{{{}}}}}", item.val);
                let next = self.next_non_space();
                if next.typ != Tok::RightDelim {
                    return self.unexpected(&next, &what);
                }
                if self.range_depth == 0 {
                    return self.error(format!("{what} outside {{{{range}}}}"));
                }
                Ok(Parsed::Node(if item.typ == Tok::Break {
                    Node::Break
                } else {
                    Node::Continue
                }))
            }
            Tok::Else => {
                let peek = self.peek_non_space();
                if !matches!(peek.typ, Tok::If | Tok::With) {
                    self.expect(Tok::RightDelim, "else")?;
                }
                Ok(Parsed::Else)
            }
            Tok::End => {
                self.expect(Tok::RightDelim, "end")?;
                Ok(Parsed::End)
            }
            Tok::If => self.control(ControlKind::If).map(Parsed::Node),
            Tok::Range => self.control(ControlKind::Range).map(Parsed::Node),
            Tok::With => self.control(ControlKind::With).map(Parsed::Node),
            _ => {
                self.backup();
                let pipe = self.pipeline("command", Tok::RightDelim)?;
                Ok(Parsed::Node(Node::Action(pipe)))
            }
        }
    }

    fn control(&mut self, kind: ControlKind) -> PResult<Node> {
        let mark = self.vars.len();
        let result = self.nested(|p| p.control_inner(kind));
        self.vars.truncate(mark);
        result
    }

    /// Runs `f` one nesting level deeper; past [`MAX_DEPTH`], Go's error instead.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_DEPTH {
            return self.error("max expression depth exceeded");
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn control_inner(&mut self, kind: ControlKind) -> PResult<Node> {
        let context = match kind {
            ControlKind::If => "if",
            ControlKind::With => "with",
            ControlKind::Range => "range",
        };
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        if kind == ControlKind::Range {
            self.range_depth += 1;
        }
        let listed = self.item_list();
        if kind == ControlKind::Range {
            self.range_depth -= 1;
        }
        let (list, next) = listed?;
        let mut else_list = None;
        if let Parsed::Else = next {
            let peek = self.peek().typ;
            if kind == ControlKind::If && peek == Tok::If {
                self.next();
                else_list = Some(vec![self.control(ControlKind::If)?]);
            } else if kind == ControlKind::With && peek == Tok::With {
                self.next();
                else_list = Some(vec![self.control(ControlKind::With)?]);
            } else {
                let (l, end) = self.item_list()?;
                match end {
                    Parsed::End => else_list = Some(l),
                    _ => return self.error("expected end; found {{else}}"),
                }
            }
        }
        Ok(Node::Control {
            kind,
            pipe,
            list,
            else_list,
        })
    }

    fn pipeline(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        let start = self.peek_non_space();
        let mut pipe = Pipe {
            pos: start.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        self.declarations(&mut pipe, context)?;
        loop {
            let item = self.next_non_space();
            match item.typ {
                t if t == end => {
                    self.check_pipeline(&pipe, context)?;
                    return Ok(pipe);
                }
                Tok::Bool
                | Tok::CharConstant
                | Tok::Dot
                | Tok::Field
                | Tok::Identifier
                | Tok::Number
                | Tok::Nil
                | Tok::RawString
                | Tok::String
                | Tok::Variable
                | Tok::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return self.unexpected(&item, context),
            }
        }
    }

    fn declarations(&mut self, pipe: &mut Pipe, context: &str) -> PResult<()> {
        loop {
            let v = self.peek_non_space();
            if v.typ != Tok::Variable {
                return Ok(());
            }
            let save = self.idx;
            self.next_non_space();
            let next = self.peek_non_space();
            match next.typ {
                Tok::Assign | Tok::Declare => {
                    pipe.is_assign = next.typ == Tok::Assign;
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                    return Ok(());
                }
                Tok::Char if next.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().typ {
                            Tok::Variable | Tok::RightDelim | Tok::RightParen => continue,
                            _ => return self.error("range can only initialize variables"),
                        }
                    }
                    return self.error(format!("too many declarations in {context}"));
                }
                _ => {
                    self.idx = save;
                    return Ok(());
                }
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.error(format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(
                    Arg::Bool(..)
                        | Arg::Dot(_)
                        | Arg::Nil(_)
                        | Arg::Number { .. }
                        | Arg::Str { .. }
                )
            ) {
                return self.error(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                ));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Command {
            pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let item = self.next();
            match item.typ {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RightParen => self.backup(),
                Tok::Pipe => {}
                _ => return self.unexpected(&item, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.error("empty command");
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ != Tok::Field {
            return Ok(Some(node));
        }
        let mut fields = Vec::new();
        let pos = self.peek().pos;
        while self.peek().typ == Tok::Field {
            fields.push(self.next().val.trim_start_matches('.').to_string());
        }
        Ok(Some(match node {
            // Like Go, a merged chain is positioned at its second element.
            Arg::Field { mut idents, .. } => {
                idents.extend(fields);
                Arg::Field { pos, idents }
            }
            Arg::Variable {
                name, mut idents, ..
            } => {
                idents.extend(fields);
                Arg::Variable { pos, name, idents }
            }
            Arg::Bool(..) | Arg::Str { .. } | Arg::Number { .. } | Arg::Nil(_) | Arg::Dot(_) => {
                let shown = crate::gofmt::go_quote(&node.to_string());
                return self.error(format!("unexpected . after term {shown}"));
            }
            other => Arg::Chain {
                pos,
                node: Box::new(other),
                fields,
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let item = self.next_non_space();
        let pos = item.pos;
        Ok(Some(match item.typ {
            Tok::Identifier => {
                if !is_function(&item.val) {
                    let name = crate::gofmt::go_quote(&item.val);
                    return self.error(format!("function {name} not defined"));
                }
                Arg::Ident {
                    pos,
                    name: item.val,
                }
            }
            Tok::Dot => Arg::Dot(pos),
            Tok::Nil => Arg::Nil(pos),
            Tok::Variable => {
                if !self.vars.contains(&item.val) {
                    let name = crate::gofmt::go_quote(&item.val);
                    return self.error(format!("undefined variable {name}"));
                }
                Arg::Variable {
                    pos,
                    name: item.val,
                    idents: Vec::new(),
                }
            }
            Tok::Field => Arg::Field {
                pos,
                idents: vec![item.val.trim_start_matches('.').to_string()],
            },
            Tok::Bool => Arg::Bool(pos, item.val == "true"),
            Tok::Number | Tok::CharConstant => {
                let value = match parse_number(&item) {
                    Some(v) => v,
                    None => {
                        let shown = crate::gofmt::go_quote(&item.val);
                        return self.error(format!("illegal number syntax: {shown}"));
                    }
                };
                Arg::Number {
                    pos,
                    text: item.val,
                    value,
                }
            }
            Tok::LeftParen => {
                let pipe =
                    self.nested(|p| p.pipeline("parenthesized pipeline", Tok::RightParen))?;
                Arg::Pipe(Box::new(pipe))
            }
            Tok::String | Tok::RawString => {
                let Some(value) = unquote(&item.val) else {
                    return self.error("invalid syntax");
                };
                Arg::Str {
                    pos,
                    quoted: item.val,
                    value,
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

/// Parses a number or character constant into an int or float value.
fn parse_number(item: &Item) -> Option<Value> {
    if item.typ == Tok::CharConstant {
        let inner = item.val.strip_prefix('\'')?.strip_suffix('\'')?;
        let s = unquote_body(inner, '\'')?;
        let mut chars = s.chars();
        let c = chars.next()?;
        return chars.next().is_none().then(|| Value::from(c as u32));
    }
    let text = item.val.replace('_', "");
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text.strip_prefix('+').unwrap_or(&text)),
    };
    let radix = |p: &str, r: u32| -> Option<i64> {
        let digits = body
            .strip_prefix(p)
            .or_else(|| body.strip_prefix(&p.to_uppercase()))?;
        i64::from_str_radix(digits, r).ok()
    };
    let int = radix("0x", 16)
        .or_else(|| radix("0o", 8))
        .or_else(|| radix("0b", 2))
        .or_else(|| body.parse::<i64>().ok());
    if let Some(i) = int {
        return Some(Value::from(if neg { -i } else { i }));
    }
    if !body.contains(['.', 'e', 'E']) {
        return None;
    }
    let f: f64 = body.parse().ok()?;
    serde_json::Number::from_f64(if neg { -f } else { f }).map(Value::Number)
}

/// Unquotes a Go string literal (`"..."` with escapes, or a raw `` `...` ``).
pub(crate) fn unquote(s: &str) -> Option<String> {
    if let Some(raw) = s.strip_prefix('`') {
        return raw.strip_suffix('`').map(|r| r.replace('\r', ""));
    }
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    unquote_body(inner, '"')
}

fn unquote_body(inner: &str, quote: char) -> Option<String> {
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == quote || c == '\n' {
            return None;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        let hex = |chars: &mut std::str::Chars, n: usize| -> Option<u32> {
            let s: String = chars.by_ref().take(n).collect();
            if s.len() != n {
                return None;
            }
            u32::from_str_radix(&s, 16).ok()
        };
        match e {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            c if c == quote => out.push(c),
            'x' => out.push(char::from_u32(hex(&mut chars, 2)?)?),
            'u' => out.push(char::from_u32(hex(&mut chars, 4)?)?),
            'U' => out.push(char::from_u32(hex(&mut chars, 8)?)?),
            '0'..='7' => {
                let rest: String = chars.by_ref().take(2).collect();
                let v = u32::from_str_radix(&format!("{e}{rest}"), 8).ok()?;
                if rest.len() != 2 || v > 255 {
                    return None;
                }
                out.push(char::from_u32(v)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        match parse(s) {
            Ok(_) => "ok".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn go_parse_errors() {
        let p = "template parsing error: template: :1: ";
        assert_eq!(err("{{ .ID }"), format!("{p}unexpected \"}}\" in operand"));
        assert_eq!(err("{{.ID}"), format!("{p}bad character U+007D '}}'"));
        assert_eq!(err("{{.ID"), format!("{p}unclosed action"));
        assert_eq!(err("{{end}}"), format!("{p}unexpected {{{{end}}}}"));
        assert_eq!(err("{{if .X}}a"), format!("{p}unexpected EOF"));
        assert_eq!(
            err("{{foo .X}}"),
            format!("{p}function \"foo\" not defined")
        );
        assert_eq!(err("{{$x}}"), format!("{p}undefined variable \"$x\""));
        assert_eq!(err("{{}}"), format!("{p}missing value for command"));
        assert_eq!(err("{{if}}{{end}}"), format!("{p}missing value for if"));
        assert_eq!(
            err("{{break}}"),
            format!("{p}{{{{break}}}} outside {{{{range}}}}")
        );
        assert_eq!(
            err("{{.X | 3}}"),
            format!("{p}non executable command in pipeline stage 2")
        );
        assert_eq!(
            err("{{\"a\".B}}"),
            format!("{p}unexpected . after term \"\\\"a\\\"\"")
        );
        assert_eq!(
            err("a\n{{.X}"),
            "template parsing error: template: :2: bad character U+007D '}'"
        );
    }

    /// Found by fuzzing: a thousand nested parentheses or `if`s overflowed the stack (a
    /// process abort); now Go's error past [`MAX_DEPTH`] levels.
    #[test]
    fn deep_nesting_is_an_error() {
        let n = 1000;
        for text in [
            format!("{{{{{}.ID{}}}}}", "(".repeat(n), ")".repeat(n)),
            format!("{}x{}", "{{if .}}".repeat(n), "{{end}}".repeat(n)),
            format!("{}x{}", "{{range .}}".repeat(n), "{{end}}".repeat(n)),
            format!("{{{{if .}}}}{}{{{{end}}}}", "{{else if .}}".repeat(n)),
        ] {
            assert_eq!(
                err(&text),
                "template parsing error: template: :1: max expression depth exceeded"
            );
        }
        let ok = format!(
            "{}x{}",
            "{{with .}}".repeat(MAX_DEPTH),
            "{{end}}".repeat(MAX_DEPTH)
        );
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn parses_controls() {
        assert_eq!(err("{{if .A}}x{{else if .B}}y{{else}}z{{end}}"), "ok");
        assert_eq!(err("{{range $i, $e := .L}}{{$i}}{{$e}}{{end}}"), "ok");
        assert_eq!(
            err("{{with $x := .A}}{{$x}}{{end}}{{$x}}"),
            "template parsing error: template: :1: undefined variable \"$x\""
        );
        assert_eq!(err("{{range .L}}{{break}}{{end}}"), "ok");
    }

    #[test]
    fn unquotes() {
        assert_eq!(unquote("\"a\\tb\\u00e9\"").as_deref(), Some("a\tbé"));
        assert_eq!(unquote("`a\\t`").as_deref(), Some("a\\t"));
        assert_eq!(unquote("\"\\q\""), None);
    }
}
