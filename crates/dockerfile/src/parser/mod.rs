//! BuildKit-compatible Dockerfile parser (`frontend/dockerfile/parser`): line continuation with
//! the escape character, comments, parser directives, flags, per-instruction argument rules,
//! JSON (exec) form, heredocs, and BuildKit's line spans. [`dump`] renders the result exactly
//! like BuildKit's `Node.Dump()`.
//!
//! The parser is purely syntactic, like BuildKit's: unknown instructions and unknown flags are
//! accepted here and rejected by the instruction layer.
//!
//! ```
//! use berth_dockerfile::parser::{dump, parse};
//!
//! let df = parse(b"FROM alpine AS build\nRUN --mount=type=cache,target=/x <<EOF\nmake\nEOF\n")?;
//! assert_eq!(df.instructions[1].flags, ["--mount=type=cache,target=/x"]);
//! assert_eq!(df.instructions[1].heredocs[0].content, "make\n");
//! assert_eq!((df.instructions[1].start_line, df.instructions[1].end_line), (2, 4));
//! assert_eq!(
//!     dump(&df),
//!     "(from \"alpine\" \"AS\" \"build\")\n(run [\"--mount=type=cache,target=/x\"] \"<<EOF\")\n"
//! );
//! # Ok::<(), berth_dockerfile::parser::ParseError>(())
//! ```

mod directives;
mod dump;
mod error;
mod flags;
mod heredoc;
mod instruction;
mod json;
mod scan;
mod words;

pub use dump::{dump, dump_instruction, go_quote};
pub use error::ParseError;
pub use scan::parse;

/// A parsed Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dockerfile {
    /// The parser directives found at the top of the file.
    pub directives: Directives,
    /// The instructions, in source order.
    pub instructions: Vec<Instruction>,
    /// Non-fatal findings (BuildKit's parser warnings, e.g. empty continuation lines).
    pub warnings: Vec<Warning>,
}

/// The parser directives (`# syntax=`, `# escape=`, `# check=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directives {
    /// All recognised directives in source order (names lower-cased).
    pub all: Vec<Directive>,
    /// The escape character in effect: `\` (default) or `` ` ``.
    pub escape: char,
}

impl Default for Directives {
    fn default() -> Self {
        Directives {
            all: Vec::new(),
            escape: '\\',
        }
    }
}

impl Directives {
    /// The value of directive `name` (lower-case), if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.all
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.value.as_str())
    }

    /// The `# syntax=` value, if any.
    pub fn syntax(&self) -> Option<&str> {
        self.get("syntax")
    }

    /// The `# check=` value, if any.
    pub fn check(&self) -> Option<&str> {
        self.get("check")
    }
}

/// One parser directive line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lower-cased name: `syntax`, `escape` or `check`.
    pub name: String,
    /// The value, trimmed.
    pub value: String,
    /// 1-based line number.
    pub line: usize,
}

/// One instruction (BuildKit's child `Node` of the root).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Instruction {
    /// The instruction word, lower-cased (`run`, `copy`, or an unknown word).
    pub keyword: String,
    /// The assembled line (continuations joined, comments removed), as BuildKit's `Original`.
    pub original: String,
    /// Leading `--flag[=value]` words, quotes removed, e.g. `--mount=type=cache,target=/x`.
    pub flags: Vec<String>,
    /// The argument chain (BuildKit's `Next` values), per instruction:
    /// ENV/LABEL: `key, value, sep` triples (`sep` is `=` or `""` for the legacy form);
    /// RUN/CMD/ENTRYPOINT/SHELL: the JSON elements or the whole shell text;
    /// ADD/COPY/VOLUME: JSON elements or whitespace-split words; FROM/EXPOSE: words;
    /// ARG: `parseWords` tokens; HEALTHCHECK: the type word then the command like CMD;
    /// MAINTAINER/USER/WORKDIR/STOPSIGNAL: the rest as one string; unknown: one `""`;
    /// ONBUILD: empty (see `trigger`).
    pub args: Vec<String>,
    /// For ONBUILD: the trigger instruction, parsed with the same rules.
    pub trigger: Option<Box<Instruction>>,
    /// True if the arguments were given in JSON (exec) form.
    pub json: bool,
    /// Heredocs introduced on this line (RUN/COPY/ADD, or ONBUILD wrapping one), in order.
    pub heredocs: Vec<Heredoc>,
    /// Comment lines directly above the instruction (BuildKit's `PrevComment`), `#` removed.
    pub comments: Vec<String>,
    /// 1-based first physical line.
    pub start_line: usize,
    /// 1-based last physical line, including continuation lines and heredoc bodies.
    pub end_line: usize,
    /// 1-based column (in characters) of the instruction word on `start_line`.
    pub column: usize,
}

impl Instruction {
    /// For ENV and LABEL: the `(key, value, legacy_form)` pairs from the `args` triples.
    pub fn key_values(&self) -> Vec<(&str, &str, bool)> {
        self.args
            .chunks_exact(3)
            .map(|t| (t[0].as_str(), t[1].as_str(), t[2].is_empty()))
            .collect()
    }
}

/// A here-document attached to an instruction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter word with quotes removed (`EOF`).
    pub name: String,
    /// The raw body: every line up to the terminator, with its original line ending
    /// (`\n` or `\r\n`).
    pub content: String,
    /// False if any part of the delimiter was quoted (`'EOF'`, `"EOF"`, `E"O"F`): no expansion
    /// of the body. As in BuildKit, a backslash alone (`\\EOF`) does not count as quoting.
    pub expand: bool,
    /// True for `<<-` (leading tabs are stripped from the terminator, and from the body by
    /// [`Heredoc::chomped_content`]).
    pub chomp: bool,
    /// The file descriptor number before `<<` (`3<<EOF`), 0 if none.
    pub file_descriptor: u32,
}

impl Heredoc {
    /// The body with leading tabs removed from every line when `chomp` is set (BuildKit's
    /// `ChompHeredocContent`), else the raw body.
    pub fn chomped_content(&self) -> String {
        if !self.chomp {
            return self.content.clone();
        }
        self.content
            .split_inclusive('\n')
            .map(|l| l.trim_start_matches('\t'))
            .collect()
    }
}

/// A non-fatal parser finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// BuildKit lint rule name, e.g. `NoEmptyContinuation`.
    pub rule: String,
    /// Human-readable message.
    pub message: String,
    /// 1-based first line of the instruction concerned.
    pub start_line: usize,
    /// 1-based last line of the instruction concerned.
    pub end_line: usize,
}
