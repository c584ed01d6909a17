//! Go's `text/template` over JSON values, as Docker's and Podman's `--format` use it: the
//! lexer, parser and executor of Go's template language with Docker's functions (`json`,
//! `join`, `table`, `upper`, `pad`, ...), Go's `fmt` verbs and value printing, and Go's
//! JSON encoding for `{{json .}}`.
//!
//! The engine is hand-written on measurements: the maintained `gotmpl` crate, put behind this
//! API (bench/gotemplate-compare), matched Go's text/template in 148 of 212 cases against this
//! engine's 198 (no Go error texts or positions, floats printed in decimal) and rendered
//! slower; see docs/ARCHITECTURE.md, "Go templates".

#![forbid(unsafe_code)]

mod ast;
mod error;
mod exec;
mod funcs;
mod gofmt;
mod gojson;
mod lexer;
mod parser;
mod printf;
mod template;

pub use error::{ErrorKind, FormatError};
pub use gofmt::{go_float, go_quote};
pub use template::{unescape_format, Template};
