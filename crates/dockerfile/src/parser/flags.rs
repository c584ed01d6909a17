//! Leading `--flag[=value]` words of an instruction (BuildKit's `extractBuilderFlags`).

/// Splits leading `--flag` words off `line`; returns `(rest, flags)`.
///
/// Flag words stop at the first word not starting with `--`; a bare `--` word is consumed and ends
/// the flags. Inside a flag word quotes are removed and `\` keeps the next character (always `\`,
/// whatever the escape directive says, as in BuildKit). Unlike BuildKit this works on characters,
/// not bytes, so non-ASCII text in a flag is kept intact.
pub(crate) fn extract_builder_flags(line: &str) -> (&str, Vec<String>) {
    let mut s = FlagScanner {
        chars: line.char_indices().collect(),
        end: line.len(),
        i: 0,
        phase: Phase::Spaces,
        word: String::new(),
        quote: '\0',
        blank_ok: false,
        flags: Vec::new(),
    };
    loop {
        let step = match s.phase {
            Phase::Spaces => s.spaces(),
            Phase::Word => s.word_char(),
            Phase::Quote => s.quoted_char(),
        };
        match step {
            Step::Next => {}
            Step::Rest(off) => return (&line[off..], s.flags),
            Step::End => return ("", s.flags),
        }
    }
}

/// Where the scanner is: between words, in a flag word, or in quotes inside one.
#[derive(PartialEq)]
enum Phase {
    Spaces,
    Word,
    Quote,
}

/// What one step of the scanner found.
enum Step {
    /// Go on.
    Next,
    /// The flags end; the rest of the line starts at this byte offset.
    Rest(usize),
    /// The line ended.
    End,
}

/// The state of [`extract_builder_flags`] over one line.
struct FlagScanner {
    chars: Vec<(usize, char)>,
    /// The line's length (the offset past its last character).
    end: usize,
    i: usize,
    phase: Phase,
    /// The flag word so far.
    word: String,
    /// The quote character of the quotes being read.
    quote: char,
    /// Whether the word counts even when empty (it had quotes).
    blank_ok: bool,
    flags: Vec<String>,
}

impl FlagScanner {
    /// The current character and its offset (`(end, '\0')` past the end).
    fn current(&self) -> (usize, char) {
        self.chars.get(self.i).copied().unwrap_or((self.end, '\0'))
    }

    fn at_end(&self) -> bool {
        self.i >= self.chars.len()
    }

    /// Between words: skips blanks; a word starting with `--` is a flag, any other one
    /// ends the flags.
    fn spaces(&mut self) -> Step {
        if self.at_end() {
            return Step::End;
        }
        let (off, ch) = self.current();
        if ch.is_whitespace() {
            self.i += 1;
            return Step::Next;
        }
        let next_dash = self.chars.get(self.i + 1).map(|c| c.1) == Some('-');
        if ch != '-' || !next_dash {
            return Step::Rest(off);
        }
        self.phase = Phase::Word;
        Step::Next
    }

    /// At the end of the line: the last word is a flag unless it is `--` or empty.
    fn finish(&mut self) -> Step {
        if self.word != "--" && (self.blank_ok || !self.word.is_empty()) {
            self.flags.push(std::mem::take(&mut self.word));
        }
        Step::End
    }

    /// In a flag word: a blank ends it (a bare `--` ends the flags), a quote opens quotes,
    /// `\` keeps the next character.
    fn word_char(&mut self) -> Step {
        if self.at_end() {
            return self.finish();
        }
        let (off, ch) = self.current();
        if ch.is_whitespace() {
            self.phase = Phase::Spaces;
            if self.word == "--" {
                return Step::Rest(off);
            }
            if self.blank_ok || !self.word.is_empty() {
                self.flags.push(std::mem::take(&mut self.word));
            }
            self.word.clear();
            self.blank_ok = false;
            self.i += 1;
            return Step::Next;
        }
        if ch == '\'' || ch == '"' {
            self.quote = ch;
            self.blank_ok = true;
            self.phase = Phase::Quote;
            self.i += 1;
            return Step::Next;
        }
        if ch == '\\' {
            self.i += 1;
            if let Some(&(_, n)) = self.chars.get(self.i) {
                self.word.push(n);
                self.i += 1;
            }
            return Step::Next;
        }
        self.word.push(ch);
        self.i += 1;
        Step::Next
    }

    /// In quotes: the closing quote ends them, `\` keeps the next character (a trailing
    /// one ends the quotes).
    fn quoted_char(&mut self) -> Step {
        if self.at_end() {
            return self.finish();
        }
        let (_, ch) = self.current();
        if ch == self.quote {
            self.phase = Phase::Word;
            self.i += 1;
            return Step::Next;
        }
        if ch == '\\' {
            self.i += 1;
            match self.chars.get(self.i) {
                Some(&(_, n)) => {
                    self.word.push(n);
                    self.i += 1;
                }
                None => self.phase = Phase::Word,
            }
            return Step::Next;
        }
        self.word.push(ch);
        self.i += 1;
        Step::Next
    }
}

#[cfg(test)]
mod tests {
    use super::extract_builder_flags;

    #[test]
    fn flags() {
        assert_eq!(
            extract_builder_flags("--a=b c"),
            ("c", vec!["--a=b".to_string()])
        );
        assert_eq!(
            extract_builder_flags("--a=\"x y\" z").1,
            vec!["--a=x y".to_string()]
        );
        assert_eq!(
            extract_builder_flags("--doit -- foo"),
            (" foo", vec!["--doit".to_string()])
        );
        assert_eq!(extract_builder_flags("--x"), ("", vec!["--x".to_string()]));
        assert_eq!(extract_builder_flags("-x y"), ("-x y", vec![]));
    }
}
