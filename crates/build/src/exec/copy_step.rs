//! COPY and ADD: sources from the context (filtered by .dockerignore), an earlier stage,
//! an image, or heredocs; keyed by the content of every source (never mtimes); copied
//! onto a snapshot with Docker's semantics; layers get the build's time on every entry.

use std::fs;
use std::path::PathBuf;

use berth_dockerfile::dockerignore::DockerIgnore;
use berth_dockerfile::expand::Lexer;

use super::layer::Snapshot;
use super::schedule::get_or_build;
use super::stage::{layer_step_with, StageState};
use super::{keys, stage_file, Shared};
use crate::context::{
    content_hash, content_hashes, parse_chmod, parse_chown, resolve_sources, CopyOptions, Source,
    SourceTree,
};
use crate::error::{io_err, BuildError, Result};
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
    let chmod = cp
        .chmod
        .as_deref()
        .map(parse_chmod)
        .transpose()
        .map_err(|e| BuildError::Invalid(e.to_string()))?;
    // Heredoc sources and downloads become files in a scratch tree.
    let heredoc_dir = if cp.heredocs.is_empty() && urls.is_empty() {
        None
    } else {
        Some(write_heredocs(sh, st, cp)?)
    };
    let mut downloaded = Vec::new();
    if let Some(dir) = &heredoc_dir {
        for url in &urls {
            step.note(&format!("downloading {url}"));
            let f = fetch::fetch(url, &dir.0, cp.checksum.as_deref(), None)
                .map_err(|e| BuildError::Invalid(e.to_string()))?;
            downloaded.push(f);
        }
    }
    let heredoc_names: Vec<String> = cp.heredocs.iter().map(|h| h.name.clone()).collect();
    let is_heredoc = |s: &str| {
        s.strip_prefix("<<")
            .map(|n| {
                n.trim_start_matches('-')
                    .trim_matches(|c| c == '"' || c == '\'')
            })
            .is_some_and(|n| heredoc_names.iter().any(|h| h == n))
    };
    let plain: Vec<String> = cp
        .sources
        .iter()
        .filter(|s| !is_heredoc(s) && !fetch::is_url(s))
        .cloned()
        .collect();
    let src_tree = source_tree(sh, stage, cp.from.as_deref())?;
    let from_key = src_tree.key.clone();
    let tree = SourceTree {
        root: &src_tree.root,
        ignore: src_tree.ignore,
        context: src_tree.context,
    };
    let mut why = vec![format!("instruction: {}", cmd.location.original)];
    let mut hash_parts = Vec::new();
    let sources = if plain.is_empty() {
        Vec::new()
    } else {
        resolve_sources(&tree, &plain).map_err(|e| BuildError::Invalid(e.to_string()))?
    };
    match &from_key {
        Some(k) => hash_parts.push(k.clone()),
        None => {
            let entries = content_hashes(&tree, &sources, &cp.excludes)
                .map_err(|e| BuildError::Invalid(e.to_string()))?;
            let mut all = String::new();
            for (path, digest) in &entries {
                all.push_str(path);
                all.push('\0');
                all.push_str(digest);
                all.push('\n');
            }
            hash_parts.push(keys::chain("", &[&all]));
            // Name files in miss explanations, up to a point; past it, name the sources.
            if entries.len() <= MAX_EXPLAINED_FILES {
                why.extend(entries.iter().map(|(p, d)| format!("file {p}: {d}")));
            } else {
                for s in &sources {
                    let h = content_hash(&tree, std::slice::from_ref(s), &cp.excludes)
                        .map_err(|e| BuildError::Invalid(e.to_string()))?;
                    why.push(format!("source {}: {h}", display_rel(&s.rel)));
                }
            }
        }
    }
    let mut heredoc_sources = Vec::new();
    if let Some(dir) = &heredoc_dir {
        for h in &cp.heredocs {
            heredoc_sources.push(Source {
                rel: h.name.clone(),
                is_dir: false,
            });
        }
        for f in &downloaded {
            why.push(format!("url {}: {}", f.file_name, f.digest));
            heredoc_sources.push(Source {
                rel: f.file_name.clone(),
                is_dir: false,
            });
        }
        let htree = SourceTree {
            root: &dir.0,
            ignore: None,
            context: false,
        };
        let h = content_hash(&htree, &heredoc_sources, &[])
            .map_err(|e| BuildError::Invalid(e.to_string()))?;
        if !cp.heredocs.is_empty() {
            why.push(format!("heredocs: {h}"));
        }
        hash_parts.push(h);
    }
    let key = keys::chain(
        &st.key,
        &[
            word,
            &format!(
                "{:?}",
                (
                    &cp.sources,
                    &cp.dest,
                    &cp.from,
                    &cp.chown,
                    &chmod,
                    cp.parents,
                    &cp.excludes,
                    cp.link
                )
            ),
            &format!("{:?}", st.image.config.working_dir),
            &hash_parts.join("\n"),
        ],
    );
    let workdir = st
        .image
        .config
        .working_dir
        .clone()
        .unwrap_or_else(|| "/".into());
    let several = cp.sources.len() + cp.heredocs.len() > 1;
    layer_step_with(sh, st, &key, step, &why.join("\n"), true, |snap, _| {
        let chown = cp
            .chown
            .as_deref()
            .map(|c| parse_chown(&snap.rootfs, c))
            .transpose()
            .map_err(|e| BuildError::Invalid(e.to_string()))?;
        let opts = CopyOptions {
            chown,
            chmod,
            parents: cp.parents,
            excludes: cp.excludes.clone(),
            extract_archives: add && cp.unpack != Some(false),
        };
        // With several sources the destination is a directory even when some come
        // from heredocs and some from the tree.
        let dest = if several && !cp.dest.ends_with('/') {
            format!("{}/", cp.dest)
        } else {
            cp.dest.clone()
        };
        if !sources.is_empty() {
            crate::context::copy(&tree, &sources, &snap.rootfs, &dest, &workdir, &opts)
                .map_err(|e| BuildError::Invalid(e.to_string()))?;
        }
        if let Some(dir) = &heredoc_dir {
            let htree = SourceTree {
                root: &dir.0,
                ignore: None,
                context: false,
            };
            let hopts = CopyOptions {
                extract_archives: false,
                ..opts
            };
            crate::context::copy(
                &htree,
                &heredoc_sources,
                &snap.rootfs,
                &dest,
                &workdir,
                &hopts,
            )
            .map_err(|e| BuildError::Invalid(e.to_string()))?;
        }
        Ok(())
    })
}

