//! Validation against the Compose Specification's JSON schema (`compose-spec.json` beside
//! this file, compose-spec commit 170098b, Apache-2.0: `compose-spec.LICENSE`) by the `boon`
//! crate (draft 7; its `pattern`s run on the workspace's `regex` stand-in, regex-lite, which
//! has no Unicode classes: the schema uses none). This module words boon's errors like docker
//! compose's (`additional properties 'foo' not allowed`, `must be a string or number`) and
//! puts them in key order. Why boon, measured: docs/ARCHITECTURE.md.

use std::sync::OnceLock;

use boon::{Compiler, ErrorKind, InstanceToken, SchemaIndex, Schemas, Type, ValidationError};
use serde_json::Value;

use super::interpolate::join;

/// The schema text.
const SCHEMA: &str = include_str!("compose-spec.json");

/// One violation: the key path and what is wrong. `key` names the offending key of an
/// additional property (for a precise position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    /// The key path of the value.
    pub path: String,
    /// The offending key under `path`, for unknown keys.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// A step of an instance location; violations sort by their steps, i.e. in key order (the
/// order of serde_json's maps).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Index(usize),
    Key(String),
}

/// The schema, compiled on first use (boon also checks it against draft 7's metaschema).
fn compiled() -> Result<&'static (Schemas, SchemaIndex), &'static str> {
    static S: OnceLock<Result<(Schemas, SchemaIndex), String>> = OnceLock::new();
    S.get_or_init(|| {
        let schema: Value = serde_json::from_str(SCHEMA).map_err(|e| e.to_string())?;
        let url = "file:///compose-spec.json";
        let mut c = Compiler::new();
        c.add_resource(url, schema).map_err(|e| e.to_string())?;
        let mut schemas = Schemas::new();
        let index = c.compile(url, &mut schemas).map_err(|e| e.to_string())?;
        Ok((schemas, index))
    })
    .as_ref()
    .map_err(String::as_str)
}

/// Every violation in `doc`, in key order.
pub(crate) fn validate(doc: &Value) -> Vec<Violation> {
    let (schemas, index) = match compiled() {
        Ok(c) => c,
        Err(e) => {
            return vec![Violation {
                path: String::new(),
                key: None,
                message: format!("internal error: the bundled compose schema: {e}"),
            }]
        }
    };
    let mut found = Vec::new();
    if let Err(e) = schemas.validate(doc, *index) {
        let mut errors = Vec::new();
        leaves(&e, &mut errors);
        for e in errors {
            report(doc, e, &mut found);
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found.into_iter().map(|(_, v)| v).collect()
}

/// The errors under `e` that say what is wrong, below the wrappers (`$ref`, groups, the
/// schema itself).
fn leaves<'a, 's, 'v>(e: &'a ValidationError<'s, 'v>, out: &mut Vec<&'a ValidationError<'s, 'v>>) {
    match e.kind {
        ErrorKind::Schema { .. } | ErrorKind::Reference { .. } | ErrorKind::Group => {
            for c in &e.causes {
                leaves(c, out);
            }
        }
        _ => out.push(e),
    }
}

/// Where `e` is: its steps and its key path (`services.web.ports[0]`).
fn location(e: &ValidationError) -> (Vec<Step>, String) {
    let mut steps = Vec::new();
    let mut path = String::new();
    for t in &e.instance_location.tokens {
        match t {
            InstanceToken::Prop(k) => {
                path = join(&path, k);
                steps.push(Step::Key(k.to_string()));
            }
            InstanceToken::Item(i) => {
                path.push_str(&format!("[{i}]"));
                steps.push(Step::Index(*i));
            }
        }
    }
    (steps, path)
}

fn type_names(want: &boon::Types) -> Vec<&'static str> {
    want.iter()
        .map(|t| match t {
            Type::Null => "null",
            Type::Boolean => "boolean",
            Type::Number => "number",
            Type::Integer => "integer",
            Type::String => "string",
            Type::Array => "list",
            Type::Object => "mapping",
        })
        .collect()
}

/// `["string", "mapping"]` as `mapping or string`.
fn human(mut want: Vec<&str>) -> String {
    want.sort_unstable();
    want.dedup();
    match want.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.to_string(),
        None => String::new(),
    }
}

