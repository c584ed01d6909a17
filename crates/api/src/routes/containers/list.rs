//! `GET /containers/json`: the containers in dockerd's list shape, with its filters.

use berth_engine::containers::{ContainerBrief, State};
use berth_engine::Engine;
use serde_json::{json, Value};

pub(crate) use super::summary::summary;
use super::summary::{dir_size, exposed};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};
use crate::query::Filters;

/// The filters dockerd's list takes.
const FILTERS: &[&str] = &[
    "ancestor",
    "before",
    "expose",
    "exited",
    "health",
    "id",
    "isolation",
    "is-task",
    "label",
    "name",
    "network",
    "publish",
    "since",
    "status",
    "volume",
];

/// The values of the `status` filter.
const STATUSES: &[&str] = &[
    "created",
    "restarting",
    "running",
    "removing",
    "paused",
    "exited",
    "dead",
];

/// `GET /containers/json?all=&limit=&size=&filters=`.
pub fn list(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    let filters = req.query.filters()?;
    check_filters(&filters)?;
    let limit = req.query.int("limit")?.unwrap_or(-1);
    let size = req.query.bool("size");
    let e = ctx.engine()?;
    let mut list = e.container_briefs()?;
    // `before`/`since`: a window of the list (newest first) around the named containers.
    for (key, older) in [("before", true), ("since", false)] {
        for v in filters.get(key) {
            let pivot = e.container(v)?;
            let Some(pos) = list.iter().position(|(r, _)| r.id == pivot.id) else {
                continue;
            };
            list = if older {
                list.split_off(pos + 1)
            } else {
                list.truncate(pos);
                list
            };
        }
    }
    let show_all = req.query.bool("all")
        || limit > 0
        || !filters.get("status").is_empty()
        || !filters.get("before").is_empty()
        || !filters.get("since").is_empty();
    let matcher = Matcher::new(&e, &filters);
    let mut out = Vec::new();
    for (r, s) in &list {
        if !(show_all || s.is_running() || s.status == "restarting") {
            continue;
        }
        if !matcher.matches(r, s) {
            continue;
        }
        let mut v = summary(r, s);
        if size {
            let rw = dir_size(&e.paths.container(&r.id).join("upper"));
            v["SizeRw"] = json!(rw);
            v["SizeRootFs"] = json!(rw);
        }
        out.push(v);
        if limit > 0 && out.len() as i64 >= limit {
            break;
        }
    }
    Reply::ok(Value::Array(out))
}

/// Refuses unknown filters and bad values, as dockerd does.
fn check_filters(f: &Filters) -> ApiResult<()> {
    f.only(FILTERS)?;
    let invalid = |k: &str, v: &str| ApiError::bad_request(format!("invalid filter '{k}={v}'"));
    for v in f.get("status") {
        if !STATUSES.contains(&v.as_str()) {
            return Err(ApiError::bad_request(format!(
                "invalid filter 'status={v}': must be one of {}",
                STATUSES.join(", ")
            )));
        }
    }
    for v in f.get("health") {
        if !["starting", "healthy", "unhealthy", "none"].contains(&v.as_str()) {
            return Err(invalid("health", v));
        }
    }
    for v in f.get("exited") {
        if v.parse::<i32>().is_err() {
            return Err(invalid("exited", v));
        }
    }
    for v in f.get("is-task") {
        if !["true", "false", "1", "0"].contains(&v.as_str()) {
            return Err(invalid("is-task", v));
        }
    }
    for k in ["publish", "expose"] {
        for v in f.get(k) {
            if PortRange::parse(v).is_none() {
                return Err(invalid(k, v));
            }
        }
    }
    Ok(())
}

/// A `publish`/`expose` filter value: `80`, `80/udp`, `8000-8080/tcp`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PortRange {
    start: u16,
    end: u16,
    proto: String,
}

impl PortRange {
    fn parse(v: &str) -> Option<PortRange> {
        let (ports, proto) = v.split_once('/').unwrap_or((v, "tcp"));
        let (a, b) = ports.split_once('-').unwrap_or((ports, ports));
        let (start, end) = (a.parse().ok()?, b.parse().ok()?);
        (start <= end && !proto.is_empty()).then(|| PortRange {
            start,
            end,
            proto: proto.to_ascii_lowercase(),
        })
    }

    fn contains(&self, port: u16, proto: &str) -> bool {
        (self.start..=self.end).contains(&port) && self.proto == proto
    }
}

/// The filters, with what they need resolved once.
struct Matcher<'a> {
    f: &'a Filters,
    /// Image IDs of the `ancestor` values that name an image.
    ancestor_ids: Vec<String>,
}

