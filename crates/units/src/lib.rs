//! Docker's units, parsed and printed as Docker's Go code does, in one place for every
//! berth crate:
//!
//! - [`duration`]: Go's `time.ParseDuration` and `Duration.String` (`1h30m`, `1.5s`,
//!   `300ms`, `2us`/`µs`).
//! - [`size`]: go-units' `RAMInBytes` (binary, `512m`, `1.5g`) and `FromHumanSize`
//!   (decimal, `1.5GB`).
//! - [`civil`]: proleptic Gregorian dates from and to day counts.
//! - [`rfc3339`]: RFC 3339 timestamps in UTC as Go prints and parses them.
//!
//! No crate matches Go's grammars exactly (see docs/ARCHITECTURE.md), so this one is
//! hand-written, dependency-free and safe.

#![forbid(unsafe_code)]

pub mod civil;
pub mod duration;
pub mod rfc3339;
pub mod size;
