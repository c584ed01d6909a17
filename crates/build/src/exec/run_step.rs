//! RUN: the command (shell or exec form, heredocs), its environment (ENV, then ARGs),
//! `--mount`s and network, keyed by all of that plus the content of bound context files;
//! executed through the runner on a snapshot.

use std::fs;
use std::path::PathBuf;

use super::copy_step::source_tree;
use super::stage::{layer_step_with, StageState};
use super::{keys, Shared};
use crate::context::{content_hash, resolve_sources, SourceTree};
use crate::error::{io_err, BuildError, Result};
use crate::instructions::{run_argv, Command, MountKind, Run, RunMount};
use crate::plan::{at, Stage};
use crate::progress::StepHandle;
use crate::runner::{RunStep, StepMount};

/// Where a single-heredoc RUN script is mounted, as BuildKit does.
const PIPES_DIR: &str = "/dev/pipes";

/// Runs a RUN step (or answers it from the cache). Returns whether it added a layer.
pub(crate) fn run(
    sh: &Shared,
    stage: &Stage,
    st: &mut StageState,
    cmd: &Command,
    run: &Run,
    mut step: StepHandle,
) -> Result<bool> {
    let file = super::stage_file(sh);
    let shell = st.shell();
    let args = run_argv(run, &shell);
    let script = run.heredocs.first().and_then(|h| {
        (args.last() == Some(&format!("{PIPES_DIR}/{}", h.name)))
            .then(|| (h.name.clone(), h.chomped_content()))
    });
    let network = match run
        .network
        .clone()
        .or_else(|| sh.opts.network.clone())
        .as_deref()
    {
        None | Some("default") | Some("bridge") => "bridge",
        Some("host") => "host",
        Some("none") => "none",
        Some(other) => {
            let e = at(
                file,
                &cmd.location,
                format!("unsupported network mode {other:?}"),
            );
            step.error(&e.to_string());
            return Err(e);
        }
    };
    let mut why = vec![format!("instruction: {}", cmd.location.original)];
    for (k, v) in st.visible_args() {
        why.push(format!("ARG {k}: {v}"));
    }
    let mut mount_keys = Vec::new();
    for m in &run.mounts {
        match mount_key(sh, stage, m) {
            Ok(k) => mount_keys.push(k),
            Err(e) => {
                let e = at(file, &cmd.location, e.to_string());
                step.error(&e.to_string());
                return Err(e);
            }
        }
    }
    why.extend(mount_keys.iter().cloned());
    let key = keys::chain(
        &st.key,
        &[
            "RUN",
            &format!("{args:?}"),
            &format!("{script:?}"),
            network,
            &format!("{:?}", st.visible_args()),
            &mount_keys.join("\n"),
            &format!("{:?}", st.image.config.user),
            &format!("{:?}", st.image.config.working_dir),
        ],
    );
    let env = process_env(st, &sh.opts.build_args);
    let user = st.image.config.user.clone().unwrap_or_default();
    let cwd = st
        .image
        .config
        .working_dir
        .clone()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/".into());
    let shown = args.join(" ");
    let result = layer_step_with(
        sh,
        st,
        &key,
        &mut step,
        &why.join("\n"),
        false,
        |snap, step| {
            let work = snap.dir.join("run");
            fs::create_dir_all(&work).map_err(io_err("create", &work))?;
            let mut mounts = Vec::new();
            let mut env = env;
            if let Some((name, body)) = &script {
                let dir = work.join("pipes");
                fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
                let path = dir.join(name);
                fs::write(&path, body).map_err(io_err("write", &path))?;
                set_mode(&path, 0o755)?;
                mounts.push(StepMount::Bind {
                    source: dir,
                    target: PIPES_DIR.into(),
                    readonly: true,
                });
            }
            let mut holders = Vec::new();
            for (i, m) in run.mounts.iter().enumerate() {
                prepare_mount(sh, stage, m, &work, i, &mut mounts, &mut env, &mut holders)?;
            }
            let req = RunStep {
                rootfs: snap.rootfs.clone(),
                work: work.clone(),
                args: args.clone(),
                env,
                cwd: cwd.clone(),
                user: user.clone(),
                network: network.into(),
                mounts,
            };
            let stubs = missing_targets(&snap.rootfs, &req.mounts);
            let code = sh
                .runner
                .run(&req, &mut |b| step.output(b))
                .map_err(BuildError::Runner)?;
            remove_stubs(&snap.rootfs, &stubs);
            drop(holders);
            if code != 0 {
                return Err(BuildError::RunFailed {
                    command: shown.clone(),
                    code,
                });
            }
            Ok(())
        },
    );
    step.finish(result)
}

