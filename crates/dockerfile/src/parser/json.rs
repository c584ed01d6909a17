//! A JSON array-of-strings reader with Go `encoding/json` strictness, as BuildKit's `parseJSON`
//! sees it: the whole text must be one valid JSON value that is an array; any syntax error means
//! "not JSON" (shell form), while valid JSON with a non-string element is a hard error.
//!
//! Iterative (no recursion), so hostile nesting cannot overflow the stack. Nesting deeper than
//! Go's limit of 10000 is a syntax error, as in Go.

/// Go's `encoding/json` maximum nesting depth.
const MAX_DEPTH: usize = 10_000;

/// Why a text is not a usable exec-form array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// Not valid JSON (or not starting with `[`): the caller falls back to shell form.
    Syntax,
    /// Valid JSON array, but an element is not a string: a parse error.
    NotStrings,
}

/// Parses `text` (leading Unicode whitespace allowed) as a JSON array of strings.
pub(crate) fn parse_string_array(text: &str) -> Result<Vec<String>, JsonError> {
    let text = text.trim_start();
    if !text.starts_with('[') {
        return Err(JsonError::Syntax);
    }
    let mut r = Reader {
        s: text.as_bytes(),
        text,
        pos: 1,
    };
    let mut out = Vec::new();
    let mut all_strings = true;
    r.ws();
    if r.peek() == Some(b']') {
        r.pos += 1;
    } else {
        loop {
            r.ws();
            if r.peek() == Some(b'"') {
                out.push(r.string()?);
            } else {
                all_strings = false;
                r.skip_value(1)?;
            }
            r.ws();
            match r.next() {
                Some(b',') => continue,
                Some(b']') => break,
                _ => return Err(JsonError::Syntax),
            }
        }
    }
    r.ws();
    if r.pos != r.s.len() {
        return Err(JsonError::Syntax);
    }
    if all_strings {
        Ok(out)
    } else {
        Err(JsonError::NotStrings)
    }
}

/// A cursor over the JSON text.
struct Reader<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek();
        if b.is_some() {
            self.pos += 1;
        }
        b
    }

    /// Skips JSON whitespace (space, tab, CR, LF only).
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
    }

    /// Reads a string starting at `"`, decoding escapes like Go (bad surrogates become U+FFFD).
    fn string(&mut self) -> Result<String, JsonError> {
        if self.next() != Some(b'"') {
            return Err(JsonError::Syntax);
        }
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(self.text.get(start..self.pos).ok_or(JsonError::Syntax)?);
            match self.next() {
                Some(b'"') => return Ok(out),
                Some(b'\\') => {}
                _ => return Err(JsonError::Syntax),
            }
            let c = match self.next() {
                Some(b'"') => '"',
                Some(b'\\') => '\\',
                Some(b'/') => '/',
                Some(b'b') => '\u{8}',
                Some(b'f') => '\u{c}',
                Some(b'n') => '\n',
                Some(b'r') => '\r',
                Some(b't') => '\t',
                Some(b'u') => self.unicode_escape()?,
                _ => return Err(JsonError::Syntax),
            };
            out.push(c);
        }
    }

    /// Decodes the rest of a `\uXXXX` escape (and a following low surrogate, if any).
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let hi = self.hex4()?;
        if !(0xD800..0xE000).contains(&hi) {
            return Ok(char::from_u32(hi).unwrap_or('\u{FFFD}'));
        }
        if hi < 0xDC00 && self.s.get(self.pos..self.pos + 2) == Some(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            let lo = self.hex4()?;
            if (0xDC00..0xE000).contains(&lo) {
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            // Go leaves the second escape to be decoded on its own.
            self.pos = save;
        }
        Ok('\u{FFFD}')
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .s
            .get(self.pos..self.pos + 4)
            .ok_or(JsonError::Syntax)?;
        let mut v = 0u32;
        for &d in digits {
            let n = (d as char).to_digit(16).ok_or(JsonError::Syntax)?;
            v = v * 16 + n;
        }
        self.pos += 4;
        Ok(v)
    }

    /// Validates and skips any JSON value; `depth` is the nesting depth of its container.
    fn skip_value(&mut self, depth: usize) -> Result<(), JsonError> {
        // Stack of open containers: true = object, false = array.
        let mut stack: Vec<bool> = Vec::new();
        loop {
            // Expect a value.
            self.ws();
            match self.peek() {
                Some(b'[') | Some(b'{') => {
                    let is_obj = self.peek() == Some(b'{');
                    self.pos += 1;
                    stack.push(is_obj);
                    if depth + stack.len() > MAX_DEPTH {
                        return Err(JsonError::Syntax);
                    }
                    self.ws();
                    let close = if is_obj { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        stack.pop();
                    } else {
                        if is_obj {
                            self.key()?;
                        }
                        continue;
                    }
                }
                Some(b'"') => {
                    self.string()?;
                }
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                _ => return Err(JsonError::Syntax),
            }
            // After a value: close containers or move to the next element.
            loop {
                let Some(&is_obj) = stack.last() else {
                    return Ok(());
                };
                self.ws();
                match self.next() {
                    Some(b',') => {
                        if is_obj {
                            self.ws();
                            self.key()?;
                        }
                        break;
                    }
                    Some(b'}') if is_obj => {
                        stack.pop();
                    }
                    Some(b']') if !is_obj => {
                        stack.pop();
                    }
                    _ => return Err(JsonError::Syntax),
                }
            }
        }
    }

    /// Reads an object key and the following `:`.
    fn key(&mut self) -> Result<(), JsonError> {
        self.string()?;
        self.ws();
        if self.next() != Some(b':') {
            return Err(JsonError::Syntax);
        }
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), JsonError> {
        if self.s.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(JsonError::Syntax)
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<(), JsonError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.next() {
            Some(b'0') => {}
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(JsonError::Syntax),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !self.digits1() {
                return Err(JsonError::Syntax);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !self.digits1() {
                return Err(JsonError::Syntax);
            }
        }
        Ok(())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn digits1(&mut self) -> bool {
        let start = self.pos;
        self.digits();
        self.pos > start
    }
}
