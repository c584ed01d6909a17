//! `berth events --filter`: Docker's event filters. Values of one key are alternatives;
//! different keys must all match.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::events::Event;

/// The filter keys `events` accepts.
pub const KEYS: &[&str] = &["type", "event", "container", "image", "volume", "label"];

/// Parsed `--filter key=value` options.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    by_key: BTreeMap<String, Vec<String>>,
}

impl EventFilter {
    /// Parses `key=value` strings; an unknown key or a missing `=` is an error.
    pub fn parse(filters: &[String]) -> Result<EventFilter> {
        let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for f in filters {
            let (k, v) = f.split_once('=').ok_or_else(|| {
                Error::Invalid(format!("bad format of filter {f:?} (expected name=value)"))
            })?;
            let k = k.trim().to_ascii_lowercase();
            if !KEYS.contains(&k.as_str()) {
                return Err(Error::Invalid(format!(
                    "invalid filter '{k}': events accepts {}",
                    KEYS.join(", ")
                )));
            }
            by_key.entry(k).or_default().push(v.to_string());
        }
        Ok(EventFilter { by_key })
    }

    /// Whether `ev` passes every filter.
    pub fn matches(&self, ev: &Event) -> bool {
        self.by_key
            .iter()
            .all(|(k, values)| values.iter().any(|v| matches_one(k, v, ev)))
    }
}

fn matches_one(key: &str, value: &str, ev: &Event) -> bool {
    let attr = |name: &str| ev.attributes.get(name).map(String::as_str);
    match key {
        "type" => ev.kind == value,
        "event" => ev.action == value || ev.action.split_once(':').is_some_and(|(a, _)| a == value),
        "container" => ev.kind == "container" && names_object(value, &ev.id, attr("name")),
        "volume" => ev.kind == "volume" && ev.id == value,
        "image" => match ev.kind.as_str() {
            "container" => attr("image").is_some_and(|i| same_image(value, i)),
            "image" => {
                names_object(value, ev.id.trim_start_matches("sha256:"), attr("name"))
                    || attr("name").is_some_and(|n| same_image(value, n))
            }
            _ => false,
        },
        "label" => match value.split_once('=') {
            Some((k, v)) => attr(k) == Some(v),
            None => attr(value).is_some(),
        },
        _ => false,
    }
}

/// A name, a full ID or an ID prefix.
fn names_object(value: &str, id: &str, name: Option<&str>) -> bool {
    let value = value.trim_start_matches('/');
    name == Some(value)
        || (!value.is_empty() && id.starts_with(value.trim_start_matches("sha256:")))
}

/// `bb` and `bb:latest` name the same image.
fn same_image(filter: &str, name: &str) -> bool {
    let strip = |s: &str| s.strip_suffix(":latest").unwrap_or(s).to_string();
    filter == name || strip(filter) == strip(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str, action: &str, id: &str, attrs: &[(&str, &str)]) -> Event {
        Event {
            time: 0,
            kind: kind.into(),
            action: action.into(),
            id: id.into(),
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn f(list: &[&str]) -> EventFilter {
        EventFilter::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn filters_like_docker() {
        let start = ev(
            "container",
            "start",
            "abcdef",
            &[("name", "web"), ("image", "bb"), ("tier", "front")],
        );
        let exec = ev(
            "container",
            "exec_start: sh -c true",
            "abcdef",
            &[("name", "web"), ("image", "bb")],
        );
        let tag = ev("image", "tag", "sha256:1234", &[("name", "bb:2")]);
        assert!(f(&[]).matches(&start));
        assert!(f(&["type=container", "event=start"]).matches(&start));
        assert!(f(&["event=die", "event=start"]).matches(&start));
        assert!(!f(&["type=image"]).matches(&start));
        assert!(f(&["event=exec_start"]).matches(&exec));
        assert!(f(&["container=web"]).matches(&start) && f(&["container=abc"]).matches(&start));
        assert!(!f(&["container=other"]).matches(&start));
        assert!(f(&["image=bb:latest"]).matches(&start));
        assert!(f(&["image=bb:2"]).matches(&tag) && f(&["image=1234"]).matches(&tag));
        assert!(f(&["label=tier=front"]).matches(&start) && f(&["label=tier"]).matches(&start));
        assert!(!f(&["label=tier=back"]).matches(&start));
        assert!(EventFilter::parse(&["bogus=1".to_string()]).is_err());
        assert!(EventFilter::parse(&["type".to_string()]).is_err());
    }
}
