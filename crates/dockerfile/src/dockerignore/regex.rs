//! The small part of Go's RE2 syntax that moby's pattern compiler can emit, parsed and run as
//! a Pike VM (no backtracking, no captures). Supported: literals, `.`, `[...]` classes with
//! ranges, negation, escapes, Perl (`\d \s \w`) and POSIX (`[:alpha:]`) classes, groups,
//! `*` `+` `?` (lazy suffix accepted), `^`, `$`, `\A`, `\z`, `\b`, `\B`.
//! Unsupported escapes (`\p`, `\x`, octal) are reported as errors.

/// A compiled expression.
#[derive(Debug, Clone)]
pub(super) struct Regex {
    prog: Vec<Inst>,
}

#[derive(Debug, Clone)]
enum Pred {
    Lit(char),
    AnyNotNl,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

#[derive(Debug, Clone, Copy)]
enum Assert {
    Begin,
    End,
    WordBoundary,
    NotWordBoundary,
}

#[derive(Debug, Clone)]
enum Node {
    Pred(Pred),
    Assert(Assert),
    Group(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min1: bool,
        many: bool,
    },
}

#[derive(Debug, Clone)]
enum Inst {
    Pred(Pred),
    Assert(Assert),
    Split(usize, usize),
    Jmp(usize),
    Match,
}

impl Pred {
    fn matches(&self, c: char) -> bool {
        match self {
            Pred::Lit(l) => *l == c,
            Pred::AnyNotNl => c != '\n',
            Pred::Class { negated, ranges } => {
                ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *negated
            }
        }
    }
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Assert {
    fn holds(self, prev: Option<char>, next: Option<char>) -> bool {
        match self {
            Assert::Begin => prev.is_none(),
            Assert::End => next.is_none(),
            Assert::WordBoundary => is_word(prev) != is_word(next),
            Assert::NotWordBoundary => is_word(prev) == is_word(next),
        }
    }
}

struct Parser<'a> {
    chars: &'a [char],
    pos: usize,
}

impl Regex {
    /// Parses `src`; errors are short descriptions in the spirit of Go's.
    pub(super) fn new(src: &str) -> Result<Self, String> {
        let chars: Vec<char> = src.chars().collect();
        let mut p = Parser {
            chars: &chars,
            pos: 0,
        };
        let nodes = p.sequence(false)?;
        let mut prog = Vec::new();
        for n in &nodes {
            emit(n, &mut prog);
        }
        prog.push(Inst::Match);
        Ok(Self { prog })
    }

    /// Whether the expression matches `text` starting at its first character (every
    /// expression moby builds begins with `^`, so this equals Go's `MatchString`).
    pub(super) fn is_match(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        let mut clist = Vec::new();
        let mut seen = vec![usize::MAX; self.prog.len()];
        self.add(&mut clist, &mut seen, 0, 0, None, chars.first().copied());
        for i in 0..=chars.len() {
            if clist
                .iter()
                .any(|pc| matches!(self.prog.get(*pc), Some(Inst::Match)))
            {
                return true;
            }
            let Some(&c) = chars.get(i) else { break };
            let mut nlist = Vec::new();
            for &pc in &clist {
                if let Some(Inst::Pred(p)) = self.prog.get(pc) {
                    if p.matches(c) {
                        self.add(
                            &mut nlist,
                            &mut seen,
                            pc + 1,
                            i + 1,
                            Some(c),
                            chars.get(i + 1).copied(),
                        );
                    }
                }
            }
            clist = nlist;
            if clist.is_empty() {
                return false;
            }
        }
        false
    }

    /// Adds `pc` and everything reachable from it without consuming input.
    fn add(
        &self,
        list: &mut Vec<usize>,
        seen: &mut [usize],
        pc: usize,
        step: usize,
        prev: Option<char>,
        next: Option<char>,
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
                Some(Inst::Assert(a)) if a.holds(prev, next) => todo.push(pc + 1),
                Some(Inst::Assert(_)) => {}
                Some(_) => list.push(pc),
                None => {}
            }
        }
    }
}

