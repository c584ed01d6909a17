//! RUN `--mount`s: their part of the step's key, and their host side (binds of a stage, an
//! image or the context; cache directories; tmpfs; secrets as files or variables).

use std::fs;
use std::path::{Path, PathBuf};

use super::set_mode;
use crate::context::{content_hash_cached, resolve_sources, SourceTree};
use crate::error::{io_err, BuildError, Result};
use crate::exec::copy_step::{source_tree, Tree, TreeGuard};
use crate::exec::Shared;
use crate::instructions::{MountKind, RunMount};
use crate::plan::Stage;
use crate::runner::StepMount;

/// What a step's `--mount`s add: mounts, environment (secrets with `env=`), and the
/// source snapshots kept mounted until the step ends.
pub(super) struct Prepared<'a> {
    pub mounts: Vec<StepMount>,
    pub env: Vec<String>,
    pub holders: Vec<TreeGuard<'a>>,
}

/// Maps a context error to the step's "invalid" error.
fn invalid(e: impl std::fmt::Display) -> BuildError {
    BuildError::Invalid(e.to_string())
}

/// The part of the key a `--mount` contributes: the options, and for bind mounts the
/// content of what is bound. Secret contents never enter keys.
pub(super) fn mount_key(sh: &Shared, stage: &Stage, m: &RunMount) -> Result<String> {
    let base = format!(
        "mount {}: {:?} {:?} {:?} {:?} ro={}",
        m.target, m.kind, m.source, m.from, m.id, m.readonly
    );
    if m.kind != MountKind::Bind {
        return Ok(base);
    }
    let src = source_tree(sh, stage, m.from.as_deref())?;
    if let Some(k) = &src.key {
        return Ok(format!("{base} {k}"));
    }
    let tree = SourceTree {
        root: &src.root,
        ignore: src.ignore,
        context: src.context,
    };
    let src = m.source.clone().unwrap_or_else(|| "/".into());
    let sources = resolve_sources(&tree, std::slice::from_ref(&src)).map_err(invalid)?;
    let hash = content_hash_cached(&tree, &sources, &[], sh.hash_cache).map_err(invalid)?;
    Ok(format!("{base} {hash}"))
}

/// Makes the host side of mount number `i` (scratch space under `work`) and adds it to
/// `out`.
pub(super) fn prepare_mount<'a>(
    sh: &'a Shared,
    stage: &Stage,
    m: &RunMount,
    work: &Path,
    i: usize,
    out: &mut Prepared<'a>,
) -> Result<()> {
    match m.kind {
        MountKind::Bind => {
            let src_tree = source_tree(sh, stage, m.from.as_deref())?;
            let source = bind_source(&src_tree, m, &work.join(format!("bind{i}")))?;
            out.holders.extend(src_tree.guard);
            out.mounts.push(StepMount::Bind {
                source,
                target: m.target.clone(),
                readonly: m.readonly,
            });
        }
        MountKind::Cache => out.mounts.push(cache_mount(sh, m)?),
        MountKind::Tmpfs => out.mounts.push(StepMount::Tmpfs {
            target: m.target.clone(),
            size: m.size.unwrap_or(0),
        }),
        MountKind::Secret => secret_mount(sh, m, out)?,
        MountKind::Ssh => {
            return Err(BuildError::Invalid(
                "RUN --mount=type=ssh is not supported yet".into(),
            ))
        }
    }
    Ok(())
}

/// A bind's host path: the source itself when read-only, else (and for a context path
/// the .dockerignore filters) a copy made at `copy`.
fn bind_source(src_tree: &Tree, m: &RunMount, copy: &Path) -> Result<PathBuf> {
    let tree = SourceTree {
        root: &src_tree.root,
        ignore: src_tree.ignore,
        context: src_tree.context,
    };
    let src = m.source.clone().unwrap_or_else(|| "/".into());
    let found = resolve_sources(&tree, std::slice::from_ref(&src)).map_err(invalid)?;
    // A read-only bind of a context path the .dockerignore filters shows the host
    // directory as is: like a rw one, it gets a copy holding what the context holds.
    let hidden = match found.first() {
        Some(s) => crate::context::hides_ignored(&tree, s).map_err(invalid)?,
        None => false,
    };
    if m.readonly && !hidden {
        return match found.first() {
            Some(s) => crate::context::source_path(&tree, s).map_err(invalid),
            None => Ok(src_tree.root.clone()),
        };
    }
    // Writes to a rw bind mount are discarded: give the step a copy.
    fs::create_dir_all(copy).map_err(io_err("create", copy))?;
    crate::context::copy(&tree, &found, copy, "/", "/", &Default::default()).map_err(invalid)?;
    let single = found.len() == 1 && !found[0].is_dir;
    Ok(if single {
        copy.join(PathBuf::from(&found[0].rel).file_name().unwrap_or_default())
    } else {
        copy.to_path_buf()
    })
}

/// A cache mount: the runner's directory for its id (the target by default), with the
/// mount's mode and owner.
fn cache_mount(sh: &Shared, m: &RunMount) -> Result<StepMount> {
    let id = m.id.clone().unwrap_or_else(|| m.target.clone());
    let dir = sh.runner.cache_mount_dir(&id).map_err(BuildError::Runner)?;
    if let Some(mode) = m.mode {
        set_mode(&dir, mode)?;
    }
    if m.uid.is_some() || m.gid.is_some() {
        std::os::unix::fs::chown(&dir, m.uid, m.gid).map_err(io_err("chown", &dir))?;
    }
    Ok(StepMount::Bind {
        source: dir,
        target: m.target.clone(),
        readonly: m.readonly,
    })
}

/// A secret (by id, else the target's base name): a read-only file bind at its target
/// (`/run/secrets/<id>` by default) and/or a variable with `env=`; a missing one is an
/// error only when `required`.
fn secret_mount(sh: &Shared, m: &RunMount, out: &mut Prepared) -> Result<()> {
    let id =
        m.id.clone()
            .unwrap_or_else(|| m.target.rsplit('/').next().unwrap_or_default().to_string());
    let Some(src) = sh.opts.secrets.get(&id) else {
        if m.required {
            return Err(BuildError::Invalid(format!(
                "secret {id} not found: give it with --secret id={id},src=PATH"
            )));
        }
        return Ok(());
    };
    if let Some(var) = &m.env {
        let value = fs::read_to_string(src).map_err(io_err("read secret", src))?;
        out.env
            .push(format!("{var}={}", value.trim_end_matches('\n')));
        if m.target.is_empty() {
            return Ok(());
        }
    }
    let target = if m.target.is_empty() {
        format!("/run/secrets/{id}")
    } else {
        m.target.clone()
    };
    out.mounts.push(StepMount::Bind {
        source: src.clone(),
        target,
        readonly: true,
    });
    Ok(())
}
