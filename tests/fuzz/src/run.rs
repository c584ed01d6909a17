//! The loop: seeds, then mutated inputs within the budget, each under the watchdog; a panic
//! is reported with the input and the seed that reproduces it.

use crate::{escape, Budget, Mutations, Rng, Watchdog};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The random seed: `BERTH_FUZZ_SEED`, else one from the clock (printed on failure).
fn seed() -> u64 {
    if let Some(s) = std::env::var("BERTH_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return s;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    now ^ u64::from(std::process::id()).rotate_left(32)
}

/// Runs `body` on every seed of `mutations`, then on mutated inputs within
/// [`Budget::from_env`]. Panics (failing the test) when `body` panics, after printing the
/// input; aborts when one input hangs.
pub fn run(name: &str, mutations: &Mutations, body: impl Fn(&[u8])) {
    // libtest names each test's thread after the test (`module::test_fn`).
    let thread = std::thread::current();
    let name = thread.name().filter(|n| *n != "main").unwrap_or(name);
    let seed = seed();
    let watchdog = Watchdog::start(name);
    let attempt = |input: &[u8], what: &str| {
        let _running = watchdog.enter(input);
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| body(input))) {
            eprintln!(
                "fuzz target {name} failed on {what} (BERTH_FUZZ_SEED={seed}), {} bytes:\n  b\"{}\"",
                input.len(),
                escape(input)
            );
            std::panic::resume_unwind(panic);
        }
    };
    for (i, s) in mutations.seeds().iter().enumerate() {
        attempt(s, &format!("seed {i}"));
    }
    let budget = Budget::from_env();
    let mut rng = Rng::new(seed);
    let started = Instant::now();
    let mut done = 0u64;
    while budget.allows(done, started) {
        let input = mutations.generate(&mut rng);
        attempt(&input, &format!("mutated input {done}"));
        done += 1;
    }
    eprintln!(
        "fuzz target {name}: {} seeds and {done} mutated inputs in {:?} (BERTH_FUZZ_SEED={seed})",
        mutations.seeds().len(),
        started.elapsed()
    );
}