/// The process environment: the image's ENV, then the stage's ARGs that ENV does not set,
/// then proxy build args (usable without an ARG, as in BuildKit).
fn process_env(
    st: &StageState,
    build_args: &std::collections::BTreeMap<String, String>,
) -> Vec<String> {
    let mut env: Vec<String> = st.image.config.env.clone().unwrap_or_default();
    let proxies = build_args
        .iter()
        .filter(|(k, _)| super::args::PROXY_ARGS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), Some(v.clone())));
    let args: Vec<(String, Option<String>)> = st.args.iter().cloned().chain(proxies).collect();
    for (k, v) in &args {
        let Some(v) = v else { continue };
        if !env
            .iter()
            .any(|e| e.split_once('=').map(|(n, _)| n) == Some(k.as_str()))
        {
            env.push(format!("{k}={v}"));
        }
    }
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(0, super::stage::DEFAULT_PATH.to_string());
    }
    env
}

/// The part of the key a `--mount` contributes: the options, and for bind mounts the
/// content of what is bound. Secret contents never enter keys.
fn mount_key(sh: &Shared, stage: &Stage, m: &RunMount) -> Result<String> {
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
    let sources = resolve_sources(&tree, std::slice::from_ref(&src))
        .map_err(|e| BuildError::Invalid(e.to_string()))?;
    let hash =
        content_hash(&tree, &sources, &[]).map_err(|e| BuildError::Invalid(e.to_string()))?;
    Ok(format!("{base} {hash}"))
}

/// Makes the host side of one `--mount` and adds it to `mounts` (or, for a secret with
/// `env=`, to `env`). `holders` keeps source snapshots mounted until the step ends.
#[allow(clippy::too_many_arguments)]
fn prepare_mount<'a>(
    sh: &'a Shared,
    stage: &Stage,
    m: &RunMount,
    work: &std::path::Path,
    i: usize,
    mounts: &mut Vec<StepMount>,
    env: &mut Vec<String>,
    holders: &mut Vec<super::copy_step::TreeGuard<'a>>,
) -> Result<()> {
    match m.kind {
        MountKind::Bind => {
            let src_tree = source_tree(sh, stage, m.from.as_deref())?;
            let tree = SourceTree {
                root: &src_tree.root,
                ignore: src_tree.ignore,
                context: src_tree.context,
            };
            let src = m.source.clone().unwrap_or_else(|| "/".into());
            let found = resolve_sources(&tree, std::slice::from_ref(&src))
                .map_err(|e| BuildError::Invalid(e.to_string()))?;
            // A read-only bind of a context path the .dockerignore filters shows the host
            // directory as is: like a rw one, it gets a copy holding what the context holds.
            let hidden = match found.first() {
                Some(s) => crate::context::hides_ignored(&tree, s)
                    .map_err(|e| BuildError::Invalid(e.to_string()))?,
                None => false,
            };
            let source = if m.readonly && !hidden {
                match found.first() {
                    Some(s) => crate::context::source_path(&tree, s)
                        .map_err(|e| BuildError::Invalid(e.to_string()))?,
                    None => src_tree.root.clone(),
                }
            } else {
                // Writes to a rw bind mount are discarded: give the step a copy.
                let copy = work.join(format!("bind{i}"));
                fs::create_dir_all(&copy).map_err(io_err("create", &copy))?;
                crate::context::copy(&tree, &found, &copy, "/", "/", &Default::default())
                    .map_err(|e| BuildError::Invalid(e.to_string()))?;
                let single = found.len() == 1 && !found[0].is_dir;
                if single {
                    copy.join(PathBuf::from(&found[0].rel).file_name().unwrap_or_default())
                } else {
                    copy
                }
            };
            holders.extend(src_tree.guard);
            mounts.push(StepMount::Bind {
                source,
                target: m.target.clone(),
                readonly: m.readonly,
            });
        }
        MountKind::Cache => {
            let id = m.id.clone().unwrap_or_else(|| m.target.clone());
            let dir = sh.runner.cache_mount_dir(&id).map_err(BuildError::Runner)?;
            if let Some(mode) = m.mode {
                set_mode(&dir, mode)?;
            }
            if m.uid.is_some() || m.gid.is_some() {
                std::os::unix::fs::chown(&dir, m.uid, m.gid).map_err(io_err("chown", &dir))?;
            }
            mounts.push(StepMount::Bind {
                source: dir,
                target: m.target.clone(),
                readonly: m.readonly,
            });
        }
        MountKind::Tmpfs => mounts.push(StepMount::Tmpfs {
            target: m.target.clone(),
            size: m.size.unwrap_or(0),
        }),
        MountKind::Secret => {
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
                env.push(format!("{var}={}", value.trim_end_matches('\n')));
                if m.target.is_empty() {
                    return Ok(());
                }
            }
            let target = if m.target.is_empty() {
                format!("/run/secrets/{id}")
            } else {
                m.target.clone()
            };
            mounts.push(StepMount::Bind {
                source: src.clone(),
                target,
                readonly: true,
            });
        }
        MountKind::Ssh => {
            return Err(BuildError::Invalid(
                "RUN --mount=type=ssh is not supported yet".into(),
            ))
        }
    }
    Ok(())
}

