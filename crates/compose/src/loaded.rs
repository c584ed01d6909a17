//! The contract between loading and the model: the merged, interpolated, validated document,
//! and where each of its keys was written.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Where a key or value was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// Key paths (`services.web.ports[0]`, as the Compose tools print them) to where they were
/// written. After a merge, a path points at the file whose value won.
#[derive(Debug, Clone, Default)]
pub struct SpanIndex {
    spans: BTreeMap<String, Span>,
}

impl SpanIndex {
    /// Records where `path` was written (the latest record wins).
    pub fn insert(&mut self, path: impl Into<String>, span: Span) {
        self.spans.insert(path.into(), span);
    }

    /// Where `path` was written, or its nearest recorded ancestor (`services.web.ports[0]`
    /// -> `services.web.ports` -> `services.web` ...).
    pub fn locate(&self, path: &str) -> Option<&Span> {
        let mut p = path;
        loop {
            if let Some(s) = self.spans.get(p) {
                return Some(s);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }

    /// Every recorded path.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.spans.keys().map(String::as_str)
    }
}

/// A loaded project, ready for the model.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The project name, normalised as the spec says (lower case, `[a-z0-9_-]`, starting with
    /// a letter or digit).
    pub name: String,
    /// The project directory (relative paths in the files resolve against it).
    pub working_dir: PathBuf,
    /// The files loaded, in order (the `com.docker.compose.project.config_files` label).
    pub config_files: Vec<PathBuf>,
    /// The merged document: interpolated, `extends` and `include` resolved, `!reset` and
    /// `!override` applied, anchors and merge keys expanded, `x-` extensions kept, validated
    /// against the schema. Profiles are not applied yet (the model does that).
    pub document: serde_json::Value,
    /// Where each key was written.
    pub spans: SpanIndex,
    /// The environment interpolation used (`.env` files, then the process environment, which
    /// wins), for the model's own lookups (`environment: [VAR]` without a value).
    pub environment: BTreeMap<String, String>,
}
