//! Stage scheduling: every needed stage starts in its own thread; a stage that needs
//! another (FROM, COPY --from, RUN --mount from) waits for it, or builds it itself when
//! nobody has started it yet. Each stage is built once.

use std::collections::BTreeSet;
use std::sync::{Arc, Condvar, Mutex};

use super::stage::{run_stage, StageOut};
use super::Shared;
use crate::error::{BuildError, Result};

enum Slot {
    Idle,
    Running,
    Done(std::result::Result<Arc<StageOut>, String>),
}

/// The stages' results as they become ready.
pub(crate) struct Results {
    slots: Vec<(Mutex<Slot>, Condvar)>,
}

impl Results {
    /// Empty results for `n` stages.
    pub fn new(n: usize) -> Results {
        Results {
            slots: (0..n)
                .map(|_| (Mutex::new(Slot::Idle), Condvar::new()))
                .collect(),
        }
    }
}

/// The result of stage `i`: built here if nobody started it, else waited for.
pub(crate) fn get_or_build(sh: &Shared, i: usize) -> Result<Arc<StageOut>> {
    let (lock, cvar) = &sh.results.slots[i];
    let mut slot = lock.lock().map_err(|_| poisoned())?;
    loop {
        match &*slot {
            Slot::Done(Ok(out)) => return Ok(out.clone()),
            Slot::Done(Err(e)) => return Err(BuildError::Invalid(e.clone())),
            Slot::Running => slot = cvar.wait(slot).map_err(|_| poisoned())?,
            Slot::Idle => break,
        }
    }
    *slot = Slot::Running;
    drop(slot);
    let built = run_stage(sh, i).map(Arc::new);
    let mut slot = lock.lock().map_err(|_| poisoned())?;
    *slot = Slot::Done(match &built {
        Ok(out) => Ok(out.clone()),
        Err(e) => Err(format!(
            "stage {} failed: {e}",
            sh.plan.stages[i].display_name()
        )),
    });
    cvar.notify_all();
    built
}

/// Builds every stage in `needed` (in parallel) and returns the target's result. The
/// first error (in stage order) wins.
pub(crate) fn run_all(
    sh: &Shared,
    needed: &BTreeSet<usize>,
    target: usize,
) -> Result<Arc<StageOut>> {
    let others: Vec<usize> = needed.iter().copied().filter(|&i| i != target).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = others
            .iter()
            .map(|&i| scope.spawn(move || get_or_build(sh, i)))
            .collect();
        let target_result = get_or_build(sh, target);
        for h in handles {
            let _ = h.join();
        }
        target_result
    })
}

fn poisoned() -> BuildError {
    BuildError::Invalid("a build stage panicked".into())
}
