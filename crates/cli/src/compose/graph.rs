//! Walking a project's services in dependency order with as much parallelism as the graph
//! allows: each service runs on its own thread as soon as the services it waits for are
//! done (up: its dependencies; down: its dependents). A failed service fails those waiting
//! for it without running them.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex};

/// How one service's step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Pending,
    Done,
    Failed,
}

/// Runs `step` for every node once every node it `waits_for` (restricted to `nodes`) is done.
/// Returns the errors, in node order; a node whose prerequisite failed is skipped silently
/// (the prerequisite's error says why).
pub fn walk<F>(
    nodes: &[String],
    waits_for: impl Fn(&str) -> Vec<String>,
    step: F,
) -> Vec<(String, anyhow::Error)>
where
    F: Fn(&str) -> anyhow::Result<()> + Sync,
{
    let prereqs: BTreeMap<&str, Vec<String>> = nodes
        .iter()
        .map(|n| {
            let w = waits_for(n)
                .into_iter()
                .filter(|d| d != n && nodes.contains(d))
                .collect();
            (n.as_str(), w)
        })
        .collect();
    let state: Mutex<BTreeMap<&str, Outcome>> = Mutex::new(
        nodes
            .iter()
            .map(|n| (n.as_str(), Outcome::Pending))
            .collect(),
    );
    let changed = Condvar::new();
    let errors: Mutex<Vec<(String, anyhow::Error)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for n in nodes {
            let (state, changed, errors, prereqs, step) =
                (&state, &changed, &errors, &prereqs, &step);
            scope.spawn(move || {
                let ready = {
                    let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
                    loop {
                        let pre = &prereqs[n.as_str()];
                        if pre.iter().any(|d| st[d.as_str()] == Outcome::Failed) {
                            break false;
                        }
                        if pre.iter().all(|d| st[d.as_str()] == Outcome::Done) {
                            break true;
                        }
                        st = changed.wait(st).unwrap_or_else(|p| p.into_inner());
                    }
                };
                let outcome = if ready {
                    match step(n) {
                        Ok(()) => Outcome::Done,
                        Err(e) => {
                            errors
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push((n.clone(), e));
                            Outcome::Failed
                        }
                    }
                } else {
                    Outcome::Failed
                };
                state
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(n.as_str(), outcome);
                changed.notify_all();
            });
        }
    });
    let mut errs = errors.into_inner().unwrap_or_else(|p| p.into_inner());
    errs.sort_by_key(|(n, _)| nodes.iter().position(|x| x == n));
    errs
}

/// Runs `f` on every item at once, each on its own thread; returns the first error (in item
/// order) after all have finished.
pub fn each<T: Sync>(
    items: &[T],
    f: impl Fn(&T) -> anyhow::Result<()> + Sync,
) -> anyhow::Result<()> {
    let results: Vec<anyhow::Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = items.iter().map(|i| scope.spawn(|| f(i))).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a worker panicked")))
            })
            .collect()
    });
    results.into_iter().collect()
}

/// The first error of a walk, or `Ok`.
pub fn first_error(errors: Vec<(String, anyhow::Error)>) -> anyhow::Result<()> {
    match errors.into_iter().next() {
        Some((_, e)) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn runs_prerequisites_first() {
        let nodes = names(&["web", "db", "cache"]);
        let order = Mutex::new(Vec::new());
        let errs = walk(
            &nodes,
            |n| match n {
                "web" => names(&["db", "cache"]),
                "cache" => names(&["db"]),
                _ => vec![],
            },
            |n| {
                order.lock().unwrap().push(n.to_string());
                Ok(())
            },
        );
        assert!(errs.is_empty());
        assert_eq!(order.into_inner().unwrap(), names(&["db", "cache", "web"]));
    }

    #[test]
    fn a_failure_skips_what_waits_for_it() {
        let nodes = names(&["web", "db", "other"]);
        let ran = Mutex::new(Vec::new());
        let errs = walk(
            &nodes,
            |n| if n == "web" { names(&["db"]) } else { vec![] },
            |n| {
                ran.lock().unwrap().push(n.to_string());
                if n == "db" {
                    anyhow::bail!("db broke")
                }
                Ok(())
            },
        );
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].0, "db");
        let mut ran = ran.into_inner().unwrap();
        ran.sort();
        assert_eq!(ran, names(&["db", "other"]));
    }

    #[test]
    fn prerequisites_outside_the_nodes_are_ignored() {
        let nodes = names(&["web"]);
        let errs = walk(&nodes, |_| names(&["db"]), |_| Ok(()));
        assert!(errs.is_empty());
    }
}
