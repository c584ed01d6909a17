//! One ignore pattern, compiled as moby's `patternmatcher.Pattern.compile` does: plain text is
//! an exact match, `dir/**` a prefix match, `**/x` a suffix match, anything else a regexp
//! (`*` -> `[^/]*`, `?` -> `[^/]`, `**` -> `(.*/)?` or `.*`, `[...]` passed through). The
//! regexps run on regex-lite, the workspace's regex engine (RE2-like syntax, no Unicode
//! tables), as moby's run on Go's `regexp`.

use super::clean::clean;
use regex_lite::Regex;

/// How a pattern is matched.
#[derive(Debug, Clone)]
enum Kind {
    Exact,
    /// The pattern minus its trailing `**`.
    Prefix(String),
    /// The pattern minus its leading `**`.
    Suffix(String),
    Regex(Regex),
}

/// One cleaned pattern from an ignore file.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    exclusion: bool,
    kind: Kind,
}

impl Pattern {
    /// Parses one entry as `patternmatcher.New` does; `None` for a blank entry.
    pub(super) fn new(raw: &str) -> Result<Option<Self>, String> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        let cleaned = clean(trimmed);
        let (exclusion, text) = match cleaned.strip_prefix('!') {
            Some("") => return Err("illegal exclusion pattern: \"!\"".to_string()),
            Some(rest) => (true, rest.to_string()),
            None => (false, cleaned),
        };
        validate(&text).map_err(|()| format!("syntax error in pattern: {text:?}"))?;
        let kind = compile(&text).map_err(|e| format!("syntax error in pattern {text:?}: {e}"))?;
        Ok(Some(Self {
            text,
            exclusion,
            kind,
        }))
    }

    /// The cleaned pattern text, without any `!`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether this is a `!` re-inclusion.
    pub fn is_exclusion(&self) -> bool {
        self.exclusion
    }

    /// Whether the slash-separated relative `path` matches this pattern (no parent logic).
    pub fn matches(&self, path: &str) -> bool {
        match &self.kind {
            Kind::Exact => path == self.text,
            Kind::Prefix(p) => path.starts_with(p.as_str()),
            Kind::Suffix(s) => {
                path.ends_with(s.as_str()) || s.strip_prefix('/').is_some_and(|rest| path == rest)
            }
            Kind::Regex(re) => re.is_match(path),
        }
    }
}

/// moby's compile: chooses the match type and builds the regexp text.
fn compile(pattern: &str) -> Result<Kind, String> {
    #[derive(PartialEq)]
    enum T {
        Exact,
        Prefix,
        Suffix,
        Regex,
    }
    let chars: Vec<char> = pattern.chars().collect();
    let mut re = String::from("^");
    let mut t = T::Exact;
    let mut i = 0;
    let mut first = true;
    // Inside `[...]` of the regexp text so far, as Go's regexp reads it (see `class_bracket`).
    let mut in_class = false;
    while let Some(&ch) = chars.get(i) {
        i += 1;
        match ch {
            '*' | '?' | '[' if in_class => {
                i = class_bracket(&chars, i, ch, &mut re, &mut in_class);
                t = T::Regex;
            }
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i >= chars.len() {
                    if t == T::Exact {
                        t = T::Prefix;
                    } else {
                        re.push_str(".*");
                        t = T::Regex;
                    }
                } else {
                    // `(.*/)?(.*/)?` matches what `(.*/)?` does: a run of `**/` compiles to
                    // one group, so a hostile run stays within regex-lite's size limit.
                    if !re.ends_with("(.*/)?") {
                        re.push_str("(.*/)?");
                    }
                    t = T::Regex;
                }
                if first {
                    t = T::Suffix;
                }
            }
            '*' => {
                if !re.ends_with("[^/]*") {
                    re.push_str("[^/]*");
                }
                t = T::Regex;
            }
            '?' => {
                re.push_str("[^/]");
                t = T::Regex;
            }
            '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                re.push('\\');
                re.push(ch);
            }
            '\\' => match chars.get(i) {
                Some(&next) => {
                    i += 1;
                    re.push('\\');
                    re.push(next);
                    t = T::Regex;
                }
                None => re.push('\\'),
            },
            '[' | ']' => {
                re.push(ch);
                in_class = ch == '[';
                t = T::Regex;
            }
            c => re.push(c),
        }
        first = false;
    }
    Ok(match t {
        T::Exact => Kind::Exact,
        T::Prefix => Kind::Prefix(strip_last_two(pattern)),
        T::Suffix => Kind::Suffix(pattern.chars().skip(2).collect()),
        T::Regex => {
            re.push('$');
            Kind::Regex(Regex::new(&re).map_err(|e| e.to_string())?)
        }
    })
}

/// A `[` met inside a class of the regexp text, written so that regex-lite reads it as Go's
/// regexp (moby's engine) does: Go takes `[` inside a class as itself unless it opens a
/// POSIX class `[:name:]`, where regex-lite would open a nested class. `*` and `?` inside a
/// class become moby's `[^/]*` and `[^/]` there, whose `[` is such a literal and whose `]`
/// ends the class. `i` is just past `ch`; returns where to go on.
fn class_bracket(
    chars: &[char],
    i: usize,
    ch: char,
    re: &mut String,
    in_class: &mut bool,
) -> usize {
    match ch {
        '*' | '?' => {
            re.push_str("\\[^/]");
            *in_class = false;
            if ch == '*' {
                re.push('*');
            }
            i
        }
        _ => {
            let named = (chars.get(i) == Some(&':'))
                .then(|| {
                    (i + 1..chars.len().saturating_sub(1)).find(|&j| chars[j..j + 2] == [':', ']'])
                })
                .flatten()
                .map(|j| j + 2 - i);
            match named {
                Some(len) => {
                    re.push('[');
                    re.extend(&chars[i..i + len]);
                    i + len
                }
                None => {
                    re.push_str("\\[");
                    i
                }
            }
        }
    }
}

fn strip_last_two(s: &str) -> String {
    let n = s.chars().count().saturating_sub(2);
    s.chars().take(n).collect()
}

/// The syntax check of Go's `filepath.Match`: `\` must escape something, and every `[...]`
/// needs at least one item, no unescaped `-` or `]` where an item is expected, and a `]`.
fn validate(pattern: &str) -> Result<(), ()> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        match c {
            '\\' => {
                if i >= chars.len() {
                    return Err(());
                }
                i += 1;
            }
            '[' => {
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                let mut n = 0;
                loop {
                    if chars.get(i) == Some(&']') && n > 0 {
                        i += 1;
                        break;
                    }
                    i = class_item(&chars, i)?;
                    if chars.get(i) == Some(&'-') {
                        i = class_item(&chars, i + 1)?;
                    }
                    n += 1;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Go's `getEsc`: one (possibly escaped) class character, which must not end the pattern.
fn class_item(chars: &[char], mut i: usize) -> Result<usize, ()> {
    match chars.get(i) {
        None | Some('-') | Some(']') => return Err(()),
        Some('\\') => i += 1,
        Some(_) => {}
    }
    if i >= chars.len() {
        return Err(());
    }
    i += 1;
    if i >= chars.len() {
        return Err(());
    }
    Ok(i)
}
