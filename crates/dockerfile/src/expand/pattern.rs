//! The glob patterns of `${v#p}`, `${v%p}` and `${v/p/r}`: BuildKit's
//! `convertShellPatternToRegex` plus Go regexp's leftmost-first matching, without regexps.
//!
//! `*` matches any run of characters and `?` one character (neither matches a newline, as in
//! Go's `.`); `\*`, `\?`, `\\` are literal; `\}` and `\/` stand for `}` and `/`; any other
//! `\x` is an error. There are no bracket expressions.

use super::word::{is_digit, is_letter};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(char),
    Any,
    Star,
}

/// Compiles a pattern; errors are worded like BuildKit's.
fn compile(pattern: &str) -> Result<Vec<Tok>, String> {
    let mut chars = pattern.chars().peekable();
    if chars.peek() == Some(&'\u{FEFF}') {
        chars.next();
    }
    let mut out = Vec::new();
    while let Some(tok) = chars.next() {
        match tok {
            '*' => out.push(Tok::Star),
            '?' => out.push(Tok::Any),
            '\\' => {
                if matches!(chars.peek(), Some('}' | '/')) {
                    continue;
                }
                match chars.next() {
                    Some(c @ ('*' | '?' | '\\')) => out.push(Tok::Lit(c)),
                    other => {
                        let c = other.unwrap_or('\u{FFFD}');
                        return Err(format!(
                            "invalid pattern ({pattern}) in substitution: invalid escape '\\{c}'"
                        ));
                    }
                }
            }
            c => out.push(Tok::Lit(c)),
        }
    }
    Ok(out)
}

/// One instruction of the compiled pattern.
#[derive(Debug, Clone, Copy)]
enum Inst {
    Lit(char),
    /// Any character but a newline (Go's `.`).
    Any,
    /// Try both, the first with higher priority.
    Split(usize, usize),
    Jmp(usize),
    Match,
}

/// A Pike VM with thread priorities, which gives Go regexp's leftmost-first matches in
/// time linear in pattern length times text length.
struct Matcher<'a> {
    prog: Vec<Inst>,
    text: &'a [char],
}

impl<'a> Matcher<'a> {
    fn new(toks: &[Tok], text: &'a [char], greedy: bool) -> Self {
        let mut prog = Vec::with_capacity(toks.len() * 3 + 1);
        for tok in toks {
            match tok {
                Tok::Lit(c) => prog.push(Inst::Lit(*c)),
                Tok::Any => prog.push(Inst::Any),
                Tok::Star => {
                    let l = prog.len();
                    let (body, skip) = (l + 1, l + 3);
                    prog.push(if greedy {
                        Inst::Split(body, skip)
                    } else {
                        Inst::Split(skip, body)
                    });
                    prog.push(Inst::Any);
                    prog.push(Inst::Jmp(l));
                }
            }
        }
        prog.push(Inst::Match);
        Self { prog, text }
    }

    /// Appends `pc`'s closure to `list` in priority order; `seen` marks this step's states.
    fn add(
        &self,
        list: &mut Vec<(usize, usize)>,
        seen: &mut [usize],
        step: usize,
        pc: usize,
        start: usize,
    ) {
        let mut todo = vec![pc];
        while let Some(pc) = todo.pop() {
            let Some(mark) = seen.get_mut(pc) else {
                continue;
            };
            if *mark == step {
                continue;
            }
            *mark = step;
            match self.prog.get(pc) {
                Some(Inst::Jmp(t)) => todo.push(*t),
                Some(Inst::Split(a, b)) => {
                    todo.push(*b);
                    todo.push(*a);
                }
                Some(_) => list.push((pc, start)),
                None => {}
            }
        }
    }

    /// Leftmost-first match starting at `from` (anchored) or at/after it: `(start, end)`.
    fn find(&self, from: usize, anchored: bool) -> Option<(usize, usize)> {
        let mut seen = vec![usize::MAX; self.prog.len()];
        let mut clist: Vec<(usize, usize)> = Vec::new();
        let mut found = None;
        for i in from..=self.text.len() {
            if found.is_none() && (!anchored || i == from) {
                self.add(&mut clist, &mut seen, i, 0, i);
            }
            if clist.is_empty() && (found.is_some() || anchored) {
                break;
            }
            let mut nlist = Vec::new();
            for &(pc, start) in &clist {
                let ok = match (self.prog.get(pc), self.text.get(i)) {
                    (Some(Inst::Match), _) => {
                        found = Some((start, i));
                        break;
                    }
                    (Some(Inst::Lit(l)), Some(c)) => l == c,
                    (Some(Inst::Any), Some(c)) => *c != '\n',
                    _ => false,
                };
                if ok {
                    self.add(&mut nlist, &mut seen, i + 1, pc + 1, start);
                }
            }
            clist = nlist;
        }
        found
    }
}

