//! How many inputs a target runs: a count or a duration, from the environment.

use std::time::{Duration, Instant};

/// The mutated inputs one target may run.
#[derive(Debug, Clone, Copy)]
pub enum Budget {
    /// Exactly this many inputs (`BERTH_FUZZ_ITERATIONS`).
    Iterations(u64),
    /// Inputs until this much time has passed (`BERTH_FUZZ_MS`, default 1000).
    Time(Duration),
}

impl Budget {
    /// The budget the environment asks for.
    pub fn from_env() -> Budget {
        let var = |name| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
        match (var("BERTH_FUZZ_ITERATIONS"), var("BERTH_FUZZ_MS")) {
            (Some(n), _) => Budget::Iterations(n),
            (None, Some(ms)) => Budget::Time(Duration::from_millis(ms)),
            (None, None) => Budget::Time(Duration::from_millis(1000)),
        }
    }

    /// Whether input number `done` (counted from 0) may still run, `started` being when the
    /// mutated inputs began.
    pub fn allows(&self, done: u64, started: Instant) -> bool {
        match self {
            Budget::Iterations(n) => done < *n,
            Budget::Time(d) => started.elapsed() < *d,
        }
    }
}
