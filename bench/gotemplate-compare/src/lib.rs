//! berth-gotemplate's public API implemented on the `gotmpl` crate, plus the case reader
//! shared by the comparison and measurement programs.

// berth's Go value printing and Go JSON encoding: kept in a switch, since gotmpl has neither
// Docker's `json` function nor Go's float formatting for it.
#[allow(dead_code)]
#[path = "../../../crates/gotemplate/src/gofmt.rs"]
mod gofmt;
#[allow(dead_code)]
#[path = "../../../crates/gotemplate/src/gojson.rs"]
mod gojson;

pub mod cases;
pub mod gotmpl_engine;