/// `${value#pattern}` / `${value##pattern}`.
pub(super) fn trim_prefix(pattern: &str, value: &str, greedy: bool) -> Result<String, String> {
    let toks = compile(pattern)?;
    let text: Vec<char> = value.chars().collect();
    let m = Matcher::new(&toks, &text, greedy);
    Ok(match m.find(0, true) {
        Some((_, end)) => text[end..].iter().collect(),
        None => value.to_string(),
    })
}

/// `${value%pattern}` / `${value%%pattern}`: reverses pattern and value, then trims a prefix.
pub(super) fn trim_suffix(pattern: &str, value: &str, greedy: bool) -> Result<String, String> {
    let reversed: String = value.chars().rev().collect();
    let trimmed = trim_prefix(&reverse_pattern(pattern), &reversed, greedy)?;
    Ok(trimmed.chars().rev().collect())
}

/// Reverses a pattern while keeping each `\x` pair in order (`a\*c` -> `c\*a`).
fn reverse_pattern(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = vec!['\0'; chars.len()];
    let last = chars.len().saturating_sub(1);
    let mut i = 0;
    while i < chars.len() {
        let o = last - i;
        if chars[i] == '\\' && i != last {
            out[o - 1] = '\\';
            out[o] = chars[i + 1];
            i += 2;
        } else {
            out[o] = chars[i];
            i += 1;
        }
    }
    out.into_iter().collect()
}

/// `${value/pattern/replacement}` (first match) and `${value//pattern/replacement}` (all).
pub(super) fn replace(
    pattern: &str,
    value: &str,
    replacement: &str,
    all: bool,
) -> Result<String, String> {
    let toks = compile(pattern)?;
    let text: Vec<char> = value.chars().collect();
    let m = Matcher::new(&toks, &text, true);
    if !all {
        return Ok(match m.find(0, false) {
            Some((s, e)) => {
                let mut out: String = text[..s].iter().collect();
                out.push_str(replacement);
                out.extend(&text[e..]);
                out
            }
            None => value.to_string(),
        });
    }
    // Go's Regexp.ReplaceAllString, including its empty-match rules and `$` templates.
    let mut out = String::new();
    let (mut last_end, mut search) = (0, 0);
    while search <= text.len() {
        let Some((s, e)) = m.find(search, false) else {
            break;
        };
        out.extend(&text[last_end..s]);
        if e > last_end || s == 0 {
            let matched: String = text[s..e].iter().collect();
            out.push_str(&expand_template(replacement, &matched));
        }
        last_end = e;
        let width = usize::from(search < text.len());
        if search + width > e {
            search += width;
        } else if search + 1 > e {
            search += 1;
        } else {
            search = e;
        }
    }
    out.extend(&text[last_end.min(text.len())..]);
    Ok(out)
}

/// Go's `Regexp.Expand` for a regexp whose only group is the whole match (`$0`).
fn expand_template(template: &str, whole: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('$') {
            out.push('$');
            rest = r;
            continue;
        }
        match extract(rest) {
            None => out.push('$'),
            Some((num, r)) => {
                if num == Some(0) {
                    out.push_str(whole);
                }
                rest = r;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Go's `regexp.extract`: a `name` or `{name}` after `$`; `Some(n)` when it is a group number.
fn extract(s: &str) -> Option<(Option<u64>, &str)> {
    let (brace, body) = match s.strip_prefix('{') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let len: usize = body
        .chars()
        .take_while(|c| is_letter(*c) || is_digit(*c) || *c == '_')
        .map(char::len_utf8)
        .sum();
    if len == 0 {
        return None;
    }
    let name = &body[..len];
    let mut rest = &body[len..];
    if brace {
        rest = rest.strip_prefix('}')?;
    }
    let mut num: Option<u64> = Some(0);
    for b in name.bytes() {
        num = match num {
            Some(n) if b.is_ascii_digit() && n < 100_000_000 => Some(n * 10 + u64::from(b - b'0')),
            _ => None,
        };
    }
    if name.len() > 1 && name.starts_with('0') {
        num = None;
    }
    Some((num, rest))
}