fn display_rel(rel: &str) -> &str {
    if rel.is_empty() {
        "."
    } else {
        rel
    }
}

/// A scratch directory holding a COPY's heredoc files and an ADD's downloads; removed on drop.
struct ScratchFiles(PathBuf);

impl Drop for ScratchFiles {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn write_heredocs(sh: &Shared, st: &StageState, cp: &Copy) -> Result<ScratchFiles> {
    let dir = ScratchFiles(sh.runner.scratch_dir().map_err(BuildError::Runner)?);
    let env = st.expand_env();
    let lexer = Lexer {
        skip_process_quotes: true,
        raw_escapes: true,
        ..Lexer::new('\\')
    };
    for h in &cp.heredocs {
        let body = h.chomped_content();
        let body = if h.expand {
            lexer
                .process_word(&body, &env)
                .map_err(|e| BuildError::Invalid(e.to_string()))?
        } else {
            body
        };
        if h.name.contains('/') || h.name == ".." || h.name == "." {
            return Err(BuildError::Invalid(format!(
                "bad heredoc name {:?}",
                h.name
            )));
        }
        let path = dir.0.join(&h.name);
        fs::write(&path, body).map_err(io_err("write", &path))?;
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644))
            .map_err(io_err("chmod", &path))?;
    }
    Ok(dir)
}
