//! `--filter` for the prune commands, as Docker reads it: `until=<time>` (RFC 3339, unix
//! seconds or a duration before now: only what was created before it goes) and
//! `label=<key>[=<value>]` / `label!=<key>[=<value>]`.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// A parsed prune filter; the default keeps nothing back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneFilter {
    until: Option<SystemTime>,
    labels: Vec<LabelRule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct LabelRule {
    key: String,
    value: Option<String>,
    negated: bool,
}

/// A point in time as `--since`/`--until`/`until=` give it: RFC 3339, unix seconds (with a
/// fraction), or a Go duration before `now` (`10m`, `24h`).
pub fn parse_time(flag: &str, s: &str, now: SystemTime) -> Result<SystemTime> {
    if let Some(t) = berth_runtime::time::parse(s) {
        return Ok(t);
    }
    let invalid = || {
        Error::Invalid(format!(
            "invalid value {s:?} for {flag}: expected an RFC 3339 time, unix seconds or a duration like 10m"
        ))
    };
    if let Ok(secs) = s.parse::<f64>() {
        // Out of range (`1e30`, `inf`) is an error, not a panic.
        return Duration::try_from_secs_f64(secs.max(0.0))
            .ok()
            .and_then(|d| UNIX_EPOCH.checked_add(d))
            .ok_or_else(invalid);
    }
    let d = crate::spec::parse::parse_duration(flag, s).map_err(|_| invalid())?;
    Ok(now.checked_sub(d).unwrap_or(UNIX_EPOCH))
}

impl PruneFilter {
    /// Parses `--filter` values.
    pub fn parse(filters: &[String]) -> Result<PruneFilter> {
        let mut out = PruneFilter::default();
        for f in filters {
            if let Some(rest) = f.strip_prefix("label!=") {
                out.labels.push(label_rule(rest, true));
            } else if let Some(rest) = f.strip_prefix("label=") {
                out.labels.push(label_rule(rest, false));
            } else if let Some(t) = f.strip_prefix("until=") {
                out.until = Some(parse_time("until", t, SystemTime::now())?);
            } else {
                let key = f.split('=').next().unwrap_or(f);
                return Err(Error::Invalid(format!("invalid filter '{key}'")));
            }
        }
        Ok(out)
    }

    /// Whether an object created at `created` (RFC 3339) with `labels` may be pruned.
    pub fn matches(&self, created: &str, labels: &BTreeMap<String, String>) -> bool {
        if let Some(until) = self.until {
            match berth_runtime::time::parse(created) {
                Some(t) if t < until => {}
                _ => return false,
            }
        }
        self.labels.iter().all(|rule| {
            let hit = match (&rule.value, labels.get(&rule.key)) {
                (None, found) => found.is_some(),
                (Some(want), Some(have)) => want == have,
                (Some(_), None) => false,
            };
            hit != rule.negated
        })
    }
}

fn label_rule(text: &str, negated: bool) -> LabelRule {
    let (key, value) = match text.split_once('=') {
        Some((k, v)) => (k.to_string(), Some(v.to_string())),
        None => (text.to_string(), None),
    };
    LabelRule {
        key,
        value,
        negated,
    }
}

/// The labels in a JSON object (`{"k": "v"}`), for records that keep them that way.
pub fn labels_of(v: &serde_json::Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn labels_and_until() {
        let f = PruneFilter::parse(&["label=env=dev".into(), "label!=keep".into()]).unwrap();
        let old = "2020-01-01T00:00:00Z";
        assert!(f.matches(old, &labels(&[("env", "dev")])));
        assert!(!f.matches(old, &labels(&[("env", "prod")])));
        assert!(!f.matches(old, &labels(&[("env", "dev"), ("keep", "")])));
        let f = PruneFilter::parse(&["until=2021-01-01T00:00:00Z".into()]).unwrap();
        assert!(f.matches(old, &labels(&[])));
        assert!(!f.matches("2022-01-01T00:00:00Z", &labels(&[])));
        let f = PruneFilter::parse(&["until=1h".into()]).unwrap();
        assert!(f.matches(old, &labels(&[])));
        assert!(PruneFilter::parse(&["dangling=true".into()]).is_err());
        assert!(PruneFilter::parse(&["until=soon".into()]).is_err());
        for huge in ["19999999999900000000", "1e300", "inf"] {
            assert!(
                parse_time("until", huge, SystemTime::now()).is_err(),
                "{huge}"
            );
        }
    }
}
