//! `depends_on` (list or map with condition/required/restart) and the dependency graph:
//! unknown services, cycles, start order.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::node::Node;
use crate::Result;

/// `service_started` (the default).
pub const SERVICE_STARTED: &str = "service_started";
/// Wait until healthy.
pub const SERVICE_HEALTHY: &str = "service_healthy";
/// Wait until it exited with code 0.
pub const SERVICE_COMPLETED_SUCCESSFULLY: &str = "service_completed_successfully";

/// One dependency of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    /// What to wait for.
    pub condition: String,
    /// Restart this service when the dependency is restarted or updated.
    pub restart: bool,
    /// A missing dependency is an error (true) or a warning (false).
    pub required: bool,
}

/// Reads `depends_on`.
pub(crate) fn depends_on(n: Node<'_, '_>) -> Result<BTreeMap<String, Dependency>> {
    let mut out = BTreeMap::new();
    let plain = || Dependency {
        condition: SERVICE_STARTED.into(),
        restart: false,
        required: true,
    };
    match n.v {
        serde_json::Value::Null => {}
        serde_json::Value::Array(_) => {
            for item in n.items()? {
                let item = item.node();
                let name = item.str()?;
                if out.insert(name.to_string(), plain()).is_some() {
                    return Err(item.err(format!("duplicate dependency {name:?}")));
                }
            }
        }
        _ => {
            for (name, c) in n.entries()? {
                let c = c.node();
                let mut d = plain();
                for (k, o) in c.entries_or_null()? {
                    let o = o.node();
                    match k {
                        "condition" => {
                            let cond = o.str()?;
                            if ![
                                SERVICE_STARTED,
                                SERVICE_HEALTHY,
                                SERVICE_COMPLETED_SUCCESSFULLY,
                            ]
                            .contains(&cond)
                            {
                                return Err(o.err(format!(
                                    "invalid condition {cond:?}: must be one of service_started, service_healthy, service_completed_successfully"
                                )));
                            }
                            d.condition = cond.to_string();
                        }
                        "restart" => d.restart = o.bool()?,
                        "required" => d.required = o.bool()?,
                        k if k.starts_with("x-") => {}
                        k => return Err(o.err(format!("unknown depends_on attribute {k:?}"))),
                    }
                }
                out.insert(name.to_string(), d);
            }
        }
    }
    Ok(out)
}

/// Finds a dependency cycle in `graph` (service -> its dependencies), as
/// `a -> b -> a`, if there is one.
pub(crate) fn find_cycle(graph: &BTreeMap<&str, Vec<&str>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit<'a>(
        s: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        marks: &mut BTreeMap<&'a str, Mark>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        match marks.get(s) {
            Some(Mark::Done) => return None,
            Some(Mark::Visiting) => {
                let from = stack.iter().position(|x| *x == s).unwrap_or(0);
                let mut cycle: Vec<String> = stack[from..].iter().map(|x| x.to_string()).collect();
                cycle.push(s.to_string());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(s, Mark::Visiting);
        stack.push(s);
        for d in graph.get(s).into_iter().flatten() {
            if let Some(c) = visit(d, graph, marks, stack) {
                return Some(c);
            }
        }
        stack.pop();
        marks.insert(s, Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for s in graph.keys() {
        if let Some(c) = visit(s, graph, &mut marks, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

/// Services in an order where each comes after its dependencies (ties by name). `graph` must
/// be acyclic; only `roots` and what they depend on are listed.
pub(crate) fn order<'a>(graph: &BTreeMap<&'a str, Vec<&'a str>>, roots: &[&'a str]) -> Vec<String> {
    fn visit<'a>(
        s: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        seen: &mut BTreeSet<&'a str>,
        out: &mut Vec<String>,
    ) {
        if !seen.insert(s) {
            return;
        }
        for d in graph.get(s).into_iter().flatten() {
            visit(d, graph, seen, out);
        }
        out.push(s.to_string());
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for r in roots {
        visit(r, graph, &mut seen, &mut out);
    }
    out
}
