//! RUN: the command (shell or exec form, heredocs), its environment (ENV, then ARGs),
//! `--mount`s and network, keyed by all of that plus the content of bound context files;
//! executed through the runner on a snapshot.

mod mounts;
mod stubs;

use std::fs;
use std::path::Path;

use super::stage::{layer_step_with, StageState};
use super::{keys, Shared};
use crate::error::{io_err, BuildError, Result};
use crate::instructions::{run_argv, Command, Run};
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
    step: StepHandle,
) -> Result<bool> {
    let file = super::stage_file(sh);
    let shell = st.shell();
    let args = run_argv(run, &shell);
    let script = run.heredocs.first().and_then(|h| {
        (args.last() == Some(&format!("{PIPES_DIR}/{}", h.name)))
            .then(|| (h.name.clone(), h.chomped_content()))
    });
    let network = match network_mode(sh, run) {
        Ok(n) => n,
        Err(m) => return Err(fail(step, file, cmd, m)),
    };
    let mut why = vec![format!("instruction: {}", cmd.location.original)];
    for (k, v) in st.visible_args() {
        why.push(format!("ARG {k}: {v}"));
    }
    let mut mount_keys = Vec::new();
    for m in &run.mounts {
        match mounts::mount_key(sh, stage, m) {
            Ok(k) => mount_keys.push(k),
            Err(e) => return Err(fail(step, file, cmd, e.to_string())),
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
    let process = StepProcess {
        env: process_env(st, &sh.opts.build_args),
        user: st.image.config.user.clone().unwrap_or_default(),
        cwd: (st.image.config.working_dir.clone())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "/".into()),
        args,
        script,
        network,
    };
    run_on_miss(sh, stage, st, run, &key, &why.join("\n"), process, step)
}

/// The step's error at its instruction, reported on its progress line.
fn fail(step: StepHandle, file: &str, cmd: &Command, message: String) -> BuildError {
    let e = at(file, &cmd.location, message);
    step.error(&e.to_string());
    e
}

/// `--network` (else the build's): default/bridge, host or none.
fn network_mode(sh: &Shared, run: &Run) -> std::result::Result<&'static str, String> {
    match run
        .network
        .clone()
        .or_else(|| sh.opts.network.clone())
        .as_deref()
    {
        None | Some("default") | Some("bridge") => Ok("bridge"),
        Some("host") => Ok("host"),
        Some("none") => Ok("none"),
        Some(other) => Err(format!("unsupported network mode {other:?}")),
    }
}

/// The process a RUN step runs.
struct StepProcess {
    args: Vec<String>,
    /// A single heredoc run as a script: its name and body.
    script: Option<(String, String)>,
    env: Vec<String>,
    user: String,
    cwd: String,
    network: &'static str,
}

/// Answers the step from the cache under `key`, or runs it on a snapshot.
#[allow(clippy::too_many_arguments)]
fn run_on_miss(
    sh: &Shared,
    stage: &Stage,
    st: &mut StageState,
    run: &Run,
    key: &str,
    why: &str,
    process: StepProcess,
    mut step: StepHandle,
) -> Result<bool> {
    let shown = process.args.join(" ");
    let result = layer_step_with(sh, st, key, &mut step, why, false, |snap, step| {
        let work = snap.dir.join("run");
        fs::create_dir_all(&work).map_err(io_err("create", &work))?;
        let mut prepared = mounts::Prepared {
            mounts: Vec::new(),
            env: process.env,
            holders: Vec::new(),
        };
        if let Some((name, body)) = &process.script {
            prepared.mounts.push(script_mount(&work, name, body)?);
        }
        for (i, m) in run.mounts.iter().enumerate() {
            mounts::prepare_mount(sh, stage, m, &work, i, &mut prepared)?;
        }
        let req = RunStep {
            rootfs: snap.rootfs.clone(),
            work: work.clone(),
            args: process.args,
            env: prepared.env,
            cwd: process.cwd,
            user: process.user,
            network: process.network.into(),
            mounts: prepared.mounts,
        };
        let stubs = stubs::missing_targets(&snap.rootfs, &req.mounts);
        let code = sh
            .runner
            .run(&req, &mut |b| step.output(b))
            .map_err(BuildError::Runner)?;
        stubs::remove_stubs(&snap.rootfs, &stubs);
        drop(prepared.holders);
        if code != 0 {
            return Err(BuildError::RunFailed {
                command: shown.clone(),
                code,
            });
        }
        Ok(())
    });
    step.finish(result)
}

/// Writes a single-heredoc script (mode 0755) under `work` and mounts it at [`PIPES_DIR`].
fn script_mount(work: &Path, name: &str, body: &str) -> Result<StepMount> {
    let dir = work.join("pipes");
    fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
    let path = dir.join(name);
    fs::write(&path, body).map_err(io_err("write", &path))?;
    set_mode(&path, 0o755)?;
    Ok(StepMount::Bind {
        source: dir,
        target: PIPES_DIR.into(),
        readonly: true,
    })
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

/// Sets `path`'s permission bits.
fn set_mode(path: &std::path::Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(io_err("chmod", path))
}
