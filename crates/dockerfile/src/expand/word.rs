//! The scanner-driven state machine of BuildKit's `shellWord`: quotes, escapes, `$` forms.

use super::pattern;
use super::{EnvLookup, Lexer};
use std::collections::BTreeSet;

/// How deeply `${…}` may nest before expansion gives up (Go grows its stack; we do not).
const MAX_NESTING: usize = 200;

/// What Go's `string(rune(-1))` prints when a modifier is read at end of input.
const EOF_TEXT: char = '\u{FFFD}';

/// One expansion in progress. `words_buf` is shared by nested `process_stop_on` calls,
/// exactly like BuildKit's `shellWord.wordsBuffer`.
pub(super) struct ShellWord<'a> {
    lex: &'a Lexer,
    env: &'a dyn EnvLookup,
    chars: Vec<char>,
    pos: usize,
    raw_escapes: bool,
    depth: usize,
    words_buf: String,
    pub(super) matched: BTreeSet<String>,
    pub(super) unmatched: BTreeSet<String>,
}

/// The word-splitting state of one `process_stop_on` call (BuildKit's `wordsStruct`).
#[derive(Default)]
struct Words {
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, buf: &mut String, ch: char) {
        if ch.is_whitespace() && self.in_word {
            if !buf.is_empty() {
                self.words.push(std::mem::take(buf));
                self.in_word = false;
            }
        } else if !ch.is_whitespace() {
            self.add_raw_char(buf, ch);
        }
    }

    fn add_raw_char(&mut self, buf: &mut String, ch: char) {
        buf.push(ch);
        self.in_word = true;
    }

    fn add_string(&mut self, buf: &mut String, s: &str) {
        for ch in s.chars() {
            self.add_char(buf, ch);
        }
    }

    fn add_raw_string(&mut self, buf: &mut String, s: &str) {
        buf.push_str(s);
        self.in_word = true;
    }

    fn finish(mut self, buf: &mut String) -> Vec<String> {
        if !buf.is_empty() {
            self.words.push(std::mem::take(buf));
        }
        self.words
    }
}

impl<'a> ShellWord<'a> {
    pub(super) fn new(lex: &'a Lexer, word: &str, env: &'a dyn EnvLookup) -> Self {
        let mut chars: Vec<char> = word.chars().collect();
        // Go's text/scanner drops a byte-order mark at the very start.
        if chars.first() == Some(&'\u{FEFF}') {
            chars.remove(0);
        }
        Self {
            lex,
            env,
            chars,
            pos: 0,
            raw_escapes: lex.raw_escapes,
            depth: 0,
            words_buf: String::new(),
            matched: BTreeSet::new(),
            unmatched: BTreeSet::new(),
        }
    }

    /// Expands the whole input.
    pub(super) fn process(&mut self) -> Result<(String, Vec<String>), String> {
        let raw = self.raw_escapes;
        self.process_stop_on(None, raw)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let ch = self.peek();
        if ch.is_some() {
            self.pos += 1;
        }
        ch
    }

    /// Processes until `stop` (consumed) or end of input when `stop` is `None`.
    fn process_stop_on(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
    ) -> Result<(String, Vec<String>), String> {
        let saved = self.raw_escapes;
        self.raw_escapes = raw_escapes;
        let out = self.stop_on_inner(stop);
        self.raw_escapes = saved;
        out
    }

    fn stop_on_inner(&mut self, stop: Option<char>) -> Result<(String, Vec<String>), String> {
        let mut result = String::new();
        self.words_buf.clear();
        let mut words = Words::default();
        let quotes = !self.lex.skip_process_quotes;
        while let Some(ch) = self.peek() {
            if stop == Some(ch) {
                self.next();
                return Ok((result, words.finish(&mut self.words_buf)));
            }
            if ch == '$' || (quotes && (ch == '\'' || ch == '"')) {
                let tmp = match ch {
                    '$' => self.dollar()?,
                    '\'' => self.single_quote()?,
                    _ => self.double_quote()?,
                };
                result.push_str(&tmp);
                if ch == '$' {
                    words.add_string(&mut self.words_buf, &tmp);
                } else {
                    words.add_raw_string(&mut self.words_buf, &tmp);
                }
                continue;
            }
            self.next();
            let mut ch = ch;
            if ch == self.lex.escape {
                if self.raw_escapes {
                    words.add_raw_char(&mut self.words_buf, ch);
                    result.push(ch);
                }
                match self.next() {
                    None => break,
                    Some(escaped) => ch = escaped,
                }
                words.add_raw_char(&mut self.words_buf, ch);
            } else {
                words.add_char(&mut self.words_buf, ch);
            }
            result.push(ch);
        }
        if let Some(stop) = stop {
            return Err(format!(
                "unexpected end of statement while looking for matching {stop}"
            ));
        }
        Ok((result, words.finish(&mut self.words_buf)))
    }

