//! Shared pieces of berth's fuzz targets (a dev-dependency of the crates that have targets).
//!
//! A target is a `#[test]` that calls [`fuzz_target!`] with seed inputs (conformance corpora,
//! test data), a size bound and a body that must return for every input without panicking.
//! The body sees the seeds as they are, then inputs that [`Mutations`] derives from them
//! (bit flips, byte edits, deletions, duplications, splices of two seeds, dictionary tokens).
//! A [`Watchdog`] aborts the process, printing the input, when one input runs too long.
//!
//! Under plain `cargo test` (stable) bolero drives [`Mutations`] with random bytes for
//! `BOLERO_RANDOM_TEST_TIME_MS` (default 1 s) or `BOLERO_RANDOM_ITERATIONS` inputs; a failure
//! prints `BOLERO_RANDOM_SEED=...` to replay it. Under `cargo bolero test` (nightly, libFuzzer)
//! the same targets are coverage-guided. `scripts/fuzz` runs every target for longer.

mod input;
mod mutate;
mod seeds;
mod watchdog;

pub use bolero;
pub use input::Input;
pub use mutate::Mutations;
pub use seeds::{files_under, read_seeds};
pub use watchdog::Watchdog;

/// Runs a fuzz target: every seed as it is, then mutated inputs from bolero, each under a
/// [`Watchdog`]. `$seeds` is a `Vec<Vec<u8>>`, `$max_len` bounds every input, `$body` is a
/// closure taking `&[u8]`. Use inside a `#[test] fn` returning `()`.
///
/// Extra tokens for the mutator (syntax of the format) can follow: `dictionary = &[...]`.
#[macro_export]
macro_rules! fuzz_target {
    (seeds = $seeds:expr, max_len = $max_len:expr, $(dictionary = $dict:expr,)? body = $body:expr $(,)?) => {{
        let body = $body;
        let mutations = $crate::Mutations::new($seeds, $max_len)$(.with_dictionary($dict))?;
        let watchdog = $crate::Watchdog::start(module_path!());
        for seed in mutations.seeds() {
            let _running = watchdog.enter(seed);
            body(seed.as_slice());
        }
        $crate::bolero::check!()
            .with_generator(mutations)
            .for_each(|input: &$crate::Input| {
                let _running = watchdog.enter(&input.0);
                body(input.0.as_slice());
            });
    }};
}
