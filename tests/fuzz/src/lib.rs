//! The runner of berth's fuzz targets (a dev-dependency of the crates that have targets).
//!
//! A target is a `#[test]` that calls [`fuzz_target!`] with seed inputs (conformance corpora,
//! test data), a size bound and a body that must return for every input without panicking.
//! The body sees every seed as it is, then inputs that [`Mutations`] derives from them (bit
//! flips, byte edits, deletions, duplications, splices of two seeds, tokens of the format)
//! until the budget is spent: `BERTH_FUZZ_ITERATIONS` inputs, else `BERTH_FUZZ_MS`
//! milliseconds (default 1000, what CI spends per target). A failure prints the input and
//! `BERTH_FUZZ_SEED=...`, which replays the same sequence. A [`Watchdog`] aborts the process,
//! printing the input, when one input runs longer than `BERTH_FUZZ_HANG_SECS` (default 30).
//! `scripts/fuzz` runs every target for longer.

#![forbid(unsafe_code)]

mod budget;
mod input;
mod mutate;
mod rng;
mod run;
mod seeds;
mod watchdog;

pub use budget::Budget;
pub use input::escape;
pub use mutate::Mutations;
pub use rng::Rng;
pub use run::run;
pub use seeds::{files_under, read_seeds};
pub use watchdog::Watchdog;

/// Runs a fuzz target named after the enclosing module and test: `seeds` is a
/// `Vec<Vec<u8>>`, `max_len` bounds every input, `dictionary` (optional) lists tokens of the
/// format for the mutator, `body` is a closure taking `&[u8]`.
#[macro_export]
macro_rules! fuzz_target {
    (seeds = $seeds:expr, max_len = $max_len:expr, $(dictionary = $dict:expr,)? body = $body:expr $(,)?) => {{
        let mutations = $crate::Mutations::new($seeds, $max_len)$(.with_dictionary($dict))?;
        $crate::run(module_path!(), &mutations, $body);
    }};
}
