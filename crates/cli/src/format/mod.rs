//! Output formatting: Docker-style tables, Go-style templates, human sizes and times.
//!
//! * [`Template`]: Docker's `--format` (Go `text/template`) over JSON values, from the
//!   berth-gotemplate crate.
//! * [`render_rows`]: list output (`table ...`, `json`, templates, defaults)
//!   aligned like Docker's tabwriter; [`headers`] holds per-command defaults.
//! * [`human`]: go-units sizes and durations, container status strings,
//!   ID and COMMAND truncation; [`timefmt`]: RFC 3339 in UTC.

// The command implementations adopt these helpers one by one; until every
// re-export has a caller it must not fail `-D warnings` builds (main.rs
// already allows dead code for this module).
#![allow(unused_imports)]

#[cfg(test)]
mod fuzz_tests;
pub mod headers;
pub mod human;
mod table;
pub mod tabwriter;
pub mod timefmt;
mod width;

pub use berth_gotemplate::{go_quote, unescape_format, ErrorKind, FormatError, Template};
pub use human::{
    ago, bytes_size, command_column, container_status, ellipsis, human_duration, human_size,
    truncate_id, StatusInfo,
};
pub use table::{derive_header, render_rows, FieldsWanted};
pub use timefmt::{format_rfc3339, parse_rfc3339, GO_ZERO_TIME};
