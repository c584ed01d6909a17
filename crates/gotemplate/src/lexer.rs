//! Lexer for Go `text/template` syntax, mirroring Go's `text/template/parse/lex.go`
//! (default `{{`/`}}` delimiters, trim markers, comments, `break`/`continue`).

use crate::gofmt::go_char_u;

/// Kind of a lexical item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    Error,
    Bool,
    Char,
    CharConstant,
    Comment,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords.
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

/// A lexical item: kind, text, byte offset and 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    pub typ: Tok,
    pub val: String,
    pub pos: usize,
    pub line: usize,
}

impl std::fmt::Display for Item {
    /// Renders like Go's `item.String`, used in "unexpected X in Y" messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.typ {
            Tok::Eof => f.write_str("EOF"),
            Tok::Error => f.write_str(&self.val),
            t if t >= Tok::Block => write!(f, "<{}>", self.val),
            _ => {
                let chars: Vec<char> = self.val.chars().collect();
                if chars.len() > 10 {
                    let head: String = chars[..10].iter().collect();
                    write!(f, "{}...", crate::gofmt::go_quote(&head))
                } else {
                    f.write_str(&crate::gofmt::go_quote(&self.val))
                }
            }
        }
    }
}

impl PartialOrd for Tok {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some((*self as u8).cmp(&(*other as u8)))
    }
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

fn has_left_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

fn keyword(word: &str) -> Option<Tok> {
    Some(match word {
        "." => Tok::Dot,
        "block" => Tok::Block,
        "break" => Tok::Break,
        "continue" => Tok::Continue,
        "define" => Tok::Define,
        "else" => Tok::Else,
        "end" => Tok::End,
        "if" => Tok::If,
        "range" => Tok::Range,
        "nil" => Tok::Nil,
        "template" => Tok::Template,
        "with" => Tok::With,
        _ => return None,
    })
}

/// Splits `input` into items. Lexing stops after the first `Error` item,
/// which is always the last one; otherwise the last item is `Eof`.
pub(crate) fn lex(input: &str) -> Vec<Item> {
    let mut l = Lexer {
        input,
        start: 0,
        pos: 0,
        line: 1,
        start_line: 1,
        paren_depth: 0,
        items: Vec::new(),
    };
    l.run();
    l.items
}

struct Lexer<'a> {
    input: &'a str,
    start: usize,
    pos: usize,
    line: usize,
    start_line: usize,
    paren_depth: i32,
    items: Vec<Item>,
}

#[derive(Clone, Copy)]
enum State {
    Text,
    LeftDelim,
    InsideAction,
    Done,
}

impl<'a> Lexer<'a> {
    fn run(&mut self) {
        let mut state = State::Text;
        loop {
            state = match state {
                State::Text => self.lex_text(),
                State::LeftDelim => self.lex_left_delim(),
                State::InsideAction => self.lex_inside_action(),
                State::Done => return,
            };
        }
    }

    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn backup(&mut self, c: Option<char>) {
        if let Some(c) = c {
            self.pos -= c.len_utf8();
            if c == '\n' {
                self.line -= 1;
            }
        }
    }

    fn emit(&mut self, typ: Tok) {
        let val = self.input[self.start..self.pos].to_string();
        self.items.push(Item {
            typ,
            val,
            pos: self.start,
            line: self.start_line,
        });
        self.ignore();
    }

    fn ignore(&mut self) {
        self.start = self.pos;
        self.start_line = self.line;
    }

    /// Moves `pos` forward by `n` bytes, counting newlines.
    fn skip(&mut self, n: usize) {
        self.line += self.input[self.pos..self.pos + n].matches('\n').count();
        self.pos += n;
    }