fn set_mode(path: &std::path::Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(io_err("chmod", path))
}

/// Mount targets missing from `rootfs` before a step, as (shallowest missing path, target),
/// both relative: the runtime creates them as empty mount points, which must not end up
/// in the layer (BuildKit removes them too).
fn missing_targets(rootfs: &std::path::Path, mounts: &[StepMount]) -> Vec<(String, String)> {
    let tree = SourceTree {
        root: rootfs,
        ignore: None,
        context: false,
    };
    let exists = |rel: &str| {
        crate::context::source_path(
            &tree,
            &crate::context::Source {
                rel: rel.to_string(),
                is_dir: false,
            },
        )
        .is_ok_and(|p| p.symlink_metadata().is_ok())
    };
    let mut out = Vec::new();
    for m in mounts {
        let target = match m {
            StepMount::Bind { target, .. } | StepMount::Tmpfs { target, .. } => target,
        };
        let rel = target.trim_matches('/');
        if rel.is_empty() || rel.starts_with("dev/") || rel == "dev" {
            continue;
        }
        let mut prefix = String::new();
        for part in rel.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            if !exists(&prefix) {
                out.push((prefix.clone(), rel.to_string()));
                break;
            }
        }
    }
    out
}

/// Removes the empty mount points [`missing_targets`] found, and the directories created
/// for them, resolving paths inside `rootfs` only.
fn remove_stubs(rootfs: &std::path::Path, stubs: &[(String, String)]) {
    let tree = SourceTree {
        root: rootfs,
        ignore: None,
        context: false,
    };
    for (top, target) in stubs {
        let mut rel = target.as_str();
        loop {
            let source = crate::context::Source {
                rel: rel.to_string(),
                is_dir: false,
            };
            if let Ok(p) = crate::context::source_path(&tree, &source) {
                match p.symlink_metadata() {
                    Ok(m) if m.is_file() && m.len() == 0 => {
                        let _ = fs::remove_file(&p);
                    }
                    Ok(m) if m.is_dir() => {
                        let _ = fs::remove_dir(&p);
                    }
                    _ => {}
                }
            }
            if rel == top {
                break;
            }
            match rel.rfind('/') {
                Some(i) => rel = &rel[..i],
                None => break,
            }
        }
    }
}
