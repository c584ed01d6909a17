//! Relative paths in a service (or a whole document) made absolute against a directory:
//! what a service taken from another directory (`extends.file`, `include`) needs so that its
//! paths keep pointing where its own file meant.

use std::path::{Component, Path, PathBuf};

use super::yaml::{Kind, Node};

/// `dir/rel` without `.` and `..` components (lexically; the path need not exist).
pub(crate) fn absolute(dir: &Path, rel: &str) -> PathBuf {
    let joined = dir.join(rel);
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn is_remote(s: &str) -> bool {
    s.contains("://") || s.starts_with("git@") || s.starts_with("github.com/")
}

fn is_relative(s: &str) -> bool {
    !s.is_empty() && !s.starts_with('/') && !s.starts_with('~') && !is_remote(s)
}

fn rebase_str(node: &mut Node, dir: &Path) {
    if let Kind::Str(s) = &mut node.kind {
        if is_relative(s) {
            *s = absolute(dir, s).to_string_lossy().into_owned();
        }
    }
}

/// Makes the relative paths of one service absolute against `dir`: `build` (context),
/// `env_file`, `label_file`, bind sources in `volumes`.
pub(crate) fn rebase_service(svc: &mut Node, dir: &Path) {
    if let Some(b) = svc.get_mut("build") {
        match &mut b.kind {
            Kind::Str(_) => rebase_str(b, dir),
            Kind::Map(_) => {
                if let Some(c) = b.get_mut("context") {
                    rebase_str(c, dir);
                }
            }
            _ => {}
        }
    }
    for key in ["env_file", "label_file"] {
        if let Some(e) = svc.get_mut(key) {
            match &mut e.kind {
                Kind::Str(_) => rebase_str(e, dir),
                Kind::Seq(items) => {
                    for item in items {
                        if item.as_str().is_some() {
                            rebase_str(item, dir);
                        } else if let Some(p) = item.get_mut("path") {
                            rebase_str(p, dir);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(Node {
        kind: Kind::Seq(items),
        ..
    }) = svc.get_mut("volumes")
    {
        for item in items {
            if let Kind::Str(s) = &mut item.kind {
                if s.starts_with('.') {
                    if let Some((src, rest)) = s.split_once(':') {
                        *s = format!("{}:{rest}", absolute(dir, src).display());
                    }
                }
            } else if item.get("type").and_then(Node::as_str) == Some("bind") {
                if let Some(src) = item.get_mut("source") {
                    rebase_str(src, dir);
                }
            }
        }
    }
}

/// Makes the relative paths of a whole document absolute against `dir`: every service's,
/// and the `file` of top-level secrets and configs.
pub(crate) fn rebase_document(doc: &mut Node, dir: &Path) {
    if let Some(services) = doc.get_mut("services").and_then(Node::as_map_mut) {
        for (_, svc) in services.iter_mut() {
            rebase_service(svc, dir);
        }
    }
    for top in ["secrets", "configs"] {
        if let Some(items) = doc.get_mut(top).and_then(Node::as_map_mut) {
            for (_, item) in items.iter_mut() {
                if let Some(f) = item.get_mut("file") {
                    rebase_str(f, dir);
                }
            }
        }
    }
}
