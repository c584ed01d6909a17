//! A stand-in for the `regex` crate, patched in by the workspace (`[patch.crates-io]`): the
//! same names, implemented by `regex-lite`, which has no Unicode tables. See Cargo.toml.

pub use regex_lite::{Captures, Error, Match, Regex, RegexBuilder};
