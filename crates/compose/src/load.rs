//! Loading compose files into a [`Loaded`] document, as docker compose v2 (compose-go) does:
//! file lookup (`-f`, `COMPOSE_FILE`, `compose.yaml` in the working directory or a parent,
//! plus its override file), `.env` (or `--env-file`) with the process environment winning,
//! YAML read as written (anchors, merge keys, `!reset`, `!override`, positions), per-file
//! interpolation, `extends`, `include`, the multi-file merge, validation against the bundled
//! Compose schema, port syntax and `depends_on` cycles, and the project name.
//!
//! Errors: the first problem found is returned (schema violations in key order), as an
//! [`Error::At`] with `file:line:column` and the key path where one is known.

mod checks;
pub(crate) mod dotenv;
mod extends;
mod file;
mod include;
mod interpolate;
mod merge;
mod paths;
mod project;
mod schema;
mod spans;
mod template;
mod yaml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::loaded::{Loaded, SpanIndex};
use file::{load_files, read, Ctx};
use interpolate::join;
use project::{check_name, env_files, find_default, normalize_name, resolve};
use yaml::{Key, Kind, Node};

/// What `berth compose` was asked to load.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-f` files in order; `-` is standard input, whose text is [`LoadOptions::stdin`].
    /// Empty: `COMPOSE_FILE`, else the default file names.
    pub files: Vec<PathBuf>,
    /// The text of `-f -`.
    pub stdin: Option<String>,
    /// `--project-directory`.
    pub project_directory: Option<PathBuf>,
    /// `-p`.
    pub project_name: Option<String>,
    /// `--env-file`, in order (later files win); empty: `.env` in the project directory.
    pub env_files: Vec<PathBuf>,
    /// The process environment (passed in so that tests need no globals); it wins over
    /// `.env` files.
    pub environment: BTreeMap<String, String>,
    /// The current directory.
    pub working_dir: PathBuf,
}

/// `services: {web: }` and `volumes: {data: }` mean empty mappings.
fn empty_not_null(doc: &mut Node) {
    for top in ["services", "networks", "volumes", "secrets", "configs"] {
        if let Some(items) = doc.get_mut(top).and_then(Node::as_map_mut) {
            for (_, v) in items.iter_mut() {
                if matches!(v.kind, Kind::Null) {
                    v.kind = Kind::Map(Vec::new());
                }
            }
        }
    }
}

/// Loads a project; warnings are dropped (see [`load_with_warnings`]).
pub fn load(opts: &LoadOptions) -> Result<Loaded> {
    load_with_warnings(opts).map(|(l, _)| l)
}

/// Loads a project and returns the warnings docker compose would print (unset variables,
/// obsolete `version`, several default files).
pub fn load_with_warnings(opts: &LoadOptions) -> Result<(Loaded, Vec<String>)> {
    let mut warnings = Vec::new();
    let cwd = &opts.working_dir;
    let project_dir = opts.project_directory.as_ref().map(|p| resolve(cwd, p));
    let mut env = variables(opts, project_dir.as_ref())?;
    let files = compose_files(opts, &env, project_dir.as_ref(), &mut warnings)?;
    let texts = read_texts(opts, &files)?;
    let working_dir = project_dir
        .or_else(|| first_file_dir(&files))
        .unwrap_or_else(|| cwd.clone());

    // The name, when given outright, is known to interpolation.
    let explicit = explicit_name(opts, &env)?;
    if let Some(n) = &explicit {
        env.insert("COMPOSE_PROJECT_NAME".into(), n.clone());
    }

    let mut ctx = Ctx {
        env: env.clone(),
        warnings: &mut warnings,
        includes: Vec::new(),
    };
    let mut doc = load_files(&texts, &mut ctx)?;
    if doc.as_map().is_none_or(Vec::is_empty) {
        return Err(Error::Invalid("empty compose file".into()));
    }
    merge::unicity(&mut doc, &mut Vec::new());
    empty_not_null(&mut doc);
    let name = match explicit {
        Some(n) => n,
        None => implicit_name(&doc, &working_dir)?,
    };
    set_name(&mut doc, &name);
    let (document, spans) = validate(&doc)?;
    env.entry("COMPOSE_PROJECT_NAME".into())
        .or_insert_with(|| name.clone());
    Ok((
        Loaded {
            name,
            working_dir,
            config_files: files,
            document,
            spans,
            environment: env,
        },
        warnings,
    ))
}

/// Whether `f` is `-f -` (standard input).
fn is_stdin(f: &Path) -> bool {
    f == Path::new("-")
}

/// The directory of the first file that is not standard input.
fn first_file_dir(files: &[PathBuf]) -> Option<PathBuf> {
    files
        .iter()
        .find(|f| !is_stdin(f))
        .and_then(|f| f.parent().map(PathBuf::from))
}