fn emit(node: &Node, prog: &mut Vec<Inst>) {
    match node {
        Node::Pred(p) => prog.push(Inst::Pred(p.clone())),
        Node::Assert(a) => prog.push(Inst::Assert(*a)),
        Node::Group(nodes) => nodes.iter().for_each(|n| emit(n, prog)),
        Node::Repeat { node, min1, many } => {
            // `x+` is `x x*`; `x*` is split(body; jmp split); `x?` is split(body).
            if *min1 {
                emit(node, prog);
            }
            let split = prog.len();
            prog.push(Inst::Jmp(0));
            emit(node, prog);
            if *many {
                prog.push(Inst::Jmp(split));
            }
            let end = prog.len();
            prog[split] = Inst::Split(split + 1, end);
        }
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek();
        self.pos += usize::from(c.is_some());
        c
    }

    fn sequence(&mut self, in_group: bool) -> Result<Vec<Node>, String> {
        let mut nodes: Vec<Node> = Vec::new();
        while let Some(c) = self.bump() {
            let node = match c {
                ')' if in_group => return Ok(nodes),
                ')' => return Err("unexpected )".into()),
                '(' => Node::Group(self.sequence(true)?),
                '|' => return Err("alternation is not supported".into()),
                '*' | '+' | '?' => {
                    let last = nodes
                        .pop()
                        .ok_or("missing argument to repetition operator")?;
                    if matches!(last, Node::Repeat { .. }) {
                        return Err("invalid nested repetition operator".into());
                    }
                    if self.peek() == Some('?') {
                        self.bump();
                    }
                    Node::Repeat {
                        node: Box::new(last),
                        min1: c == '+',
                        many: c != '?',
                    }
                }
                '{' => Node::Pred(Pred::Lit('{')),
                '.' => Node::Pred(Pred::AnyNotNl),
                '^' => Node::Assert(Assert::Begin),
                '$' => Node::Assert(Assert::End),
                '[' => Node::Pred(self.class()?),
                '\\' => self.escape()?,
                c => Node::Pred(Pred::Lit(c)),
            };
            nodes.push(node);
        }
        if in_group {
            return Err("missing closing )".into());
        }
        Ok(nodes)
    }

    fn escape(&mut self) -> Result<Node, String> {
        let c = self
            .bump()
            .ok_or("trailing backslash at end of expression")?;
        Ok(match c {
            'A' => Node::Assert(Assert::Begin),
            'z' => Node::Assert(Assert::End),
            'b' => Node::Assert(Assert::WordBoundary),
            'B' => Node::Assert(Assert::NotWordBoundary),
            _ => match perl_class(c) {
                Some(p) => p,
                None => Pred::Lit(escaped_char(c)?),
            }
            .into_node(),
        })
    }

    fn class(&mut self) -> Result<Pred, String> {
        let negated = self.peek() == Some('^');
        if negated {
            self.bump();
        }
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let c = self.bump().ok_or("missing closing ]")?;
            if c == ']' && !first {
                break;
            }
            first = false;
            if c == '[' && self.peek() == Some(':') {
                if let Some(mut r) = self.posix_class()? {
                    ranges.append(&mut r);
                    continue;
                }
            }
            let lo = if c == '\\' {
                let e = self.bump().ok_or("missing closing ]")?;
                if let Some(Pred::Class {
                    negated: n,
                    ranges: mut r,
                }) = perl_class(e)
                {
                    ranges.append(&mut if n {
                        negate(&r)
                    } else {
                        std::mem::take(&mut r)
                    });
                    continue;
                }
                escaped_char(e)?
            } else {
                c
            };
            let mut hi = lo;
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|n| *n != ']') {
                self.bump();
                let h = self.bump().ok_or("missing closing ]")?;
                hi = if h == '\\' {
                    escaped_char(self.bump().ok_or("missing closing ]")?)?
                } else {
                    h
                };
                if hi < lo {
                    return Err(format!("invalid character class range: {lo}-{hi}"));
                }
            }
            ranges.push((lo, hi));
        }
        Ok(Pred::Class { negated, ranges })
    }

    /// `[:name:]` or `[:^name:]` after the `[` was read; `None` when it is not one.
    fn posix_class(&mut self) -> Result<Option<Vec<(char, char)>>, String> {
        let rest: String = self.chars[self.pos..].iter().collect();
        // The closing `:]` comes after the opening `:` (RE2 searches after `[:`), so `[:]`
        // alone is not a class name.
        let Some(end) = rest.get(1..).and_then(|r| r.find(":]")).map(|i| i + 1) else {
            return Ok(None);
        };
        let body = &rest[1..end];
        let (neg, name) = match body.strip_prefix('^') {
            Some(n) => (true, n),
            None => (false, body),
        };
        let r: Vec<(char, char)> = match name {
            "alnum" => vec![('0', '9'), ('A', 'Z'), ('a', 'z')],
            "alpha" => vec![('A', 'Z'), ('a', 'z')],
            "ascii" => vec![('\0', '\u{7f}')],
            "blank" => vec![('\t', '\t'), (' ', ' ')],
            "cntrl" => vec![('\0', '\u{1f}'), ('\u{7f}', '\u{7f}')],
            "digit" => vec![('0', '9')],
            "graph" => vec![('!', '~')],
            "lower" => vec![('a', 'z')],
            "print" => vec![(' ', '~')],
            "punct" => vec![('!', '/'), (':', '@'), ('[', '`'), ('{', '~')],
            "space" => vec![('\t', '\r'), (' ', ' ')],
            "upper" => vec![('A', 'Z')],
            "word" => vec![('0', '9'), ('A', 'Z'), ('a', 'z'), ('_', '_')],
            "xdigit" => vec![('0', '9'), ('A', 'F'), ('a', 'f')],
            _ => return Err(format!("invalid character class range: [:{body}:]")),
        };
        self.pos += body.chars().count() + 3;
        Ok(Some(if neg { negate(&r) } else { r }))
    }
}

