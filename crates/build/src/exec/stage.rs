//! One stage: start from its base (scratch, an image, or an earlier stage), run its ONBUILD
//! triggers and commands in order, each answered from the cache or executed.

use std::sync::Arc;

use berth_dockerfile::expand::Lexer;
use berth_store::oci::{History, ImageConfig, RootFs};

use super::args::{env_of, predefined, PROXY_ARGS};
use super::layer::{cached, commit_upper, remember, Snapshot};
use super::schedule::get_or_build;
use super::{copy_step, explain, keys, run_step, Shared};
use crate::error::{BuildError, Result};
use crate::instructions::{
    apply_to_config, creates_layer, expand_command, history_created_by, Command, CommandKind,
    StageFlags,
};
use crate::plan::{at, runner_at, Stage};
use crate::progress::StepHandle;
use crate::runner::Layer;

/// BuildKit's history comment.
const HISTORY_COMMENT: &str = "buildkit.dockerfile.v0";
/// The PATH a stage gets when its base image sets none.
pub(crate) const DEFAULT_PATH: &str =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A finished stage.
#[derive(Debug, Clone)]
pub struct StageOut {
    /// Its image configuration.
    pub image: ImageConfig,
    /// Its layers, bottom first.
    pub layers: Vec<Layer>,
    /// The cache key of its last step.
    pub key: String,
}

/// A stage while it builds.
pub(crate) struct StageState {
    pub image: ImageConfig,
    pub layers: Vec<Layer>,
    pub key: String,
    /// ARGs declared in this stage, with their values.
    pub args: Vec<(String, Option<String>)>,
    pub flags: StageFlags,
    /// Whether the previous layer step missed the cache (later misses say so).
    pub missed: bool,
    /// Identifies this stage of this Dockerfile in this context, for miss explanations.
    pub site: String,
}

impl StageState {
    /// The environment for expanding words.
    pub fn expand_env(&self) -> berth_dockerfile::expand::EnvList {
        env_of(
            &self.args,
            self.image.config.env.as_deref().unwrap_or_default(),
        )
    }

    /// The shell for shell forms.
    pub fn shell(&self) -> Vec<String> {
        self.image
            .config
            .shell
            .clone()
            .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()])
    }

    /// ARGs with values that are not proxies, for history and RUN keys.
    pub fn visible_args(&self) -> Vec<(String, String)> {
        self.args
            .iter()
            .filter(|(k, _)| !PROXY_ARGS.contains(&k.as_str()))
            .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
            .collect()
    }
}

fn file<'a>(sh: &'a Shared) -> &'a str {
    if sh.opts.dockerfile_name.is_empty() {
        "Dockerfile"
    } else {
        &sh.opts.dockerfile_name
    }
}

/// The base word of a stage's FROM, expanded with the global ARGs.
fn from_word(sh: &Shared, stage: &Stage) -> Result<(String, Option<String>)> {
    let env = env_of(&sh.meta, &[]);
    let (cmd, _) = expand_command(&stage.from, &Lexer::new(sh.plan.escape), &env)
        .map_err(|e| at(file(sh), &stage.from.location, e.message()))?;
    match cmd.kind {
        CommandKind::From {
            image, platform, ..
        } => Ok((image, platform)),
        _ => unreachable!("a stage starts with FROM"),
    }
}

/// Stages `i` needs directly (FROM, COPY --from, RUN --mount from), as far as they can
/// be known before the build (words expanded with the global ARGs).
pub(crate) fn static_deps(sh: &Shared, i: usize) -> Vec<usize> {
    let stage = &sh.plan.stages[i];
    let env = env_of(&sh.meta, &[]);
    let lexer = Lexer::new(sh.plan.escape);
    let expand = |w: &str| {
        lexer
            .process_word(w, &env)
            .unwrap_or_else(|_| w.to_string())
    };
    let mut words = Vec::new();
    if let Ok((base, _)) = from_word(sh, stage) {
        words.push(base);
    }
    for c in &stage.commands {
        match &c.kind {
            CommandKind::Copy(cp) | CommandKind::Add(cp) => {
                words.extend(cp.from.as_deref().map(expand))
            }
            CommandKind::Run(r) => words.extend(
                r.mounts
                    .iter()
                    .filter_map(|m| m.from.as_deref())
                    .map(expand),
            ),
            _ => {}
        }
    }
    words
        .iter()
        .filter_map(|w| sh.plan.stage_index(w, i))
        .collect()
}

