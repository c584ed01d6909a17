//! Query strings: values by key, Docker's booleans and integers, and `filters` JSON.

use std::collections::BTreeMap;

use crate::error::{ApiError, ApiResult};

/// A request's query parameters, in order (keys may repeat).
#[derive(Debug, Clone, Default)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    /// Parses `a=1&b=x%20y`.
    pub fn parse(q: Option<&str>) -> Query {
        Query(
            q.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
                .unwrap_or_default(),
        )
    }

    /// The last value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A boolean as dockerd reads one: absent, empty, `0`, `false`, `no` are false.
    pub fn bool(&self, key: &str) -> bool {
        match self.get(key) {
            None => false,
            Some(v) => !matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "" | "0" | "false" | "no" | "off"
            ),
        }
    }

    /// A boolean with a default for when the key is absent.
    pub fn bool_or(&self, key: &str, default: bool) -> bool {
        if self.get(key).is_some() {
            self.bool(key)
        } else {
            default
        }
    }

    /// An integer parameter; a malformed one is a 400.
    pub fn int(&self, key: &str) -> ApiResult<Option<i64>> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                ApiError::bad_request(format!("invalid value for {key}: {v:?}: not an integer"))
            }),
        }
    }

    /// The `filters` parameter: `{"key": ["v1", "v2"]}` or the old `{"key": {"v1": true}}`.
    pub fn filters(&self) -> ApiResult<Filters> {
        match self.get("filters") {
            None | Some("") => Ok(Filters::default()),
            Some(v) => Filters::parse(v),
        }
    }
}

/// Parsed `filters`: each key with its values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters(pub BTreeMap<String, Vec<String>>);

impl Filters {
    /// Parses either JSON shape dockerd accepts; anything else is a 400.
    pub fn parse(text: &str) -> ApiResult<Filters> {
        let bad = |why: String| ApiError::bad_request(format!("invalid filter: {why}"));
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let obj = v
            .as_object()
            .ok_or_else(|| bad(format!("{text}: not a JSON object")))?;
        let mut out = BTreeMap::new();
        for (k, vals) in obj {
            let list: Vec<String> = match vals {
                serde_json::Value::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map(str::to_string))
                    .collect::<Option<_>>()
                    .ok_or_else(|| bad(format!("{k}: values must be strings")))?,
                serde_json::Value::Object(m) => m
                    .iter()
                    .filter(|(_, on)| on.as_bool().unwrap_or(false))
                    .map(|(x, _)| x.clone())
                    .collect(),
                _ => return Err(bad(format!("{k}: expected a list of values"))),
            };
            out.insert(k.clone(), list);
        }
        Ok(Filters(out))
    }

    /// The values of `key` (empty when absent).
    pub fn get(&self, key: &str) -> &[String] {
        self.0.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Refuses keys outside `allowed`, as dockerd does (`invalid filter 'x'`).
    pub fn only(&self, allowed: &[&str]) -> ApiResult<()> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(ApiError::bad_request(format!("invalid filter '{k}'"))),
            None => Ok(()),
        }
    }

    /// A boolean filter that takes at most one value (`dangling`, `all`): `None` when
    /// absent; several values or a word other than true/false/1/0 are a 400.
    pub fn one_bool(&self, key: &str) -> ApiResult<Option<bool>> {
        match self.get(key) {
            [] => Ok(None),
            [v] => bool_value(key, v).map(Some),
            _ => Err(ApiError::bad_request(format!(
                "invalid filter: '{key}' takes one value"
            ))),
        }
    }

    /// Whether every `label` filter value (`key` or `key=value`) holds for `labels`.
    pub fn labels_match(&self, labels: &BTreeMap<String, String>) -> bool {
        label_match(self.get("label"), labels)
    }

    /// The filters as `key=value` strings, the shape the CLI's `--filter` gives the engine.
    pub fn as_pairs(&self) -> Vec<String> {
        self.0
            .iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| format!("{k}={v}")))
            .collect()
    }
}

/// Every `label` filter (`key` or `key=value`) holds.
fn label_match(filters: &[String], labels: &BTreeMap<String, String>) -> bool {
    filters.iter().all(|l| match l.split_once('=') {
        Some((k, v)) => labels.get(k).map(String::as_str) == Some(v),
        None => labels.contains_key(l.as_str()),
    })
}

/// A boolean filter value as dockerd reads one; anything else is a 400.
pub fn bool_value(key: &str, v: &str) -> ApiResult<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ApiError::bad_request(format!(
            "invalid filter '{key}={v}': expected true, false, 1 or 0"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_and_filters() {
        let q = Query::parse(Some(
            "all=1&stream=false&filters=%7B%22status%22%3A%5B%22exited%22%5D%7D",
        ));
        assert!(q.bool("all"));
        assert!(!q.bool("stream"));
        assert!(!q.bool("missing"));
        let f = q.filters().unwrap();
        assert_eq!(f.get("status"), ["exited"]);
        assert_eq!(
            Filters::parse(r#"{"label":{"a=b":true}}"#)
                .unwrap()
                .get("label"),
            ["a=b"]
        );
        assert!(Filters::parse("[1]").is_err());
        assert!(Filters::parse("{").is_err());
        assert!(Query::parse(Some("t=x")).int("t").is_err());
        let d = Filters::parse(r#"{"dangling":["1"]}"#).unwrap();
        assert_eq!(d.one_bool("dangling").unwrap(), Some(true));
        assert_eq!(d.one_bool("all").unwrap(), None);
        let two = Filters::parse(r#"{"dangling":["1","0"]}"#).unwrap();
        assert_eq!(two.one_bool("dangling").unwrap_err().status, 400);
        let maybe = Filters::parse(r#"{"dangling":["maybe"]}"#).unwrap();
        assert_eq!(maybe.one_bool("dangling").unwrap_err().status, 400);
    }
}
