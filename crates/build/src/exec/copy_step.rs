//! COPY and ADD: sources from the context (filtered by .dockerignore), an earlier stage,
//! an image, or heredocs; keyed by the content of every source (never mtimes); copied
//! onto a snapshot with Docker's semantics; layers get the build's time on every entry.

mod scratch;

use std::path::{Path, PathBuf};

use berth_dockerfile::dockerignore::DockerIgnore;

use super::layer::Snapshot;
use super::schedule::get_or_build;
use super::stage::{layer_step_with, StageState};
use super::{keys, stage_file, Shared};
use crate::context::{
    content_hashes_by_source, entries_hash, parse_chmod, parse_chown, resolve_sources, CopyOptions,
    HashCache, Source, SourceTree,
};
use crate::error::{BuildError, Result};
use crate::fetch;
use crate::instructions::{Command, Copy};
use crate::plan::{at, runner_at, Stage};
use crate::progress::StepHandle;

/// Past this many files, a COPY's miss explanation names its sources instead.
const MAX_EXPLAINED_FILES: usize = 2000;

/// Keeps a source tree (a read-only snapshot of a stage or image) mounted.
pub(crate) type TreeGuard<'a> = Snapshot<'a>;

/// A tree files are read from.
pub(crate) struct Tree<'a> {
    /// Its root directory.
    pub root: PathBuf,
    /// Its ignore rules (the context's).
    pub ignore: Option<&'a DockerIgnore>,
    /// Whether it is the build context.
    pub context: bool,
    /// What keeps it mounted.
    pub guard: Option<TreeGuard<'a>>,
    /// What stands for its content when that is known without hashing (a stage's key,
    /// an image's ID).
    pub key: Option<String>,
}

/// The tree `--from` names (a stage by name or number, or an image), or the context.
pub(crate) fn source_tree<'a>(
    sh: &'a Shared,
    stage: &Stage,
    from: Option<&str>,
) -> Result<Tree<'a>> {
    let Some(from) = from else {
        return Ok(Tree {
            root: sh.context.to_path_buf(),
            ignore: sh.ignore,
            context: true,
            guard: None,
            key: None,
        });
    };
    let (layers, key) = match sh.plan.stage_index(from, stage.index) {
        Some(j) => {
            let out = get_or_build(sh, j)?;
            (out.layers.clone(), format!("stage {}", out.key))
        }
        None if from == "scratch" => (Vec::new(), "scratch".to_string()),
        None => {
            let img = sh.runner.image(from).map_err(BuildError::Runner)?;
            (img.layers, format!("image {}", img.id))
        }
    };
    let snap = Snapshot::mount(sh.runner, &layers, true)?;
    Ok(Tree {
        root: snap.rootfs.clone(),
        ignore: None,
        context: false,
        guard: Some(snap),
        key: Some(key),
    })
}

/// Runs a COPY or ADD step (or answers it from the cache). Returns whether it added a layer.
pub(crate) fn copy(
    sh: &Shared,
    stage: &Stage,
    st: &mut StageState,
    cmd: &Command,
    cp: &Copy,
    add: bool,
    mut step: StepHandle,
) -> Result<bool> {
    let result = prepare_and_copy(sh, stage, st, cmd, cp, add, &mut step).map_err(|e| match e {
        BuildError::Invalid(m) => at(stage_file(sh), &cmd.location, m),
        BuildError::Runner(e) => runner_at(stage_file(sh), &cmd.location, e),
        other => other,
    });
    step.finish(result)
}

/// Checks the step, resolves and hashes its sources into the cache key, and (on a miss)
/// copies them onto the stage's snapshot.
fn prepare_and_copy(
    sh: &Shared,
    stage: &Stage,
    st: &mut StageState,
    cmd: &Command,
    cp: &Copy,
    add: bool,
    step: &mut StepHandle,
) -> Result<bool> {
    let word = if add { "ADD" } else { "COPY" };
    let urls = check_flags(cp, add, word)?;
    let chmod = cp
        .chmod
        .as_deref()
        .map(parse_chmod)
        .transpose()
        .map_err(invalid)?;
    let scratch = scratch::prepare(sh, st, cp, &urls, step)?;
    let src_tree = source_tree(sh, stage, cp.from.as_deref())?;
    let tree = SourceTree {
        root: &src_tree.root,
        ignore: src_tree.ignore,
        context: src_tree.context,
    };
    let plain = plain_sources(cp);
    let sources = if plain.is_empty() {
        Vec::new()
    } else {
        resolve_sources(&tree, &plain).map_err(invalid)?
    };
    let mut why = vec![format!("instruction: {}", cmd.location.original)];
    let mut hash_parts = vec![tree_part(
        &tree,
        src_tree.key.as_deref(),
        sh.hash_cache,
        &sources,
        cp,
        &mut why,
    )?];
    if let Some(s) = &scratch {
        hash_parts.push(s.hash_part(cp, &mut why)?);
    }
    let key = step_key(st, word, cp, chmod, &hash_parts);
    let inputs = CopyInputs {
        cp,
        add,
        chmod,
        tree,
        sources,
        scratch,
        workdir: st
            .image
            .config
            .working_dir
            .clone()
            .unwrap_or_else(|| "/".into()),
    };
    layer_step_with(sh, st, &key, step, &why.join("\n"), true, |snap, _| {
        inputs.copy_onto(&snap.rootfs)
    })
}

/// Maps a context error to the step's "invalid" error.
fn invalid(e: impl std::fmt::Display) -> BuildError {
    BuildError::Invalid(e.to_string())
}

