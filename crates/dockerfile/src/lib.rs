//! berth's Dockerfile front end, pure (no I/O): the parser (text -> AST with line/column
//! spans, directives, heredocs, JSON vs shell forms, flags), BuildKit's shell-word expansion,
//! and moby's `.dockerignore` pattern matching.

#![forbid(unsafe_code)]

pub mod csv;
pub mod dockerignore;
pub mod expand;
pub mod parser;