/// The build's time: `SOURCE_DATE_EPOCH`, else the creation time of the image the target
/// stage starts from (so a rebuild on another day gives the same digest), else 0.
pub(crate) fn build_epoch(sh: &Shared, target: usize) -> Result<(i64, String)> {
    if let Some(t) = sh.opts.source_date_epoch {
        return Ok((t, sh.runner.rfc3339(t)));
    }
    let mut i = target;
    loop {
        let (base, _) = from_word(sh, &sh.plan.stages[i])?;
        if base == "scratch" {
            return Ok((0, sh.runner.rfc3339(0)));
        }
        match sh.plan.stage_index(&base, i) {
            Some(j) if sh.plan.stages[j].name.is_some() => i = j,
            _ => {
                let img = sh
                    .runner
                    .image(&base)
                    .map_err(|e| runner_at(file(sh), &sh.plan.stages[i].from.location, e))?;
                return Ok((img.created_secs, sh.runner.rfc3339(img.created_secs)));
            }
        }
    }
}

/// The empty image BuildKit starts `FROM scratch` with.
fn scratch_image() -> ImageConfig {
    let mut img = ImageConfig {
        architecture: super::args::host_arch().to_string(),
        os: "linux".into(),
        rootfs: RootFs {
            kind: "layers".into(),
            diff_ids: Vec::new(),
        },
        ..Default::default()
    };
    img.config.env = Some(vec![DEFAULT_PATH.to_string()]);
    img.config.working_dir = Some("/".into());
    img
}

/// Builds stage `i`.
pub(crate) fn run_stage(sh: &Shared, i: usize) -> Result<StageOut> {
    let stage = &sh.plan.stages[i];
    let (base, platform) = from_word(sh, stage)?;
    let total = stage.commands.len() + 1;
    let name = stage.display_name();
    let step = sh
        .progress
        .start(&format!("[{name} 1/{total}] FROM {base}"));
    if let Some(p) = platform.as_deref().filter(|p| !p.is_empty()) {
        let host = format!("linux/{}", super::args::host_arch());
        if p != host && p != "$BUILDPLATFORM" && p != "$TARGETPLATFORM" {
            let e = at(
                file(sh),
                &stage.from.location,
                format!("platform {p} is not supported: berth builds for the host platform ({host}) only"),
            );
            step.error(&e.to_string());
            return Err(e);
        }
    }
    let mut st = match start(sh, stage, &base) {
        Ok(st) => st,
        Err(e) => {
            step.error(&e.to_string());
            return Err(e);
        }
    };
    step.done();
    let triggers = onbuild_triggers(sh, stage, &mut st)?;
    let total = total + triggers.len();
    for (n, cmd) in triggers.iter().chain(&stage.commands).enumerate() {
        let title = format!("[{name} {}/{total}] {}", n + 2, cmd.location.original);
        step_one(sh, stage, &mut st, cmd, &title)?;
    }
    Ok(StageOut {
        image: st.image,
        layers: st.layers,
        key: st.key,
    })
}

fn start(sh: &Shared, stage: &Stage, base: &str) -> Result<StageState> {
    let (image, layers, key) = if base == "scratch" {
        (
            scratch_image(),
            Vec::new(),
            keys::chain("", &["scratch", &sh.epoch.0.to_string()]),
        )
    } else if let Some(j) = sh
        .plan
        .stage_index(base, stage.index)
        .filter(|&j| sh.plan.stages[j].name.is_some())
    {
        let out: Arc<StageOut> = get_or_build(sh, j)?;
        (out.image.clone(), out.layers.clone(), out.key.clone())
    } else {
        let img = sh
            .runner
            .image(base)
            .map_err(|e| runner_at(file(sh), &stage.from.location, e))?;
        // The build's time shapes every layer (mtimes), so it is part of every key.
        let key = keys::chain("", &["image", &img.id, &sh.epoch.0.to_string()]);
        (img.config, img.layers, key)
    };
    let mut image = image;
    if image
        .config
        .env
        .as_ref()
        .is_none_or(|e| !e.iter().any(|v| v.starts_with("PATH=")))
    {
        image
            .config
            .env
            .get_or_insert_with(Vec::new)
            .insert(0, DEFAULT_PATH.to_string());
    }
    Ok(StageState {
        image,
        layers,
        key,
        args: Vec::new(),
        flags: StageFlags::default(),
        missed: false,
        site: keys::chain(
            "",
            &[
                &sh.context.display().to_string(),
                file(sh),
                &stage.index.to_string(),
            ],
        ),
    })
}