/// Rejects what COPY/ADD cannot do (git sources, URLs for COPY, ADD's flags on COPY,
/// `--checksum` without exactly one URL); returns the step's URL sources.
fn check_flags<'c>(cp: &'c Copy, add: bool, word: &str) -> Result<Vec<&'c String>> {
    if let Some(git) = cp.sources.iter().find(|s| fetch::is_git_url(s)) {
        return Err(BuildError::Invalid(format!(
            "{word} from a git repository is not supported yet: {git}"
        )));
    }
    let urls: Vec<&String> = cp.sources.iter().filter(|s| fetch::is_url(s)).collect();
    if !add && !urls.is_empty() {
        return Err(BuildError::Invalid(format!(
            "source can't be a URL for COPY: {} (use ADD)",
            urls[0]
        )));
    }
    if cp.checksum.is_some() && (urls.len() != 1 || cp.sources.len() != 1) {
        return Err(BuildError::Invalid(
            "--checksum needs exactly one http(s) source".into(),
        ));
    }
    if !add && (cp.checksum.is_some() || cp.keep_git_dir) {
        return Err(BuildError::Invalid(
            "--checksum and --keep-git-dir are ADD flags".into(),
        ));
    }
    Ok(urls)
}

/// The sources read from the tree: neither heredocs (`<<EOF`) nor URLs.
fn plain_sources(cp: &Copy) -> Vec<String> {
    let is_heredoc = |s: &str| {
        s.strip_prefix("<<")
            .map(|n| {
                n.trim_start_matches('-')
                    .trim_matches(|c| c == '"' || c == '\'')
            })
            .is_some_and(|n| cp.heredocs.iter().any(|h| h.name == n))
    };
    cp.sources
        .iter()
        .filter(|s| !is_heredoc(s) && !fetch::is_url(s))
        .cloned()
        .collect()
}

/// The tree's part of the cache key: its known key (a stage's, an image's), else the
/// content of every source file (the context's read through its digest cache). Explains it
/// in `why`: each file, or past [`MAX_EXPLAINED_FILES`] each source.
fn tree_part(
    tree: &SourceTree,
    known_key: Option<&str>,
    cache: Option<&HashCache>,
    sources: &[Source],
    cp: &Copy,
    why: &mut Vec<String>,
) -> Result<String> {
    if let Some(k) = known_key {
        return Ok(k.to_string());
    }
    let groups = content_hashes_by_source(tree, sources, &cp.excludes, cache).map_err(invalid)?;
    let count: usize = groups.iter().map(Vec::len).sum();
    let mut all = String::new();
    for (path, digest) in groups.iter().flatten() {
        all.push_str(path);
        all.push('\0');
        all.push_str(digest);
        all.push('\n');
    }
    // Name files in miss explanations, up to a point; past it, name the sources.
    if count <= MAX_EXPLAINED_FILES {
        why.extend(
            groups
                .iter()
                .flatten()
                .map(|(p, d)| format!("file {p}: {d}")),
        );
    } else {
        for (s, group) in sources.iter().zip(&groups) {
            let h = entries_hash(group);
            why.push(format!("source {}: {h}", display_rel(&s.rel)));
        }
    }
    Ok(keys::chain("", &[&all]))
}

/// The step's cache key: the parent's key, the instruction and its flags, the working
/// directory and the content's hash parts.
fn step_key(
    st: &StageState,
    word: &str,
    cp: &Copy,
    chmod: Option<u32>,
    hash_parts: &[String],
) -> String {
    let flags = (
        &cp.sources,
        &cp.dest,
        &cp.from,
        &cp.chown,
        &chmod,
        cp.parents,
        &cp.excludes,
        cp.link,
    );
    keys::chain(
        &st.key,
        &[
            word,
            &format!("{flags:?}"),
            &format!("{:?}", st.image.config.working_dir),
            &hash_parts.join("\n"),
        ],
    )
}

/// Everything a COPY/ADD copies, resolved before the cache lookup.
struct CopyInputs<'a> {
    cp: &'a Copy,
    add: bool,
    chmod: Option<u32>,
    tree: SourceTree<'a>,
    sources: Vec<Source>,
    scratch: Option<scratch::Scratch>,
    /// The stage's working directory (relative destinations are under it).
    workdir: String,
}

impl CopyInputs<'_> {
    /// Copies the tree's sources, then the heredocs and downloads, onto `rootfs`.
    fn copy_onto(&self, rootfs: &Path) -> Result<()> {
        let cp = self.cp;
        let chown = cp
            .chown
            .as_deref()
            .map(|c| parse_chown(rootfs, c))
            .transpose()
            .map_err(invalid)?;
        let opts = CopyOptions {
            chown,
            chmod: self.chmod,
            parents: cp.parents,
            excludes: cp.excludes.clone(),
            extract_archives: self.add && cp.unpack != Some(false),
        };
        // With several sources the destination is a directory even when some come
        // from heredocs and some from the tree.
        let several = cp.sources.len() + cp.heredocs.len() > 1;
        let dest = if several && !cp.dest.ends_with('/') {
            format!("{}/", cp.dest)
        } else {
            cp.dest.clone()
        };
        if !self.sources.is_empty() {
            crate::context::copy(
                &self.tree,
                &self.sources,
                rootfs,
                &dest,
                &self.workdir,
                &opts,
            )
            .map_err(invalid)?;
        }
        if let Some(s) = &self.scratch {
            let hopts = CopyOptions {
                extract_archives: false,
                ..opts
            };
            s.copy_onto(rootfs, &dest, &self.workdir, &hopts)?;
        }
        Ok(())
    }
}

fn display_rel(rel: &str) -> &str {
    if rel.is_empty() {
        "."
    } else {
        rel
    }
}
