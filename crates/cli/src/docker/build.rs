//! `berth build` and `berth builder prune`: reads the context and Dockerfile as the docker
//! CLI does, shows BuildKit-style progress on stderr, and exports the result if asked.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _};
use berth_build::exec::BuildInput;
use berth_build::progress::{Progress, ProgressMode};
use berth_build::BuildOptions;
use berth_store::archive::ArchiveFormat;

use super::args::{BuildArgs, BuilderCommand, Globals};
use super::engine;

mod input;

pub(crate) use input::read_ignore;

/// A scratch directory removed on drop (env secrets).
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> anyhow::Result<TempDir> {
        let p = std::env::temp_dir().join(format!(
            "berth-{what}-{}",
            berth_store::blobs::unique_suffix()
        ));
        fs::create_dir_all(&p).with_context(|| format!("create {}", p.display()))?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `build`.
pub fn build(g: &Globals, a: BuildArgs) -> anyhow::Result<i32> {
    check_platform(a.platform.as_deref())?;
    let mut temps = Vec::new();
    let mut context = input::read_context(&a)?;
    let dockerfile = input::read_dockerfile(&a, &mut context)?;
    let ignore = read_ignore(&context.dir, dockerfile.path.as_deref())?;
    let build_args = build_args(&a.build_arg);
    let source_date_epoch = source_date_epoch(&build_args)?;
    let labels = labels(&a.label);
    let secrets = parse_secrets(&a.secret, &mut temps)?;
    let quiet = a.quiet || a.progress == "quiet";
    let mode = progress_mode(&a.progress, quiet)?;
    let opts = BuildOptions {
        dockerfile_name: dockerfile.name,
        build_args,
        target: a.target.clone(),
        no_cache: a.no_cache,
        labels,
        tags: a.tag.clone(),
        source_date_epoch,
        secrets,
        network: a.network.clone(),
        explain_misses: a.progress == "plain",
        pull: a.pull,
    };
    let outputs = outputs(&a)?;
    let progress = Progress::new(mode, Box::new(io::stderr()));
    let mut e = engine(g)?;
    let input = BuildInput {
        dockerfile: &dockerfile.bytes,
        context: &context.dir,
        ignore,
        hash_cache: (!context.is_stdin()).then(|| e.context_hash_cache(&context.dir)),
    };
    let result = match e.build(input, &opts, &progress) {
        Ok(r) => r,
        Err(err) => {
            eprintln!("ERROR: failed to solve: {err}");
            return Ok(1);
        }
    };
    if !result.unused_args.is_empty() && !quiet {
        eprintln!(
            "[Warning] One or more build-args [{}] were not consumed",
            result.unused_args.join(" ")
        );
    }
    export_outputs(&mut e, &a, &outputs, &result.image_id, quiet)?;
    let id = format!("sha256:{}", result.image_id);
    if let Some(f) = &a.iidfile {
        fs::write(f, &id).with_context(|| format!("write {f}"))?;
    }
    if quiet {
        println!("{id}");
    }
    drop(temps);
    drop(context);
    Ok(0)
}

/// `--label K=V` (a bare `K` has an empty value).
fn labels(specs: &[String]) -> BTreeMap<String, String> {
    specs
        .iter()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// `--platform`: only the host's.
fn check_platform(platform: Option<&str>) -> anyhow::Result<()> {
    if let Some(p) = platform {
        let host = format!("linux/{}", host_arch());
        if p != host {
            bail!(
                "platform {p} is not supported: berth builds for the host platform ({host}) only"
            );
        }
    }
    Ok(())
}

/// `--build-arg K=V`, and `--build-arg K` taking K's value from the environment (skipped
/// when unset).
fn build_args(specs: &[String]) -> BTreeMap<String, String> {
    let mut build_args = BTreeMap::new();
    for kv in specs {
        match kv.split_once('=') {
            Some((k, v)) => {
                build_args.insert(k.to_string(), v.to_string());
            }
            None => {
                if let Ok(v) = std::env::var(kv) {
                    build_args.insert(kv.clone(), v);
                }
            }
        }
    }
    build_args
}

/// `SOURCE_DATE_EPOCH`: the build argument, else the environment variable.
fn source_date_epoch(build_args: &BTreeMap<String, String>) -> anyhow::Result<Option<i64>> {
    build_args
        .get("SOURCE_DATE_EPOCH")
        .cloned()
        .or_else(|| std::env::var("SOURCE_DATE_EPOCH").ok())
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| anyhow!("invalid SOURCE_DATE_EPOCH {s:?}"))
        })
        .transpose()
}

/// `--progress` (and `--quiet`) as a progress mode.
fn progress_mode(progress: &str, quiet: bool) -> anyhow::Result<ProgressMode> {
    Ok(match progress {
        _ if quiet => ProgressMode::Quiet,
        "auto" | "tty" | "plain" => ProgressMode::Plain,
        "json" | "rawjson" => ProgressMode::Json,
        other => bail!("invalid progress mode {other:?} (auto, plain, tty, json, quiet)"),
    })
}

/// `--output`s, and a registry output for `--push`.
fn outputs(a: &BuildArgs) -> anyhow::Result<Vec<Output>> {
    let mut outputs = a
        .output
        .iter()
        .map(|o| parse_output(o))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if a.push {
        outputs.push(parse_output("type=registry")?);
    }
    Ok(outputs)
}