    fn error(&mut self, msg: String) -> State {
        self.items.push(Item {
            typ: Tok::Error,
            val: msg,
            pos: self.start,
            line: self.start_line,
        });
        State::Done
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim(rest) && rest[2..].starts_with(RIGHT) {
            return (true, true);
        }
        (rest.starts_with(RIGHT), false)
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.rest().starts_with(RIGHT),
        }
    }

    fn lex_text(&mut self) -> State {
        if let Some(x) = self.rest().find(LEFT) {
            if x > 0 {
                let text_end = self.pos + x;
                let delim_end = text_end + LEFT.len();
                let mut trim = 0;
                if has_left_trim(&self.input[delim_end..]) {
                    let text = &self.input[self.start..text_end];
                    trim = text.len() - text.trim_end_matches(is_space).len();
                }
                self.skip(x - trim);
                if self.pos > self.start {
                    self.emit(Tok::Text);
                }
                self.skip(trim);
                self.ignore();
            }
            return State::LeftDelim;
        }
        self.skip(self.rest().len());
        if self.pos > self.start {
            self.emit(Tok::Text);
        }
        self.emit(Tok::Eof);
        State::Done
    }

    fn lex_left_delim(&mut self) -> State {
        self.skip(LEFT.len());
        let trim = has_left_trim(self.rest());
        let after = if trim { 2 } else { 0 };
        if self.rest()[after..].starts_with(LEFT_COMMENT) {
            self.skip(after);
            self.ignore();
            return self.lex_comment();
        }
        self.emit(Tok::LeftDelim);
        self.skip(after);
        self.ignore();
        self.paren_depth = 0;
        State::InsideAction
    }

    fn lex_comment(&mut self) -> State {
        self.skip(LEFT_COMMENT.len());
        let Some(x) = self.rest().find(RIGHT_COMMENT) else {
            return self.error("unclosed comment".into());
        };
        self.skip(x + RIGHT_COMMENT.len());
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.error("comment ends before closing delimiter".into());
        }
        self.emit(Tok::Comment);
        if trim {
            self.skip(2);
        }
        self.skip(RIGHT.len());
        if trim {
            self.skip_left_trim();
        }
        self.ignore();
        State::Text
    }

    fn skip_left_trim(&mut self) {
        let rest = self.rest();
        let n = rest.len() - rest.trim_start_matches(is_space).len();
        self.skip(n);
    }

    fn lex_right_delim(&mut self) -> State {
        let (_, trim) = self.at_right_delim();
        if trim {
            self.skip(2);
            self.ignore();
        }
        self.skip(RIGHT.len());
        self.emit(Tok::RightDelim);
        if trim {
            self.skip_left_trim();
            self.ignore();
        }
        State::Text
    }

    fn lex_inside_action(&mut self) -> State {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return self.lex_right_delim();
            }
            return self.error("unclosed left paren".into());
        }
        let r = self.next();
        match r {
            None => return self.error("unclosed action".into()),
            Some(c) if is_space(c) => {
                self.backup(r);
                return self.lex_space();
            }
            Some('=') => self.emit(Tok::Assign),
            Some(':') => {
                if self.next() != Some('=') {
                    return self.error("expected :=".into());
                }
                self.emit(Tok::Declare);
            }
            Some('|') => self.emit(Tok::Pipe),
            Some('"') => return self.lex_quote(),
            Some('`') => return self.lex_raw_quote(),
            Some('$') => return self.lex_variable(),
            Some('\'') => return self.lex_char(),
            Some('.') if !matches!(self.peek(), Some('0'..='9')) => {
                return self.lex_field_or_variable(Tok::Field)
            }
            Some('.' | '+' | '-' | '0'..='9') => {
                self.backup(r);
                return self.lex_number();
            }
            Some(c) if is_alnum(c) => {
                self.backup(r);
                return self.lex_identifier();
            }
            Some('(') => {
                self.emit(Tok::LeftParen);
                self.paren_depth += 1;
            }
            Some(')') => {
                self.emit(Tok::RightParen);
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return self.error("unexpected right paren".into());
                }
            }
            Some(c) if c.is_ascii() && !c.is_ascii_control() => self.emit(Tok::Char),
            Some(c) => {
                return self.error(format!(
                    "unrecognized character in action: {}",
                    go_char_u(c)
                ))
            }
        }
        State::InsideAction
    }

    fn lex_space(&mut self) -> State {
        let mut n = 0;
        while let Some(c) = self.peek() {
            if !is_space(c) {
                break;
            }
            self.next();
            n += 1;
        }
        let before = &self.input[self.pos - 1..];
        if has_right_trim(before) && before[2..].starts_with(RIGHT) {
            let c = self.input[..self.pos].chars().next_back();
            self.backup(c);
            if n == 1 {
                return self.lex_right_delim();
            }
        }
        self.emit(Tok::Space);
        State::InsideAction
    }

    fn lex_identifier(&mut self) -> State {
        loop {
            let r = self.next();
            if matches!(r, Some(c) if is_alnum(c)) {
                continue;
            }
            self.backup(r);
            if !self.at_terminator() {
                return self.bad_char(r);
            }
            let word = &self.input[self.start..self.pos];
            let typ = match keyword(word) {
                Some(k) => k,
                None if word.starts_with('.') => Tok::Field,
                None if word == "true" || word == "false" => Tok::Bool,
                None => Tok::Identifier,
            };
            self.emit(typ);
            return State::InsideAction;
        }
    }

    fn bad_char(&mut self, r: Option<char>) -> State {
        let shown = r.map(go_char_u).unwrap_or_else(|| "U+FFFFFFFF".into());
        self.error(format!("bad character {shown}"))
    }

    fn lex_variable(&mut self) -> State {
        if self.at_terminator() {
            self.emit(Tok::Variable);
            return State::InsideAction;
        }
        self.lex_field_or_variable(Tok::Variable)
    }

    fn lex_field_or_variable(&mut self, typ: Tok) -> State {
        if self.at_terminator() {
            self.emit(if typ == Tok::Variable {
                Tok::Variable
            } else {
                Tok::Dot
            });
            return State::InsideAction;
        }
        let mut r;
        loop {
            r = self.next();
            if !matches!(r, Some(c) if is_alnum(c)) {
                self.backup(r);
                break;
            }
        }
        if !self.at_terminator() {
            return self.bad_char(r);
        }
        self.emit(typ);
        State::InsideAction
    }

    fn lex_char(&mut self) -> State {
        loop {
            match self.next() {
                Some('\\') => {
                    if matches!(self.next(), None | Some('\n')) {
                        return self.error("unterminated character constant".into());
                    }
                }
                None | Some('\n') => return self.error("unterminated character constant".into()),
                Some('\'') => break,
                _ => {}
            }
        }
        self.emit(Tok::CharConstant);
        State::InsideAction
    }

    fn lex_number(&mut self) -> State {
        if !self.scan_number() {
            let bad = self.input[self.start..self.pos].to_string();
            return self.error(format!(
                "bad number syntax: {}",
                crate::gofmt::go_quote(&bad)
            ));
        }
        self.emit(Tok::Number);
        State::InsideAction
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.next();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if matches!(self.peek(), Some(c) if is_alnum(c)) {
            self.next();
            return false;
        }
        true
    }

    fn lex_quote(&mut self) -> State {
        loop {
            match self.next() {
                Some('\\') => {
                    if matches!(self.next(), None | Some('\n')) {
                        return self.error("unterminated quoted string".into());
                    }
                }
                None | Some('\n') => return self.error("unterminated quoted string".into()),
                Some('"') => break,
                _ => {}
            }
        }
        self.emit(Tok::String);
        State::InsideAction
    }

    fn lex_raw_quote(&mut self) -> State {
        loop {
            match self.next() {
                None => return self.error("unterminated raw quoted string".into()),
                Some('`') => break,
                _ => {}
            }
        }
        self.emit(Tok::RawString);
        State::InsideAction
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(Tok, String)> {
        lex(s).into_iter().map(|i| (i.typ, i.val)).collect()
    }

    #[test]
    fn text_and_field() {
        assert_eq!(
            kinds("a {{.ID}} b"),
            vec![
                (Tok::Text, "a ".into()),
                (Tok::LeftDelim, "{{".into()),
                (Tok::Field, ".ID".into()),
                (Tok::RightDelim, "}}".into()),
                (Tok::Text, " b".into()),
                (Tok::Eof, "".into()),
            ]
        );
    }

    #[test]
    fn trim_markers() {
        let k = kinds("a  \n{{- .X -}}\n  b");
        assert_eq!(k[0], (Tok::Text, "a".into()));
        assert_eq!(k[2], (Tok::Field, ".X".into()));
        assert_eq!(k[4], (Tok::Text, "b".into()));
    }

    #[test]
    fn negative_number_is_not_trim() {
        let k = kinds("{{-3}}");
        assert_eq!(k[1], (Tok::Number, "-3".into()));
    }

    #[test]
    fn errors() {
        assert_eq!(
            lex("{{.X").last().map(|i| i.val.clone()),
            Some("unclosed action".into())
        );
        assert_eq!(
            lex("{{.X}").last().map(|i| i.val.clone()),
            Some("bad character U+007D '}'".into())
        );
        assert_eq!(
            lex("{{\"abc}}").last().map(|i| i.val.clone()),
            Some("unterminated quoted string".into())
        );
    }

    #[test]
    fn lines_are_tracked() {
        let items = lex("a\nb\n{{.X}}");
        let field = items.iter().find(|i| i.typ == Tok::Field);
        assert_eq!(field.map(|i| i.line), Some(3));
    }

    #[test]
    fn comment_is_skipped() {
        let k = kinds("a {{/* hi */}} b");
        assert_eq!(k[1].0, Tok::Comment);
        assert_eq!(k[2], (Tok::Text, " b".into()));
    }
}
