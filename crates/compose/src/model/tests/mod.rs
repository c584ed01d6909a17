//! Unit tests of the model on hand-built `Loaded` documents.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{json, Value};

use super::*;
use crate::loaded::{Loaded, Span, SpanIndex};
use crate::Error;

mod attributes;
mod errors;
mod output;
mod project;

/// A loaded document for project `proj` in `/work/proj`, with `HOME` and `FOO` in the
/// environment and a span for `services.web`.
fn loaded(doc: Value) -> Loaded {
    let mut spans = SpanIndex::default();
    spans.insert(
        "services.web",
        Span {
            file: PathBuf::from("/work/proj/compose.yaml"),
            line: 2,
            column: 3,
        },
    );
    spans.insert(
        "services.web.ports[0]",
        Span {
            file: PathBuf::from("/work/proj/compose.yaml"),
            line: 5,
            column: 9,
        },
    );
    Loaded {
        name: "proj".into(),
        working_dir: PathBuf::from("/work/proj"),
        config_files: vec![PathBuf::from("/work/proj/compose.yaml")],
        document: doc,
        spans,
        environment: BTreeMap::from([
            ("HOME".to_string(), "/home/u".to_string()),
            ("FOO".to_string(), "from-env".to_string()),
        ]),
    }
}

/// The project of `doc`, or a panic naming the error.
fn proj(doc: Value) -> Project {
    project(&loaded(doc), &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// Service `web` with `attrs` (an image is added unless given or built).
fn web(mut attrs: Value) -> Service {
    if attrs.get("image").is_none() && attrs.get("build").is_none() {
        attrs["image"] = json!("nginx");
    }
    let mut p = proj(json!({"services": {"web": attrs}, "volumes": {"data": {}, "cache": null}}));
    p.services.remove("web").unwrap_or_else(|| panic!("no web"))
}

/// The error of a project with service `web` = `attrs`.
fn web_err(mut attrs: Value) -> Error {
    if attrs.get("image").is_none() && attrs.get("build").is_none() {
        attrs["image"] = json!("nginx");
    }
    match project(&loaded(json!({"services": {"web": attrs}})), &[]) {
        Ok(_) => panic!("no error for {attrs}"),
        Err(e) => e,
    }
}

/// `(path, message)` of an `Error::At`.
fn at(e: &Error) -> (String, String) {
    match e {
        Error::At { path, message, .. } => (path.clone(), message.clone()),
        e => panic!("not an Error::At: {e}"),
    }
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}