/// The variables: the env files (`--env-file`, else `.env` in the project directory or
/// the first file's), then the process environment over them.
fn variables(
    opts: &LoadOptions,
    project_dir: Option<&PathBuf>,
) -> Result<BTreeMap<String, String>> {
    let cwd = &opts.working_dir;
    let env_dir = project_dir
        .cloned()
        .or_else(|| {
            opts.files
                .iter()
                .find(|f| !is_stdin(f))
                .and_then(|f| resolve(cwd, f).parent().map(PathBuf::from))
        })
        .unwrap_or_else(|| cwd.clone());
    let dotenv_paths: Vec<PathBuf> = if opts.env_files.is_empty() {
        let p = env_dir.join(".env");
        if p.is_file() {
            vec![p]
        } else {
            Vec::new()
        }
    } else {
        opts.env_files.iter().map(|p| resolve(cwd, p)).collect()
    };
    let mut env = env_files(&dotenv_paths, &opts.environment)?;
    env.extend(opts.environment.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(env)
}

/// The compose files: `-f`, else `COMPOSE_FILE` (split on `COMPOSE_PATH_SEPARATOR`),
/// else the default names in the project directory or a parent.
fn compose_files(
    opts: &LoadOptions,
    env: &BTreeMap<String, String>,
    project_dir: Option<&PathBuf>,
    warnings: &mut Vec<String>,
) -> Result<Vec<PathBuf>> {
    let cwd = &opts.working_dir;
    if !opts.files.is_empty() {
        return Ok(opts
            .files
            .iter()
            .map(|f| {
                if is_stdin(f) {
                    f.clone()
                } else {
                    resolve(cwd, f)
                }
            })
            .collect());
    }
    if let Some(cf) = env.get("COMPOSE_FILE").filter(|s| !s.is_empty()) {
        let sep = env
            .get("COMPOSE_PATH_SEPARATOR")
            .filter(|s| !s.is_empty())
            .cloned()
            .unwrap_or_else(|| ":".into());
        return Ok(cf
            .split(sep.as_str())
            .filter(|s| !s.is_empty())
            .map(|f| resolve(cwd, &PathBuf::from(f)))
            .collect());
    }
    let dir = project_dir.cloned().unwrap_or_else(|| cwd.clone());
    find_default(&dir, warnings)
        .ok_or_else(|| Error::Invalid("no configuration file provided: not found".into()))
}

/// Each file's path and text (`-` is [`LoadOptions::stdin`], named `<cwd>/-`).
fn read_texts(opts: &LoadOptions, files: &[PathBuf]) -> Result<Vec<(PathBuf, String)>> {
    let mut texts = Vec::new();
    for f in files {
        if is_stdin(f) {
            let text = opts.stdin.clone().ok_or_else(|| {
                Error::Invalid("-f -: no text was given on standard input".into())
            })?;
            texts.push((opts.working_dir.join("-"), text));
        } else {
            texts.push((f.clone(), read(f)?));
        }
    }
    Ok(texts)
}

/// The name given outright: `-p`, else `COMPOSE_PROJECT_NAME`.
fn explicit_name(opts: &LoadOptions, env: &BTreeMap<String, String>) -> Result<Option<String>> {
    let given = opts
        .project_name
        .as_deref()
        .filter(|s| !s.is_empty())
        .or_else(|| {
            env.get("COMPOSE_PROJECT_NAME")
                .map(String::as_str)
                .filter(|s| !s.is_empty())
        });
    given.map(check_name).transpose()
}

/// The name otherwise: the file's `name`, else the working directory's base name
/// (normalised); never empty.
fn implicit_name(doc: &Node, working_dir: &Path) -> Result<String> {
    let from_file = doc
        .get("name")
        .and_then(Node::scalar_text)
        .map(|n| normalize_name(&n))
        .filter(|n| !n.is_empty());
    let from_dir = || {
        working_dir
            .file_name()
            .map(|b| normalize_name(&b.to_string_lossy()))
            .unwrap_or_default()
    };
    let n = from_file.unwrap_or_else(from_dir);
    if n.is_empty() {
        return Err(Error::Invalid("project name must not be empty".into()));
    }
    Ok(n)
}

/// Sets the document's `name` (at the file's `name` key, else at the document).
fn set_name(doc: &mut Node, name: &str) {
    let name_span = doc
        .as_map()
        .and_then(|m| m.iter().find(|(k, _)| k.name == "name"))
        .map_or_else(|| doc.span.clone(), |(k, _)| k.span.clone());
    doc.set(
        Key {
            name: "name".into(),
            span: name_span.clone(),
        },
        Node::new(Kind::Str(name.to_string()), name_span),
    );
}

/// The document as JSON with its spans, checked against the Compose schema and then
/// berth's own checks; the first problem is an error at its position.
fn validate(doc: &Node) -> Result<(serde_json::Value, SpanIndex)> {
    let mut spans = SpanIndex::default();
    let document = spans::to_json(doc, "", &mut spans);
    if let Some(v) = schema::validate(&document).into_iter().next() {
        let at = match &v.key {
            Some(k) => join(&v.path, k),
            None => v.path.clone(),
        };
        return Err(Error::At {
            span: spans.locate(&at).cloned(),
            path: v.path,
            message: v.message,
        });
    }
    if let Some((path, message)) = checks::check(&document) {
        return Err(Error::At {
            span: spans.locate(&path).cloned(),
            path,
            message,
        });
    }
    Ok((document, spans))
}