/// The violation `e` says, worded like docker compose.
fn report(doc: &Value, e: &ValidationError, out: &mut Vec<(Vec<Step>, Violation)>) {
    let (mut steps, mut path) = location(e);
    let mut key = None;
    let message = match &e.kind {
        ErrorKind::AdditionalProperties { got } => {
            key = got.first().map(|k| k.to_string());
            steps.extend(key.clone().map(Step::Key));
            let got: Vec<&str> = got.iter().map(|k| k.as_ref()).collect();
            format!("additional properties '{}' not allowed", got.join("', '"))
        }
        ErrorKind::Type { want, .. } => format!("must be a {}", human(type_names(want))),
        ErrorKind::OneOf(None) => return one_of(doc, e, out),
        ErrorKind::Enum { want } => {
            let list: Vec<String> = want.iter().map(Value::to_string).collect();
            format!("must be one of {}", list.join(", "))
        }
        ErrorKind::Pattern { got, want } => format!("{got:?} does not match {want:?}"),
        ErrorKind::Minimum { want, .. } => format!("must be >= {want}"),
        ErrorKind::Maximum { want, .. } => format!("must be <= {want}"),
        ErrorKind::Required { want } => format!("missing property '{}'", want.join("', '")),
        ErrorKind::UniqueItems { got: [i, j] } => {
            let list = steps.iter().try_fold(doc, |v, s| match s {
                Step::Key(k) => v.get(k),
                Step::Index(i) => v.get(i),
            });
            let item = list.and_then(|l| l.get(i)).unwrap_or(&Value::Null);
            path = format!("{path}[{j}]");
            steps.push(Step::Index(*j));
            format!("duplicate item {item} in list")
        }
        kind => kind.to_string(),
    };
    out.push((steps, Violation { path, key, message }));
}

/// No branch of a `oneOf` fits: the errors of the branch written for this kind of value (the
/// one whose `type` it has), or else every kind the branches take.
fn one_of(doc: &Value, e: &ValidationError, out: &mut Vec<(Vec<Step>, Violation)>) {
    let (steps, path) = location(e);
    let mut kinds = Vec::new();
    for branch in &e.causes {
        let mut errors = Vec::new();
        leaves(branch, &mut errors);
        let mut wrong_kind = false;
        for b in &errors {
            if let ErrorKind::Type { want, .. } = &b.kind {
                if b.instance_location.tokens.len() == steps.len() {
                    wrong_kind = true;
                    kinds.extend(type_names(want));
                }
            }
        }
        if !wrong_kind {
            for b in errors {
                report(doc, b, out);
            }
            return;
        }
    }
    let message = format!("must be a {}", human(kinds));
    let key = None;
    out.push((steps, Violation { path, key, message }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn first(doc: Value) -> Option<(String, String)> {
        validate(&doc)
            .into_iter()
            .next()
            .map(|v| (v.path, v.message))
    }

    #[test]
    fn messages() {
        assert_eq!(first(json!({"services": {"web": {"image": "x"}}})), None);
        assert_eq!(
            first(json!({"services": {"web": {"image": "x", "foo": 1}}})),
            Some((
                "services.web".into(),
                "additional properties 'foo' not allowed".into()
            ))
        );
        assert_eq!(
            first(json!({"services": {"web": {"image": ["x"]}}})),
            Some(("services.web.image".into(), "must be a string".into()))
        );
        assert_eq!(
            first(json!({"services": {"web": {"ports": [{"target": 80, "bogus": 1}]}}})),
            Some((
                "services.web.ports[0]".into(),
                "additional properties 'bogus' not allowed".into()
            ))
        );
        assert_eq!(
            first(json!({"services": {"web": {"ports": [true]}}})),
            Some((
                "services.web.ports[0]".into(),
                "must be a mapping, number or string".into()
            ))
        );
        assert_eq!(
            first(json!({"services": {"web": {"environment": {"A": [1]}}}})),
            Some((
                "services.web.environment.A".into(),
                "must be a boolean, null, number or string".into()
            ))
        );
        assert!(first(json!({"x-any": {"whatever": [1]}, "services": {}})).is_none());
        // Service names are `patternProperties` (regex-lite underneath).
        assert_eq!(
            first(json!({"services": {"web!": {"image": "x"}}})),
            Some((
                "services".into(),
                "additional properties 'web!' not allowed".into()
            ))
        );
        assert!(first(json!({"bogus": 1})).is_some());
    }

    #[test]
    fn patterns_enums_duplicates_and_key_order() {
        assert_eq!(
            first(json!({"services": {"web": {"pull_policy": "every_1x"}}})),
            Some((
                "services.web.pull_policy".into(),
                "\"every_1x\" does not match \"always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+\"".into()
            ))
        );
        assert_eq!(
            first(json!({"services": {"web": {"depends_on": {"db": {"condition": "x"}}}}})),
            Some((
                "services.web.depends_on.db.condition".into(),
                "must be one of \"service_started\", \"service_healthy\", \"service_completed_successfully\"".into()
            ))
        );
        assert_eq!(
            first(json!({"services": {"web": {"ulimits": {"nofile": {"soft": 1}}}}})),
            Some((
                "services.web.ulimits.nofile".into(),
                "missing property 'hard'".into()
            ))
        );
        assert_eq!(
            first(json!({"services": {"web": {"ports": [80, 81, 80]}}})),
            Some((
                "services.web.ports[2]".into(),
                "duplicate item 80 in list".into()
            ))
        );
        // Key order, whatever order boon finds them in; an unknown key sorts as itself.
        let all = validate(&json!({"services": {"web": {"ports": [true], "build": 1, "zz": 1}}}));
        let paths: Vec<&str> = all.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "services.web.build",
                "services.web.ports[0]",
                "services.web"
            ]
        );
    }
}