/// Exports the built image to each output, pushing it under its names (the output's, else
/// `-t`'s) where the output pushes.
fn export_outputs(
    e: &mut berth_engine::Engine,
    a: &BuildArgs,
    outputs: &[Output],
    image_id: &str,
    quiet: bool,
) -> anyhow::Result<()> {
    for o in outputs {
        export(e, image_id, &o.kind, &o.dest)?;
        if !o.push {
            continue;
        }
        let names = if o.names.is_empty() { &a.tag } else { &o.names };
        if names.is_empty() {
            bail!("pushing the build result needs a name: give -t NAME or name= in --output");
        }
        for n in names {
            if !o.names.is_empty() {
                e.tag_image(image_id, n)?;
            }
            super::registry::push_names(e, std::slice::from_ref(n), quiet, true)?;
        }
    }
    Ok(())
}

/// `builder prune`.
pub fn builder(g: &Globals, c: BuilderCommand) -> anyhow::Result<i32> {
    match c {
        BuilderCommand::Prune(_) => {
            let n = engine(g)?.prune_build_cache()?;
            println!("Deleted build cache objects: {n}");
            println!("Total reclaimed space: see `berth system df`");
            Ok(0)
        }
    }
}

fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// `--secret id=ID,src=PATH` / `id=ID,env=VAR` (an env secret is written to a private
/// temporary file).
fn parse_secrets(
    specs: &[String],
    temps: &mut Vec<TempDir>,
) -> anyhow::Result<BTreeMap<String, PathBuf>> {
    let mut out = BTreeMap::new();
    for s in specs {
        let mut id = None;
        let mut src = None;
        let mut env = None;
        for part in s.split(',') {
            match part.split_once('=') {
                Some(("id", v)) => id = Some(v.to_string()),
                Some(("src" | "source", v)) => src = Some(PathBuf::from(v)),
                Some(("env", v)) => env = Some(v.to_string()),
                Some(("type", "file" | "env")) => {}
                _ => bail!("invalid secret {s:?}: expected id=ID,src=PATH or id=ID,env=VAR"),
            }
        }
        let id = id.ok_or_else(|| anyhow!("invalid secret {s:?}: id= is required"))?;
        let path = match (src, env) {
            (Some(p), _) => {
                if !p.is_file() {
                    bail!("secret {id}: {} is not a readable file", p.display());
                }
                p
            }
            (None, env) => {
                let var = env.unwrap_or_else(|| id.clone());
                let value = std::env::var(&var)
                    .map_err(|_| anyhow!("secret {id}: environment variable {var} is not set"))?;
                let dir = TempDir::new("secret")?;
                let p = dir.0.join("value");
                let mut f = File::create(&p)?;
                f.write_all(value.as_bytes())?;
                temps.push(dir);
                p
            }
        };
        out.insert(id, path);
    }
    Ok(out)
}

/// `-o`: `type=KIND,dest=PATH`, or a bare path (local).
/// One `-o` output: its type, destination, and for images whether to push and under which
/// names (none: the build's tags).
struct Output {
    kind: String,
    dest: String,
    push: bool,
    names: Vec<String>,
}

fn parse_output(s: &str) -> anyhow::Result<Output> {
    if !s.contains('=') {
        return Ok(Output {
            kind: "local".into(),
            dest: s.into(),
            push: false,
            names: Vec::new(),
        });
    }
    let mut kind = None;
    let mut dest = None;
    let mut push = false;
    let mut names = Vec::new();
    for part in s.split(',') {
        match part.split_once('=') {
            Some(("type", v)) => kind = Some(v.to_string()),
            Some(("dest", v)) => dest = Some(v.to_string()),
            Some(("push", v)) => push = v == "true" || v == "1",
            Some(("name", v)) => names.extend(v.split(',').map(String::from)),
            _ => {}
        }
    }
    let mut kind = kind.ok_or_else(|| anyhow!("invalid output {s:?}: type= is required"))?;
    if kind == "registry" {
        kind = "image".into();
        push = true;
    }
    if !matches!(kind.as_str(), "local" | "tar" | "docker" | "oci" | "image") {
        bail!("unsupported output type {kind:?} (local, tar, docker, oci, image, registry)");
    }
    let dest = dest.unwrap_or_else(|| "-".into());
    Ok(Output {
        kind,
        dest,
        push,
        names,
    })
}

fn export(e: &mut berth_engine::Engine, id: &str, kind: &str, dest: &str) -> anyhow::Result<()> {
    let out: Box<dyn Write> = if dest == "-" {
        Box::new(io::stdout().lock())
    } else if kind == "local" {
        Box::new(io::sink())
    } else {
        Box::new(File::create(dest).with_context(|| format!("create {dest}"))?)
    };
    match kind {
        "image" => Ok(()),
        "docker" => Ok(e.save_images(&[id.to_string()], ArchiveFormat::Docker, out)?),
        "oci" => Ok(e.save_images(&[id.to_string()], ArchiveFormat::Oci, out)?),
        "tar" => Ok(e.export_image_rootfs(id, None, Some(out))?),
        _ => Ok(e.export_image_rootfs(id, Some(Path::new(dest)), None)?),
    }
}
