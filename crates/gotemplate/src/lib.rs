//! Go's `text/template` over JSON values, as Docker's and Podman's `--format` use it: the
//! lexer, parser and executor of Go's template language with Docker's functions (`json`,
//! `join`, `table`, `upper`, `pad`, ...), Go's `fmt` verbs and value printing, and Go's
//! JSON encoding for `{{json .}}`.
//!
//! The engine is hand-written: no maintained Rust crate implements Go's template language
//! with Go's exact output (number and map printing, `printf` verbs, error texts) over
//! dynamic JSON values; see docs/ARCHITECTURE.md.

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
