//! The images a project's services run: built from `build:` (tagged `<project>-<service>`
//! unless `image:` names it), pulled as `pull_policy` / `--pull` say, pushed by `push`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use berth_build::exec::BuildInput;
use berth_build::progress::{Progress, ProgressMode};
use berth_build::BuildOptions;
use berth_compose::model::{Build, Project, Service};
use berth_engine::images::pull::PullOptions;
use berth_engine::Engine;

use crate::docker::build::read_ignore;
use crate::docker::registry::pull_one;

/// Extra build settings from the command line (`build --build-arg`, `--no-cache`, `--pull`).
#[derive(Debug, Default, Clone)]
pub struct BuildFlags {
    /// `--build-arg K=V` (or `K`, from the environment).
    pub args: Vec<String>,
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--pull`.
    pub pull: bool,
    /// `-q`.
    pub quiet: bool,
}

/// The image ID `name` resolves to, if the store has it.
pub fn image_id(e: &Engine, name: &str) -> Option<String> {
    e.resolve_image_id(name).ok()
}

/// Builds the image of service `s`; returns its ID.
pub fn build(
    e: &mut Engine,
    project: &Project,
    s: &Service,
    flags: &BuildFlags,
) -> anyhow::Result<String> {
    let b = s
        .build
        .as_ref()
        .ok_or_else(|| anyhow!("service {} has no build section", s.name))?;
    let context = build_context(s, b)?;
    let df_name = b.dockerfile.clone().unwrap_or_else(|| "Dockerfile".into());
    let df_path = if Path::new(&df_name).is_absolute() {
        PathBuf::from(&df_name)
    } else {
        context.join(&df_name)
    };
    let df_bytes = match &b.dockerfile_inline {
        Some(text) => text.clone().into_bytes(),
        None => fs::read(&df_path)
            .with_context(|| format!("service {}: read {}", s.name, df_path.display()))?,
    };
    let ignore = read_ignore(&context, Some(&df_path))?;
    let opts = build_options(project, s, b, flags, df_name);
    let mode = if flags.quiet {
        ProgressMode::Quiet
    } else {
        ProgressMode::Plain
    };
    let progress = Progress::new(mode, Box::new(std::io::stderr()));
    let input = BuildInput {
        dockerfile: &df_bytes,
        context: &context,
        ignore,
        hash_cache: Some(e.context_hash_cache(&context)),
    };
    let result = e
        .build(input, &opts, &progress)
        .map_err(|err| anyhow!("failed to solve: service {}: {err}", s.name))?;
    if !flags.quiet {
        super::progress::event("Service", &s.name, "Built");
    }
    Ok(result.image_id)
}

/// The build context: a local directory (remote contexts are not supported).
fn build_context(s: &Service, b: &Build) -> anyhow::Result<PathBuf> {
    if b.context.contains("://") || b.context.starts_with("git@") {
        bail!(
            "service {}: remote build contexts ({}) are not supported",
            s.name,
            b.context
        );
    }
    let context = PathBuf::from(&b.context);
    if !context.is_dir() {
        bail!(
            "service {}: build context {} is not a directory",
            s.name,
            context.display()
        );
    }
    Ok(context)
}

/// The build's options: `build:` with the command line's flags over it; the image is
/// tagged with the service's image name (and `build.tags`) and labelled with the project
/// and service.
fn build_options(
    project: &Project,
    s: &Service,
    b: &Build,
    flags: &BuildFlags,
    dockerfile_name: String,
) -> BuildOptions {
    let mut build_args: BTreeMap<String, String> = b.args.clone();
    for kv in &flags.args {
        match kv.split_once('=') {
            Some((k, v)) => {
                build_args.insert(k.into(), v.into());
            }
            None => {
                if let Some(v) = super::project::variable(kv) {
                    build_args.insert(kv.clone(), v);
                }
            }
        }
    }
    let mut labels = b.labels.clone();
    labels.insert(super::labels::PROJECT.into(), project.name.clone());
    labels.insert(super::labels::SERVICE.into(), s.name.clone());
    let mut tags = vec![s.image_name(&project.name)];
    tags.extend(b.tags.iter().cloned());
    BuildOptions {
        dockerfile_name,
        build_args,
        target: b.target.clone(),
        no_cache: b.no_cache || flags.no_cache,
        labels,
        tags,
        source_date_epoch: None,
        secrets: BTreeMap::new(),
        network: b.network.clone(),
        explain_misses: false,
        pull: b.pull || flags.pull,
    }
}

/// Pulls `name` (its progress on standard error).
pub fn pull(e: &mut Engine, name: &str, quiet: bool) -> anyhow::Result<()> {
    pull_one(e, name, &PullOptions::default(), quiet, false, true)
}

/// How `up`/`create`/`run` get each service's image.
#[derive(Debug, Default, Clone)]
pub struct EnsureFlags {
    /// `--build`: build every service that has a build section.
    pub build: bool,
    /// `--no-build`.
    pub no_build: bool,
    /// `--pull POLICY` (overrides each service's `pull_policy`).
    pub pull: Option<String>,
}

/// Makes sure every service in `services` has its image; returns service -> image ID.
pub fn ensure(
    e: &mut Engine,
    project: &Project,
    services: &[String],
    flags: &EnsureFlags,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut done: BTreeMap<String, String> = BTreeMap::new();
    for name in services {
        let Some(s) = project.services.get(name) else {
            continue;
        };
        let image = s.image_name(&project.name);
        if let Some(id) = done.get(&image) {
            out.insert(name.clone(), id.clone());
            continue;
        }
        let policy = flags
            .pull
            .clone()
            .or_else(|| s.pull_policy.clone())
            .unwrap_or_else(|| "missing".into());
        let present = image_id(e, &image);
        let id = if s.build.is_some()
            && (flags.build || policy == "build" || (present.is_none() && !flags.no_build))
        {
            build(e, project, s, &BuildFlags::default())?
        } else {
            match (policy.as_str(), present) {
                ("always", _) => {
                    pull(e, &image, false)?;
                    image_id(e, &image).ok_or_else(|| anyhow!("no such image: {image}"))?
                }
                (_, Some(id)) => id,
                ("never", None) => {
                    bail!("service {name}: image {image} is not present and pull_policy is never")
                }
                (_, None) if s.build.is_some() => {
                    bail!("service {name}: image {image} is not present and --no-build was given")
                }
                (_, None) => {
                    pull(e, &image, false)?;
                    image_id(e, &image).ok_or_else(|| anyhow!("no such image: {image}"))?
                }
            }
        };
        done.insert(image, id.clone());
        out.insert(name.clone(), id);
    }
    Ok(out)
}
