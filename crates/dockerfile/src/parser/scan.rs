//! The line assembler: BuildKit's `Parse` loop over physical lines (continuations, comments,
//! directives, heredoc bodies, line spans).

use super::directives::DirectiveScanner;
use super::error::ParseError;
use super::heredoc::heredocs_from_line;
use super::instruction::instruction_from_line;
use super::{Directives, Dockerfile, Warning};

/// BuildKit's maximum line length (Go `bufio.Scanner`'s token limit minus the newline).
const MAX_LINE: usize = 65_535;

/// Parses Dockerfile bytes. Invalid UTF-8 is replaced by U+FFFD.
///
/// Errors: no instructions (`file with no instructions`), a repeated directive, an invalid
/// `escape` value, a too-long line, `ENV`/`LABEL` legacy form without a value, a JSON array with
/// a non-string element, an unterminated heredoc.
pub fn parse(input: &[u8]) -> Result<Dockerfile, ParseError> {
    let text = String::from_utf8_lossy(input);
    let lines = split_lines(&text);
    for (i, l) in lines.iter().enumerate() {
        if too_long(l) {
            return Err(ParseError::new(
                i + 1,
                i + 1,
                1,
                format!("dockerfile line greater than max allowed size of {MAX_LINE}"),
                "",
            ));
        }
    }
    Parser {
        lines,
        cur: 0,
        dirs: DirectiveScanner::new(),
        out: Dockerfile::default(),
    }
    .run()
}

/// Splits like BuildKit's `scanLines`: on `\n`, keeping each line's ending, no empty last line.
fn split_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// Go's `bufio.Scanner` limit: a line plus its `\n` must fit in 65536 bytes.
fn too_long(raw: &str) -> bool {
    raw.len() > MAX_LINE + 1 || (!raw.ends_with('\n') && raw.len() > MAX_LINE)
}

/// `trimNewline`: strips all trailing `\r` and `\n`.
fn trim_newline(s: &str) -> &str {
    s.trim_end_matches(['\r', '\n'])
}

/// `isComment`: first non-whitespace character is `#`.
fn is_comment(s: &str) -> bool {
    trim_newline(s).trim_start().starts_with('#')
}

/// `trimContinuationCharacter`: `([^E])E[ \t]*$|^E[ \t]*$` removes the escape and trailing
/// blanks. Returns the line and whether the instruction ends here.
fn trim_continuation(line: &str, escape: char) -> (&str, bool) {
    let body = line.trim_end_matches([' ', '\t']);
    let Some(before) = body.strip_suffix(escape) else {
        return (line, true);
    };
    if before.ends_with(escape) {
        return (line, true);
    }
    (before, false)
}

/// The parsing state.
struct Parser<'a> {
    lines: Vec<&'a str>,
    /// Number of physical lines consumed (BuildKit's `currentLine`).
    cur: usize,
    dirs: DirectiveScanner,
    out: Dockerfile,
}

/// The first physical line of an instruction: its text (continuation removed), whether
/// the instruction ends there, its line number and column.
struct LineStart<'a> {
    head: &'a str,
    end: bool,
    line: usize,
    column: usize,
}

impl<'a> Parser<'a> {
    /// Reads every instruction, with its comments and heredoc bodies.
    fn run(mut self) -> Result<Dockerfile, ParseError> {
        let mut comments: Vec<String> = Vec::new();
        while self.cur < self.lines.len() {
            let Some(start) = self.start_instruction(&mut comments)? else {
                continue;
            };
            let line = self.join_continuations(&start);
            let mut inst = self.instruction(&line, start.line, start.column)?;
            inst.comments = std::mem::take(&mut comments);
            self.out.instructions.push(inst);
        }
        if self.out.instructions.is_empty() {
            let l = self.cur.max(1);
            return Err(ParseError::new(l, l, 1, "file with no instructions", ""));
        }
        self.out.directives = Directives {
            all: self.dirs.found,
            escape: self.dirs.escape,
        };
        Ok(self.out)
    }

