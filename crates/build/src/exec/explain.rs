//! Why a step missed the cache, for `--progress=plain`: each executed step records its
//! inputs (`label: value` lines: the instruction, ARG values, each file it read) under its
//! place in the Dockerfile; the next miss at that place names what differs.

use super::stage::StageState;
use super::{keys, Shared};

fn record_key(st: &StageState) -> String {
    let place = keys::chain(&st.site, &[&st.image.history.len().to_string()]);
    format!("why:{place}")
}

/// Records the inputs `why` of the step just executed.
pub(crate) fn record(sh: &Shared, st: &StageState, why: &str) {
    if !why.is_empty() {
        let _ = sh.runner.cache_put(&record_key(st), why);
    }
}

/// The reason the step with inputs `why` missed, if it can be told.
pub(crate) fn reason(sh: &Shared, st: &StageState, why: &str) -> Option<String> {
    let old = sh.runner.cache_get(&record_key(st));
    let Some(old) = old else {
        return Some("not built before".into());
    };
    let changes = diff(&old, why);
    if changes.is_empty() {
        return Some(if st.missed {
            "an earlier step changed".into()
        } else {
            "the base image or an earlier step changed".into()
        });
    }
    Some(changes.join(", "))
}

/// What differs between two input lists, by label.
fn diff(old: &str, new: &str) -> Vec<String> {
    let parse = |t: &str| -> Vec<(String, String)> {
        t.lines()
            .filter_map(|l| l.split_once(": "))
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    let (old, new) = (parse(old), parse(new));
    let mut out = Vec::new();
    for (label, value) in &new {
        match old.iter().find(|(l, _)| l == label) {
            Some((_, v)) if v == value => {}
            Some(_) => out.push(format!("{label} changed")),
            None => out.push(format!("{label} added")),
        }
    }
    for (label, _) in &old {
        if !new.iter().any(|(l, _)| l == label) {
            out.push(format!("{label} removed"));
        }
    }
    if out.len() > 5 {
        let more = out.len() - 5;
        out.truncate(5);
        out.push(format!("and {more} more"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::diff;

    #[test]
    fn names_changed_added_and_removed_inputs() {
        let old = "instruction: COPY . /app\nfile a.txt: 1\nfile b.txt: 2";
        let new = "instruction: COPY . /app\nfile a.txt: 9\nfile c.txt: 3";
        assert_eq!(
            diff(old, new),
            [
                "file a.txt changed",
                "file c.txt added",
                "file b.txt removed"
            ]
        );
        assert!(diff(old, old).is_empty());
    }
}
