//! One compose file: read, parsed, interpolated, its `extends` and `include` resolved; and a
//! list of files merged into one document.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::interpolate::interpolate;
use super::merge::{clean, merge};
use super::yaml::{parse, Kind, Node};
use super::{extends, include};
use crate::error::{Error, Result};
use crate::loaded::Span;

/// What loading a file needs besides the file.
pub(crate) struct Ctx<'a> {
    /// The variables interpolation uses.
    pub env: BTreeMap<String, String>,
    /// Warnings so far.
    pub warnings: &'a mut Vec<String>,
    /// The files being included, outermost first (to refuse a cycle).
    pub includes: Vec<PathBuf>,
}

/// Reads a file.
pub(crate) fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        what: "reading",
        path: path.to_path_buf(),
        source,
    })
}

/// Parses `text` (written in `path`) and interpolates it; several YAML documents merge in
/// order; `version` is dropped with a warning.
pub(crate) fn parse_file(text: &str, path: &Path, ctx: &mut Ctx<'_>) -> Result<Node> {
    let mut doc: Option<Node> = None;
    for d in parse(text, path)? {
        doc = Some(match doc {
            None => d,
            Some(acc) => merge(acc, d, &[]).unwrap_or_else(|| empty(path)),
        });
    }
    let mut doc = match doc {
        Some(d) if matches!(d.kind, Kind::Null) => empty(path),
        Some(d) => d,
        None => empty(path),
    };
    if doc.as_map().is_none() {
        return Err(Error::At {
            span: Some(doc.span.clone()),
            path: String::new(),
            message: "top-level object must be a mapping".into(),
        });
    }
    interpolate(&mut doc, "", &ctx.env, ctx.warnings)?;
    if doc.remove("version").is_some() {
        ctx.warnings.push(format!(
            "{}: the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion",
            path.display()
        ));
    }
    Ok(doc)
}

fn empty(path: &Path) -> Node {
    Node::new(
        Kind::Map(Vec::new()),
        Span {
            file: path.to_path_buf(),
            line: 1,
            column: 1,
        },
    )
}

/// One file made ready to merge: parsed, interpolated, `extends` then `include` resolved.
pub(crate) fn load_file(text: &str, path: &Path, ctx: &mut Ctx<'_>) -> Result<Node> {
    let mut doc = parse_file(text, path, ctx)?;
    extends::resolve(&mut doc, path, ctx)?;
    include::apply(&mut doc, path, ctx)?;
    Ok(doc)
}

/// Files (path and text) loaded and merged in order, `!reset` and `!override` applied.
pub(crate) fn load_files(files: &[(PathBuf, String)], ctx: &mut Ctx<'_>) -> Result<Node> {
    let mut acc: Option<Node> = None;
    for (path, text) in files {
        let doc = load_file(text, path, ctx)?;
        acc = Some(match acc {
            None => clean(doc).unwrap_or_else(|| empty(path)),
            Some(a) => merge(a, doc, &[]).unwrap_or_else(|| empty(path)),
        });
    }
    Ok(acc.unwrap_or_else(|| empty(Path::new("-"))))
}