impl Pred {
    fn into_node(self) -> Node {
        Node::Pred(self)
    }
}

/// `\d \D \s \S \w \W` (ASCII, as in RE2).
fn perl_class(c: char) -> Option<Pred> {
    let ranges = match c.to_ascii_lowercase() {
        'd' => vec![('0', '9')],
        's' => vec![('\t', '\n'), ('\u{c}', '\r'), (' ', ' ')],
        'w' => vec![('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')],
        _ => return None,
    };
    Some(Pred::Class {
        negated: c.is_ascii_uppercase(),
        ranges,
    })
}

/// The character an escape stands for: ASCII punctuation, or `\a \f \t \n \r \v`.
fn escaped_char(c: char) -> Result<char, String> {
    Ok(match c {
        'a' => '\u{7}',
        'f' => '\u{c}',
        't' => '\t',
        'n' => '\n',
        'r' => '\r',
        'v' => '\u{b}',
        c if c.is_ascii_punctuation() => c,
        c => return Err(format!("invalid escape sequence: \\{c}")),
    })
}

/// The complement of sorted-or-not ranges over all of Unicode.
fn negate(ranges: &[(char, char)]) -> Vec<(char, char)> {
    let mut sorted = ranges.to_vec();
    sorted.sort();
    let mut out = Vec::new();
    let mut next = 0u32;
    for (lo, hi) in sorted {
        if (lo as u32) > next {
            if let (Some(a), Some(b)) = (char::from_u32(next), char::from_u32(lo as u32 - 1)) {
                out.push((a, b));
            }
        }
        next = next.max(hi as u32 + 1);
    }
    if let Some(a) = char::from_u32(next) {
        out.push((a, char::MAX));
    }
    out
}