/// The base image's ONBUILD triggers, parsed; the new image does not inherit them.
fn onbuild_triggers(sh: &Shared, stage: &Stage, st: &mut StageState) -> Result<Vec<Command>> {
    let Some(triggers) = st.image.config.on_build.take() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for t in triggers {
        let df = berth_dockerfile::parser::parse(t.as_bytes()).map_err(|e| {
            at(
                file(sh),
                &stage.from.location,
                format!("ONBUILD trigger {t:?}: {}", e.message),
            )
        })?;
        for inst in &df.instructions {
            let mut cmd = crate::instructions::parse_command(inst)
                .map_err(|e| at(file(sh), &stage.from.location, e.message()))?;
            cmd.location = stage.from.location.clone();
            cmd.location.original = format!("ONBUILD {t}");
            out.push(cmd);
        }
    }
    Ok(out)
}

fn step_one(
    sh: &Shared,
    stage: &Stage,
    st: &mut StageState,
    cmd: &Command,
    title: &str,
) -> Result<()> {
    let step = sh.progress.start(title);
    let fail = |step: StepHandle, e: BuildError| {
        step.error(&e.to_string());
        Err(e)
    };
    let env = st.expand_env();
    let (expanded, _matched) = match expand_command(cmd, &Lexer::new(sh.plan.escape), &env) {
        Ok(x) => x,
        Err(e) => return fail(step, at(file(sh), &cmd.location, e.message())),
    };
    let shell = st.shell();
    let result = match &expanded.kind {
        CommandKind::Arg(list) => {
            declare_args(sh, st, list);
            Ok(None)
        }
        CommandKind::Run(run) => run_step::run(sh, stage, st, &expanded, run, step).map(Some),
        CommandKind::Copy(cp) | CommandKind::Add(cp) => {
            let add = matches!(expanded.kind, CommandKind::Add(_));
            copy_step::copy(sh, stage, st, &expanded, cp, add, step).map(Some)
        }
        _ => {
            if let Err(e) = apply_to_config(&expanded.kind, &mut st.image, &mut st.flags, &shell) {
                return fail(step, at(file(sh), &cmd.location, e.to_string()));
            }
            if let CommandKind::Workdir(_) = &expanded.kind {
                workdir_step(sh, st, step).map(Some)
            } else {
                step.done();
                Ok(None)
            }
        }
    };
    let made_layer = result?;
    // Metadata steps chain into the key; layer steps already moved it.
    if made_layer.is_none() {
        let text = format!("{:?}", key_view(&expanded.kind, st));
        st.key = keys::chain(&st.key, &[&text]);
    }
    let with_layer = made_layer.unwrap_or(false);
    let created_by = history_created_by(&expanded, &shell, &st.visible_args());
    st.image.history.push(History {
        created: Some(sh.epoch.1.clone()),
        created_by: Some(created_by),
        comment: Some(HISTORY_COMMENT.into()),
        empty_layer: !with_layer || !creates_layer(&expanded.kind),
        ..Default::default()
    });
    Ok(())
}