    /// Consumes one physical line: collects a comment into `comments`, feeds the
    /// directive scanner; `None` when no instruction starts on it.
    fn start_instruction(
        &mut self,
        comments: &mut Vec<String>,
    ) -> Result<Option<LineStart<'a>>, ParseError> {
        let first = self.lines[self.cur];
        let raw = if self.cur == 0 {
            first.strip_prefix('\u{feff}').unwrap_or(first)
        } else {
            first
        };
        let token = trim_newline(raw).trim_start();
        let column = trim_newline(raw).chars().count() - token.chars().count() + 1;
        if let Some(c) = token.strip_prefix('#') {
            let c = c.trim();
            if c.is_empty() {
                comments.clear();
            } else {
                comments.push(c.to_string());
            }
        }
        self.cur += 1;
        let line_no = self.cur;
        self.dirs
            .line(token, line_no)
            .map_err(|m| ParseError::new(line_no, line_no, column, m, token))?;
        let processed = if token.starts_with('#') { "" } else { token };
        let (head, end) = trim_continuation(processed, self.dirs.escape);
        if end && head.is_empty() {
            return Ok(None);
        }
        Ok(Some(LineStart {
            head,
            end,
            line: line_no,
            column,
        }))
    }

    /// The logical line: the continuation lines joined on (comment lines skipped; empty
    /// ones skipped with a `NoEmptyContinuation` warning).
    fn join_continuations(&mut self, start: &LineStart) -> String {
        let mut line = start.head.to_string();
        let mut end = start.end;
        let mut empty_continuation = false;
        while !end {
            let Some(&next) = self.lines.get(self.cur) else {
                break;
            };
            self.cur += 1;
            let t = trim_newline(next);
            if is_comment(t) {
                continue;
            }
            if t.trim_start().is_empty() {
                empty_continuation = true;
                continue;
            }
            let (c, e) = trim_continuation(t, self.dirs.escape);
            end = e;
            line.push_str(c);
        }
        if empty_continuation {
            self.out.warnings.push(Warning {
                rule: "NoEmptyContinuation".into(),
                message: format!("Empty continuation line found in: {line}"),
                start_line: start.line,
                end_line: self.cur,
            });
        }
        line
    }

    /// The instruction on logical `line`, with the bodies of its heredocs (RUN, COPY and
    /// ADD, also as ONBUILD triggers, not in JSON form).
    fn instruction(
        &mut self,
        line: &str,
        start_line: usize,
        column: usize,
    ) -> Result<super::Instruction, ParseError> {
        let mut inst = instruction_from_line(line, self.dirs.escape, 0)
            .map_err(|e| ParseError::new(start_line, self.cur, column, e.0, line.trim()))?;
        let heredoc_target = match &inst.trigger {
            Some(t) if inst.keyword == "onbuild" => t.as_ref(),
            _ => &inst,
        };
        let can_heredoc = matches!(heredoc_target.keyword.as_str(), "run" | "copy" | "add")
            && !heredoc_target.json;
        if can_heredoc && line.contains("<<") {
            let mut docs = heredocs_from_line(line);
            for doc in &mut docs {
                self.read_heredoc_body(doc, start_line, column)?;
            }
            inst.heredocs = docs;
        }
        inst.start_line = start_line;
        inst.end_line = self.cur;
        inst.column = column;
        Ok(inst)
    }

    /// Consumes raw lines up to the heredoc's terminator.
    fn read_heredoc_body(
        &mut self,
        doc: &mut super::Heredoc,
        start_line: usize,
        column: usize,
    ) -> Result<(), ParseError> {
        while let Some(&raw) = self.lines.get(self.cur) {
            self.cur += 1;
            let mut candidate = trim_newline(raw);
            if doc.chomp {
                candidate = candidate.trim_start_matches('\t');
            }
            if candidate == doc.name {
                return Ok(());
            }
            doc.content.push_str(raw);
        }
        Err(ParseError::new(
            start_line,
            self.cur,
            column,
            "unterminated heredoc",
            format!("<<{}{}", if doc.chomp { "-" } else { "" }, doc.name),
        ))
    }
}