impl<'a> Matcher<'a> {
    fn new(e: &Engine, f: &'a Filters) -> Matcher<'a> {
        let ancestor_ids = f
            .get("ancestor")
            .iter()
            .filter_map(|a| e.image(a).ok().map(|i| i.id))
            .collect();
        Matcher { f, ancestor_ids }
    }

    /// Every filter key matches (values of one key are alternatives, except `label`'s,
    /// which must all match, as in dockerd).
    fn matches(&self, r: &ContainerBrief, s: &State) -> bool {
        let any = |key: &str, test: &dyn Fn(&str) -> bool| {
            let vals = self.f.get(key);
            vals.is_empty() || vals.iter().any(|v| test(v))
        };
        any("id", &|v| r.id.starts_with(v))
            && any("name", &|v| name_matches(&r.name, v))
            && self
                .f
                .get("label")
                .iter()
                .all(|v| label_matches(&r.config["Labels"], v))
            && any("status", &|v| s.status == v)
            && any("ancestor", &|v| self.ancestor_matches(r, v))
            && any("exited", &|v| {
                s.status == "exited" && v.parse::<i32>().ok() == Some(s.exit_code)
            })
            && any("health", &|v| {
                s.health
                    .as_ref()
                    .map(|h| h.status.as_str())
                    .unwrap_or("none")
                    == v
            })
            && any("network", &|v| network_matches(r, v))
            && any("volume", &|v| {
                r.mounts
                    .iter()
                    .any(|m| m.name.as_deref() == Some(v) || m.destination == v || m.source == v)
            })
            && any("publish", &|v| {
                PortRange::parse(v).is_some_and(|p| {
                    s.is_running()
                        && r.attachments()
                            .flat_map(|a| a.ports.iter())
                            .any(|x| p.contains(x.host_port, &x.proto))
                })
            })
            && any("expose", &|v| {
                PortRange::parse(v)
                    .is_some_and(|p| exposed(r).iter().any(|(n, proto)| p.contains(*n, proto)))
            })
            && any("is-task", &|v| matches!(v, "false" | "0"))
            && any("isolation", &|v| matches!(v, "default" | "process"))
    }

    fn ancestor_matches(&self, r: &ContainerBrief, v: &str) -> bool {
        let plain = v.strip_prefix("sha256:").unwrap_or(v);
        r.image == v
            || (!v.contains(':') && !v.contains('@') && r.image == format!("{v}:latest"))
            || (plain.len() >= 4 && r.image_id.starts_with(plain))
            || self.ancestor_ids.contains(&r.image_id)
    }
}

/// dockerd matches `name` as a regular expression against `/name`; berth takes the
/// pattern literally, with `^` and `$` anchors.
pub(crate) fn name_matches(name: &str, pattern: &str) -> bool {
    let hay = format!("/{name}");
    let (start, p) = match pattern.strip_prefix('^') {
        Some(p) => (true, p),
        None => (false, pattern),
    };
    let (end, p) = match p.strip_suffix('$') {
        Some(p) => (true, p),
        None => (false, p),
    };
    let candidates: Vec<&str> = if p.starts_with('/') {
        vec![&hay]
    } else {
        vec![&hay, name]
    };
    candidates.iter().any(|h| match (start, end) {
        (true, true) => *h == p,
        (true, false) => h.starts_with(p),
        (false, true) => h.ends_with(p),
        (false, false) => h.contains(p),
    })
}

/// `label=key` or `label=key=value`.
fn label_matches(labels: &Value, v: &str) -> bool {
    match v.split_once('=') {
        Some((k, want)) => labels[k].as_str() == Some(want),
        None => labels.get(v).is_some(),
    }
}

/// `network=` by name, ID (prefix) or mode (`host`, `none`).
fn network_matches(r: &ContainerBrief, v: &str) -> bool {
    r.network_mode == v
        || r.attachments()
            .any(|a| a.network == v || (v.len() >= 4 && a.network_id.starts_with(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ports() {
        assert!(name_matches("web-1", "web"));
        assert!(name_matches("web-1", "^/web"));
        assert!(name_matches("web-1", "^web-1$"));
        assert!(!name_matches("web-1", "^/db"));
        assert!(name_matches("web-1", "-1$"));
        assert_eq!(
            PortRange::parse("80"),
            Some(PortRange {
                start: 80,
                end: 80,
                proto: "tcp".into()
            })
        );
        let r = PortRange::parse("8000-8080/udp").unwrap();
        assert!(r.contains(8001, "udp") && !r.contains(8001, "tcp"));
        assert!(PortRange::parse("x").is_none());
        assert!(PortRange::parse("90-80").is_none());
        let labels = json!({"a": "1", "b": ""});
        assert!(label_matches(&labels, "a=1"));
        assert!(label_matches(&labels, "b"));
        assert!(!label_matches(&labels, "a=2"));
        assert!(!label_matches(&labels, "c"));
    }

    #[test]
    fn bad_filters() {
        let f = |s: &str| check_filters(&Filters::parse(s).unwrap());
        assert!(f(r#"{"status":["running"]}"#).is_ok());
        assert_eq!(f(r#"{"bogus":["x"]}"#).unwrap_err().status, 400);
        assert_eq!(f(r#"{"status":["sleeping"]}"#).unwrap_err().status, 400);
        assert_eq!(f(r#"{"exited":["x"]}"#).unwrap_err().status, 400);
        assert_eq!(f(r#"{"health":["sick"]}"#).unwrap_err().status, 400);
    }
}