/// What a metadata step contributes to the key: the command, and for ARG the values
/// (proxy values left out).
fn key_view(kind: &CommandKind, st: &StageState) -> String {
    match kind {
        CommandKind::Arg(list) => list
            .iter()
            .map(|(k, _)| {
                let v = st
                    .args
                    .iter()
                    .rev()
                    .find(|(n, _)| n == k)
                    .and_then(|(_, v)| v.clone());
                if PROXY_ARGS.contains(&k.as_str()) {
                    format!("ARG {k}")
                } else {
                    format!("ARG {k}={v:?}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        other => format!("{other:?}"),
    }
}

/// ARG in a stage: `--build-arg` wins, then the default, then a global ARG of the same
/// name, then a predefined platform value.
fn declare_args(sh: &Shared, st: &mut StageState, list: &[(String, Option<String>)]) {
    for (name, default) in list {
        let value = sh
            .opts
            .build_args
            .get(name)
            .cloned()
            .or_else(|| default.clone())
            .or_else(|| {
                sh.meta
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .and_then(|(_, v)| v.clone())
            })
            .or_else(|| predefined(name));
        if let Ok(mut used) = sh.used_args.lock() {
            used.insert(name.clone());
        }
        st.args.retain(|(n, _)| n != name);
        st.args.push((name.clone(), value));
    }
}

/// WORKDIR creates its directory (a layer when it did not exist).
fn workdir_step(sh: &Shared, st: &mut StageState, step: StepHandle) -> Result<bool> {
    let dir = st
        .image
        .config
        .working_dir
        .clone()
        .unwrap_or_else(|| "/".into());
    let key = keys::chain(&st.key, &["WORKDIR", &dir]);
    let layer = layer_step(sh, st, &key, step, "", |snap| {
        crate::context::mkdir_in_root(&snap.rootfs, &dir)
            .map_err(|e| BuildError::Invalid(e.to_string()))
    })?;
    Ok(layer)
}

/// A layer step: answered from the cache under `key`, or `work` is run on a fresh
/// snapshot and its upper dir committed. `why` is the key's inputs for explaining a
/// miss. Returns whether a (non-empty) layer was added.
pub(crate) fn layer_step(
    sh: &Shared,
    st: &mut StageState,
    key: &str,
    mut step: StepHandle,
    why: &str,
    work: impl FnOnce(&mut Snapshot) -> Result<()>,
) -> Result<bool> {
    let result = layer_step_with(sh, st, key, &mut step, why, false, |snap, _| work(snap));
    step.finish(result)
}

/// [`layer_step`] with the step handle passed through to `work` (for output) and the
/// mtime rule for the layer (`exact`: every entry gets the build's time).
pub(crate) fn layer_step_with(
    sh: &Shared,
    st: &mut StageState,
    key: &str,
    step: &mut StepHandle,
    why: &str,
    exact: bool,
    work: impl FnOnce(&mut Snapshot, &mut StepHandle) -> Result<()>,
) -> Result<bool> {
    if !sh.opts.no_cache {
        if let Some(hit) = cached(sh.runner, key, &st.layers) {
            step.mark_cached();
            let added = hit.is_some();
            st.layers.extend(hit);
            st.key = key.to_string();
            return Ok(added);
        }
    }
    if sh.opts.explain_misses && !sh.opts.no_cache {
        if let Some(reason) = explain::reason(sh, st, why) {
            step.note(&format!("cache miss: {reason}"));
        }
    }
    let mut snap = Snapshot::mount(sh.runner, &st.layers, false)?;
    work(&mut snap, step)?;
    snap.unmount()?;
    let layer = commit_upper(sh.runner, &snap.upper(), &st.layers, sh.epoch.0, exact)?;
    drop(snap);
    remember(sh.runner, key, layer.as_ref(), &st.layers)?;
    explain::record(sh, st, why);
    st.missed = true;
    let added = layer.is_some();
    st.layers.extend(layer);
    st.key = key.to_string();
    Ok(added)
}

/// Writes the target stage as an image with the build's labels and time, and tags it.
pub(crate) fn commit(sh: &Shared, out: &StageOut) -> Result<String> {
    let step = sh.progress.start("exporting to image");
    let mut image = out.image.clone();
    if !sh.opts.labels.is_empty() {
        let labels = image.config.labels.get_or_insert_with(Default::default);
        labels.extend(sh.opts.labels.clone());
    }
    image.created = Some(sh.epoch.1.clone());
    image.rootfs = RootFs {
        kind: "layers".into(),
        diff_ids: out.layers.iter().map(|l| l.diff_id.clone()).collect(),
    };
    let descriptors: Vec<_> = out.layers.iter().map(|l| l.descriptor.clone()).collect();
    match sh.runner.commit(&image, &descriptors, &sh.opts.tags) {
        Ok((id, names)) => {
            step.note(&format!("writing image sha256:{id}"));
            for t in &names {
                step.note(&format!("naming to {t}"));
            }
            step.done();
            Ok(id)
        }
        Err(e) => {
            step.error(&e.to_string());
            Err(BuildError::Runner(e))
        }
    }
}
