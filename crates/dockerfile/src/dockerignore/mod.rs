//! `.dockerignore` with moby's exact semantics (`github.com/moby/patternmatcher` and its
//! `ignorefile` reader, as used by BuildKit and the fsutil walker).
//!
//! Paths are slash-separated and relative to the context root. A path is excluded when the
//! last pattern that matches it or one of its parent directories is not a `!` exception.
//! `*` and `?` never cross `/`; `**` does; `[...]` classes negate with `^` only (`[!a]` is
//! the class of `!` and `a`); `\` escapes the next character.

mod clean;
mod pattern;
mod read;

pub use pattern::Pattern;
pub use read::read_patterns;

use std::fmt;

/// A bad ignore file: an entry that is just `!`, or a pattern with a syntax error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreError {
    message: String,
}

impl fmt::Display for IgnoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for IgnoreError {}

/// A parsed ignore file.
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
}

impl DockerIgnore {
    /// Parses the text of an ignore file (`ignorefile.ReadAll` then `patternmatcher.New`).
    ///
    /// Unlike moby, which compiles lazily and fails on the first path checked against a bad
    /// pattern, every pattern is checked here, so a bad one fails the parse.
    pub fn parse(text: &str) -> Result<Self, IgnoreError> {
        Self::from_patterns(read_patterns(text))
    }

    /// Builds a matcher from already-read pattern strings (`patternmatcher.New`).
    pub fn from_patterns<I, S>(patterns: I) -> Result<Self, IgnoreError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out = Vec::new();
        for raw in patterns {
            match Pattern::new(raw.as_ref()) {
                Ok(Some(p)) => out.push(p),
                Ok(None) => {}
                Err(message) => return Err(IgnoreError { message }),
            }
        }
        Ok(Self { patterns: out })
    }

    /// The patterns, in file order.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// Whether any pattern is a `!` exception.
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(Pattern::is_exclusion)
    }

    /// Whether `path` is excluded from the context (moby's `MatchesOrParentMatches`): each
    /// pattern is tried against the path and then against each of its parent directories.
    /// The context root itself (`.` or empty) is never excluded.
    pub fn matches(&self, path: &str) -> bool {
        let path = clean::clean(path.trim_start_matches('/'));
        if path == "." {
            return false;
        }
        let parents: Vec<&str> = match path.rfind('/') {
            Some(i) => path[..i].split('/').collect(),
            None => Vec::new(),
        };
        let mut matched = false;
        for pattern in &self.patterns {
            if pattern.is_exclusion() != matched {
                continue;
            }
            let mut hit = pattern.matches(&path);
            if !hit {
                let mut prefix = String::new();
                for dir in &parents {
                    if !prefix.is_empty() {
                        prefix.push('/');
                    }
                    prefix.push_str(dir);
                    if pattern.matches(&prefix) {
                        hit = true;
                        break;
                    }
                }
            }
            if hit {
                matched = !pattern.is_exclusion();
            }
        }
        matched
    }

    /// Whether a `!` exception could re-include something below the directory `dir`, so a
    /// walker must look inside `dir` even when `dir` itself is excluded. As in moby's
    /// archiver and fsutil's walker, a plain exception counts only when it names `dir` or a
    /// path inside it (`!junk/keep.txt` for `junk`); as in fsutil, an exception containing
    /// any of `* ? [ ] ^ \` could match anywhere, so it always counts (moby's legacy
    /// archiver applies the prefix test to those too, and so skips `junk` for
    /// `!**/keep.txt`; BuildKit walks it).
    pub fn may_reinclude_below(&self, dir: &str) -> bool {
        let dir = clean::clean(dir.trim_start_matches('/'));
        let dir_slash = format!("{dir}/");
        let mut exceptions = self.patterns.iter().filter(|p| p.is_exclusion());
        exceptions.any(|p| {
            p.as_str().contains(['*', '?', '[', ']', '^', '\\'])
                || format!("{}/", p.as_str()).starts_with(&dir_slash)
        })
    }

    /// Whether a walker may skip the whole directory `dir` without looking inside: it is
    /// excluded and no `!` exception could re-include anything below it
    /// ([`Self::may_reinclude_below`]). A directory that is excluded but not skipped is
    /// still part of the context when something below it is re-included: it is there as
    /// the parent of those entries, holding only them.
    pub fn can_skip_dir(&self, dir: &str) -> bool {
        self.matches(dir) && !self.may_reinclude_below(dir)
    }
}

/// Picks the ignore file for a build: `<dockerfile>.dockerignore` (next to the Dockerfile)
/// wins over `.dockerignore` at the context root. `read` returns a file's text, or `None`
/// when it does not exist. Returns the chosen name and its text, or `None` if neither exists.
pub fn select_ignore_file<F>(dockerfile: &str, mut read: F) -> Option<(String, String)>
where
    F: FnMut(&str) -> Option<String>,
{
    let specific = format!("{dockerfile}.dockerignore");
    if let Some(text) = read(&specific) {
        return Some((specific, text));
    }
    read(".dockerignore").map(|text| (".dockerignore".to_string(), text))
}
