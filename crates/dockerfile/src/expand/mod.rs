//! BuildKit's shell-word expansion (`frontend/dockerfile/shell/lex.go`), operator for operator.
//!
//! [`Lexer`] removes quotes, handles the escape token and expands `$VAR` / `${VAR…}` against a
//! build-time environment, exactly as BuildKit does for ADD, COPY, ENV, EXPOSE, FROM, LABEL,
//! STOPSIGNAL, USER, VOLUME, WORKDIR and ARG. Supported forms: `$name`, `${name}`,
//! `${name:-w}`, `${name-w}`, `${name:+w}`, `${name+w}`, `${name:?msg}`, `${name?msg}`,
//! `${name#p}`, `${name##p}`, `${name%p}`, `${name%%p}`, `${name/p/r}` and `${name//p/r}`.
//! Everything else (`${#v}`, `${v:1:2}`, `${v=w}`, `$(…)`) is an error or literal text, as in
//! BuildKit. Error messages are BuildKit's, including the `failed to process "…": ` prefix.

mod env;
mod error;
mod pattern;
mod word;

pub use env::{EnvList, EnvLookup};
pub use error::ExpandError;

use std::collections::BTreeSet;

/// The result of one expansion, with the variables it consulted (BuildKit's
/// `ProcessWordResult`). The build cache keys on `matched` and lints on `unmatched`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expansion {
    /// The expanded word, whitespace kept as is (`ProcessWord`).
    pub result: String,
    /// The expanded word split on unquoted whitespace (`ProcessWords`).
    pub words: Vec<String>,
    /// Names looked up and found in the environment.
    pub matched: BTreeSet<String>,
    /// Names looked up and not found.
    pub unmatched: BTreeSet<String>,
}

/// A configured shell-word lexer (BuildKit's `shell.Lex`).
///
/// The defaults match `shell.NewLex(escape)`: quotes are processed and removed, escapes are
/// consumed, and an unset variable expands to the empty string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lexer {
    /// The escape character: `\` by default, or `` ` `` after `# escape=``.
    pub escape: char,
    /// Keep quote characters in the output (`RawQuotes`).
    pub raw_quotes: bool,
    /// Keep escape characters in the output (`RawEscapes`).
    pub raw_escapes: bool,
    /// Treat quotes as ordinary characters (`SkipProcessQuotes`, used for heredoc bodies).
    pub skip_process_quotes: bool,
    /// Leave references to unset variables as written (`SkipUnsetEnv`).
    pub skip_unset_env: bool,
}

impl Default for Lexer {
    fn default() -> Self {
        Self::new('\\')
    }
}

impl Lexer {
    /// A lexer with the given escape token and BuildKit's default options.
    pub fn new(escape: char) -> Self {
        Self {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_process_quotes: false,
            skip_unset_env: false,
        }
    }

    /// Expands `word` into one string (BuildKit's `ProcessWord`).
    pub fn process_word(&self, word: &str, env: &dyn EnvLookup) -> Result<String, ExpandError> {
        self.process_word_with_matches(word, env).map(|e| e.result)
    }

    /// Expands `word` and splits the result on unquoted whitespace (BuildKit's `ProcessWords`).
    ///
    /// Like BuildKit, nested `${v:-…}`-style operators share one word buffer with the
    /// enclosing word, so text before such an operator in the same word is dropped from
    /// the split result (`abc${X:-def}ghi` gives `["defghi"]`). `process_word` is unaffected.
    pub fn process_words(
        &self,
        word: &str,
        env: &dyn EnvLookup,
    ) -> Result<Vec<String>, ExpandError> {
        self.process_word_with_matches(word, env).map(|e| e.words)
    }

    /// Expands `word` and reports which variables it used (BuildKit's
    /// `ProcessWordWithMatches`).
    pub fn process_word_with_matches(
        &self,
        word: &str,
        env: &dyn EnvLookup,
    ) -> Result<Expansion, ExpandError> {
        let mut state = word::ShellWord::new(self, word, env);
        match state.process() {
            Ok((result, words)) => Ok(Expansion {
                result,
                words,
                matched: state.matched,
                unmatched: state.unmatched,
            }),
            Err(message) => Err(ExpandError::new(word, message)),
        }
    }
}

/// `Lexer::new('\\').process_word(word, env)`.
pub fn process_word(word: &str, env: &dyn EnvLookup) -> Result<String, ExpandError> {
    Lexer::default().process_word(word, env)
}

/// `Lexer::new('\\').process_words(word, env)`.
pub fn process_words(word: &str, env: &dyn EnvLookup) -> Result<Vec<String>, ExpandError> {
    Lexer::default().process_words(word, env)
}