    fn single_quote(&mut self) -> Result<String, String> {
        let mut result = String::new();
        if let Some(q) = self.next() {
            if self.lex.raw_quotes {
                result.push(q);
            }
        }
        loop {
            match self.next() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching single-quote"
                            .to_string(),
                    )
                }
                Some('\'') => {
                    if self.lex.raw_quotes {
                        result.push('\'');
                    }
                    return Ok(result);
                }
                Some(ch) => result.push(ch),
            }
        }
    }

    fn double_quote(&mut self) -> Result<String, String> {
        let mut result = String::new();
        if let Some(q) = self.next() {
            if self.lex.raw_quotes {
                result.push(q);
            }
        }
        loop {
            match self.peek() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching double-quote"
                            .to_string(),
                    )
                }
                Some('"') => {
                    self.next();
                    if self.lex.raw_quotes {
                        result.push('"');
                    }
                    return Ok(result);
                }
                Some('$') => {
                    let value = self.dollar()?;
                    result.push_str(&value);
                }
                Some(mut ch) => {
                    self.next();
                    if ch == self.lex.escape {
                        if self.raw_escapes {
                            result.push(ch);
                        }
                        match self.peek() {
                            None => continue,
                            Some(n) if n == '"' || n == '$' || n == self.lex.escape => {
                                self.next();
                                ch = n;
                            }
                            Some(_) => {}
                        }
                    }
                    result.push(ch);
                }
            }
        }
    }

    fn get_env(&mut self, name: &str) -> Option<String> {
        match self.env.lookup(name) {
            Some(v) => {
                self.matched.insert(name.to_string());
                Some(v.to_string())
            }
            None => {
                self.unmatched.insert(name.to_string());
                None
            }
        }
    }

    fn dollar(&mut self) -> Result<String, String> {
        if self.depth >= MAX_NESTING {
            return Err("syntax error: substitutions nested too deeply".to_string());
        }
        self.depth += 1;
        let out = self.dollar_inner();
        self.depth -= 1;
        out
    }

    fn dollar_inner(&mut self) -> Result<String, String> {
        self.next();
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".to_string());
            }
            return Ok(match self.get_env(&name) {
                Some(v) => v,
                None if self.lex.skip_unset_env => format!("${name}"),
                None => String::new(),
            });
        }
        self.next();
        match self.peek() {
            None => return Err("syntax error: missing '}'".to_string()),
            Some('{' | '}' | ':') => return Err("syntax error: bad substitution".to_string()),
            Some(_) => {}
        }
        let name = self.name();
        let mut ch = self.next();
        let mut chs = ch.unwrap_or(EOF_TEXT).to_string();
        let mut null_is_unset = false;
        match ch {
            Some('}') => Ok(match self.get_env(&name) {
                Some(v) => v,
                None if self.lex.skip_unset_env => format!("${{{name}}}"),
                None => String::new(),
            }),
            Some(':') | Some('+' | '-' | '?' | '#' | '%') => {
                if ch == Some(':') {
                    null_is_unset = true;
                    ch = self.next();
                    chs.push(ch.unwrap_or(EOF_TEXT));
                }
                self.modifier(&name, ch, &chs, null_is_unset)
            }
            Some('/') => self.substitute(&name),
            _ => Err(format!("unsupported modifier ({chs}) in substitution")),
        }
    }

    /// `${name<op>word}` for `-`, `+`, `?`, `#`, `%` (with or without a leading `:`).
    fn modifier(
        &mut self,
        name: &str,
        ch: Option<char>,
        chs: &str,
        null_is_unset: bool,
    ) -> Result<String, String> {
        let raw = matches!(ch, Some('#' | '%'));
        if null_is_unset && raw {
            return Err(format!("unsupported modifier ({chs}) in substitution"));
        }
        let word = self.stop_on_or_missing('}', raw, "syntax error: missing '}'")?;
        let value = self.get_env(name);
        if self.lex.skip_unset_env && value.is_none() {
            return Ok(format!("${{{name}{chs}{word}}}"));
        }
        let empty = value
            .as_deref()
            .is_none_or(|v| null_is_unset && v.is_empty());
        match ch {
            Some('-') => Ok(if empty {
                word
            } else {
                value.unwrap_or_default()
            }),
            Some('+') => Ok(if empty { String::new() } else { word }),
            Some('?') => match value {
                None => Err(required(name, &word, "is not allowed to be unset")),
                Some(v) if null_is_unset && v.is_empty() => {
                    Err(required(name, &word, "is not allowed to be empty"))
                }
                Some(v) => Ok(v),
            },
            Some(op @ ('#' | '%')) => {
                let (pat, greedy) = match word.strip_prefix(op) {
                    Some(rest) => (rest, true),
                    None => (word.as_str(), false),
                };
                let value = value.unwrap_or_default();
                if op == '%' {
                    pattern::trim_suffix(pat, &value, greedy)
                } else {
                    pattern::trim_prefix(pat, &value, greedy)
                }
            }
            _ => Err(format!("unsupported modifier ({chs}) in substitution")),
        }
    }

    /// `${name/pattern/replacement}` and `${name//pattern/replacement}`.
    fn substitute(&mut self, name: &str) -> Result<String, String> {
        let all = self.peek() == Some('/');
        if all {
            self.next();
        }
        let pat = self.stop_on_or_missing('/', true, "syntax error: missing '/' in ${}")?;
        let replacement = self.stop_on_or_missing('}', true, "syntax error: missing '}'")?;
        let value = self.get_env(name);
        if self.lex.skip_unset_env && value.is_none() {
            return Ok(format!("${{{name}/{pat}/{replacement}}}"));
        }
        pattern::replace(&pat, &value.unwrap_or_default(), &replacement, all)
    }

    /// A nested `process_stop_on`, whose failure at end of input becomes `missing`.
    fn stop_on_or_missing(
        &mut self,
        stop: char,
        raw: bool,
        missing: &str,
    ) -> Result<String, String> {
        match self.process_stop_on(Some(stop), raw) {
            Ok((word, _)) => Ok(word),
            Err(_) if self.peek().is_none() => Err(missing.to_string()),
            Err(e) => Err(e),
        }
    }

    /// Reads a variable name: a run of digits, one special parameter, or letters/digits/`_`.
    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && is_digit(ch) {
                while let Some(d) = self.peek().filter(|c| is_digit(*c)) {
                    self.next();
                    name.push(d);
                }
                return name;
            }
            if name.is_empty() && is_special_param(ch) {
                self.next();
                return ch.to_string();
            }
            if !is_letter(ch) && !is_digit(ch) && ch != '_' {
                break;
            }
            self.next();
            name.push(ch);
        }
        name
    }
}

fn required(name: &str, word: &str, default: &str) -> String {
    let message = if word.is_empty() { default } else { word };
    format!("{name}: {message}")
}

/// POSIX special parameters; never set in a Dockerfile.
fn is_special_param(ch: char) -> bool {
    matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0')
}

/// Go's `unicode.IsDigit` (approximated by `is_numeric` outside ASCII).
pub(super) fn is_digit(ch: char) -> bool {
    ch.is_ascii_digit() || (!ch.is_ascii() && ch.is_numeric())
}

/// Go's `unicode.IsLetter` (approximated by `is_alphabetic` outside ASCII).
pub(super) fn is_letter(ch: char) -> bool {
    ch.is_ascii_alphabetic() || (!ch.is_ascii() && ch.is_alphabetic())
}
