//! The executor (`berth_build::exec`) driven through a fake [`Runner`]: no runtime, no mounts,
//! no database. Snapshots are plain directories whose upper dir is the root a step writes to
//! (lower layers are not visible), RUN steps are scripted, the cache is a map, and commits are
//! recorded. What it shows: steps run in order, scripted RUN output becomes layers, the cache
//! skips work on a second build, failures carry their place and their source, and only the
//! stages a target needs run.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use berth_build::exec::{build, BuildInput};
use berth_build::progress::{Progress, ProgressMode};
use berth_build::runner::{BaseImage, RunStep, Runner, RunnerError, RunnerResult};
use berth_build::{BuildError, BuildOptions};
use berth_store::layers::LayerStore;
use berth_store::oci::{Descriptor, ImageConfig};
use berth_store::BlobStore;

/// A RUN script: what a step's argv makes it do (write files, exit with a code).
type Script = dyn Fn(&RunStep) -> RunnerResult<i32> + Sync;

/// One recorded commit: the config, the layers and the tags.
type Commit = (ImageConfig, Vec<Descriptor>, Vec<String>);

/// An engine stand-in that records what the executor asks of it.
struct FakeRunner {
    blobs: BlobStore,
    layers: LayerStore,
    scratch: PathBuf,
    next_scratch: AtomicUsize,
    cache: Mutex<HashMap<String, String>>,
    runs: Mutex<Vec<Vec<String>>>,
    envs: Mutex<Vec<Vec<String>>>,
    commits: Mutex<Vec<Commit>>,
    images: Vec<String>,
    script: Box<Script>,
}

/// The error a fake engine fails with, to check that sources survive the executor.
#[derive(Debug, thiserror::Error)]
#[error("the fake engine refused: {0}")]
struct FakeError(String);

impl FakeRunner {
    fn new(root: &Path, script: Box<Script>) -> FakeRunner {
        FakeRunner {
            blobs: BlobStore::open(&root.join("store")).unwrap(),
            layers: LayerStore::open(&root.join("layers")).unwrap(),
            scratch: root.join("scratch"),
            next_scratch: AtomicUsize::new(0),
            cache: Mutex::new(HashMap::new()),
            runs: Mutex::new(Vec::new()),
            envs: Mutex::new(Vec::new()),
            commits: Mutex::new(Vec::new()),
            images: vec!["base".into()],
            script,
        }
    }

    fn runs(&self) -> Vec<Vec<String>> {
        self.runs.lock().unwrap().clone()
    }

    fn last_commit(&self) -> Commit {
        self.commits.lock().unwrap().last().cloned().unwrap()
    }
}

impl Runner for FakeRunner {
    fn image(&self, reference: &str) -> RunnerResult<BaseImage> {
        if !self.images.iter().any(|i| i == reference) {
            return Err(Box::new(FakeError(format!("no image {reference}"))));
        }
        let config = ImageConfig {
            architecture: "amd64".into(),
            os: "linux".into(),
            ..ImageConfig::default()
        };
        Ok(BaseImage {
            id: format!("{:0>64}", 1),
            config,
            created_secs: 0,
            layers: Vec::new(),
        })
    }

    fn mount(&self, dir: &Path, lowers: &[PathBuf], readonly: bool) -> RunnerResult<PathBuf> {
        if readonly {
            // A read-only view: the layers merged by copying, bottom first.
            let merged = dir.join("merged");
            fs::create_dir_all(&merged)?;
            for lower in lowers {
                copy_tree(lower, &merged)?;
            }
            return Ok(merged);
        }
        let root = dir.join("upper");
        fs::create_dir_all(&root)?;
        Ok(root)
    }

    fn unmount(&self, _dir: &Path) -> RunnerResult<()> {
        Ok(())
    }

    fn run(&self, step: &RunStep, output: &mut dyn FnMut(&[u8])) -> RunnerResult<i32> {
        self.runs.lock().unwrap().push(step.args.clone());
        self.envs.lock().unwrap().push(step.env.clone());
        output(format!("ran {}\n", step.args.join(" ")).as_bytes());
        (self.script)(step)
    }

    fn cache_get(&self, key: &str) -> Option<String> {
        self.cache.lock().unwrap().get(key).cloned()
    }

    fn cache_put(&self, key: &str, value: &str) -> RunnerResult<()> {
        self.cache
            .lock()
            .unwrap()
            .insert(key.to_string(), value.to_string());
        Ok(())
    }

    fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    fn layers(&self) -> &LayerStore {
        &self.layers
    }

    fn scratch_dir(&self) -> RunnerResult<PathBuf> {
        let n = self.next_scratch.fetch_add(1, Ordering::SeqCst);
        let dir = self.scratch.join(n.to_string());
        fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    fn cache_mount_dir(&self, id: &str) -> RunnerResult<PathBuf> {
        let dir = self.scratch.join("cache-mounts").join(id);
        fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    fn rfc3339(&self, secs: i64) -> String {
        format!("@{secs}")
    }

    fn commit(
        &self,
        config: &ImageConfig,
        layers: &[Descriptor],
        tags: &[String],
    ) -> RunnerResult<(String, Vec<String>)> {
        self.commits
            .lock()
            .unwrap()
            .push((config.clone(), layers.to_vec(), tags.to_vec()));
        Ok((
            format!("{:0>64}", self.commits.lock().unwrap().len()),
            tags.to_vec(),
        ))
    }
}

/// Copies the regular files and directories of `from` into `to` (enough for the tests' trees).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            fs::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else if entry.file_type()?.is_file() {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// A script that, for `touch NAME`, writes NAME into the step's root and succeeds; `fail N`
/// exits with N; `refuse` is an engine error; anything else succeeds writing nothing.
fn touch_script() -> Box<Script> {
    Box::new(|step: &RunStep| {
        let cmd = step.args.last().cloned().unwrap_or_default();
        let words: Vec<&str> = cmd.split_whitespace().collect();
        match words.as_slice() {
            ["touch", name] => {
                fs::write(step.rootfs.join(name), b"x")?;
                Ok(0)
            }
            ["fail", code] => Ok(code.parse().unwrap_or(1)),
            ["refuse"] => Err(Box::new(FakeError("no runtime".into())) as RunnerError),
            _ => Ok(0),
        }
    })
}

fn run_build(
    runner: &FakeRunner,
    context: &Path,
    dockerfile: &str,
    opts: &BuildOptions,
) -> berth_build::Result<String> {
    let progress = Progress::new(ProgressMode::Quiet, Box::new(std::io::sink()));
    let input = BuildInput {
        dockerfile: dockerfile.as_bytes(),
        context,
        ignore: None,
        hash_cache: None,
    };
    build(input, opts, runner, &progress).map(|r| r.image_id)
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let context = dir.path().join("context");
    fs::create_dir_all(&context).unwrap();
    fs::write(context.join("app.txt"), b"hello").unwrap();
    (dir, context)
}

#[test]
fn runs_steps_in_order_and_commits_their_layers() {
    let (dir, context) = setup();
    let r = FakeRunner::new(dir.path(), touch_script());
    let df = "FROM base\nRUN touch one\nCOPY app.txt /app.txt\nRUN touch two\nCMD [\"x\"]\n";
    run_build(&r, &context, df, &BuildOptions::default()).unwrap();
    let runs = r.runs();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[0], ["/bin/sh", "-c", "touch one"]);
    assert_eq!(runs[1], ["/bin/sh", "-c", "touch two"]);
    let (config, layers, _) = r.last_commit();
    assert_eq!(layers.len(), 3, "two RUN layers and a COPY layer");
    assert_eq!(config.rootfs.diff_ids.len(), 3);
    assert_eq!(config.config.cmd, Some(vec!["x".to_string()]));
    for l in &layers {
        assert!(r.blobs.exists(&l.digest), "layer blob {} stored", l.digest);
    }
}

#[test]
fn a_second_build_comes_from_the_cache_and_no_cache_runs_again() {
    let (dir, context) = setup();
    let r = FakeRunner::new(dir.path(), touch_script());
    let df = "FROM base\nARG V=1\nRUN touch one-$V\nCOPY app.txt /\n";
    let first = run_build(&r, &context, df, &BuildOptions::default()).unwrap();
    let second = run_build(&r, &context, df, &BuildOptions::default()).unwrap();
    assert_eq!(r.runs().len(), 1, "the second build ran nothing");
    let (first_layers, second_layers) = {
        let c = r.commits.lock().unwrap();
        (c[0].1.clone(), c[1].1.clone())
    };
    assert_eq!(first_layers, second_layers);
    assert_ne!(first, second, "the fake numbers its commits");

    let mut changed = BuildOptions::default();
    changed.build_args.insert("V".into(), "2".into());
    run_build(&r, &context, df, &changed).unwrap();
    assert_eq!(r.runs().len(), 2, "a changed ARG misses");
    let env = r.envs.lock().unwrap().last().cloned().unwrap();
    assert!(
        env.contains(&"V=2".to_string()),
        "the ARG reaches RUN: {env:?}"
    );

    let no_cache = BuildOptions {
        no_cache: true,
        ..BuildOptions::default()
    };
    run_build(&r, &context, df, &no_cache).unwrap();
    assert_eq!(r.runs().len(), 3);
}

#[test]
fn a_changed_context_file_misses_the_copy_and_what_follows() {
    let (dir, context) = setup();
    let r = FakeRunner::new(dir.path(), touch_script());
    let df = "FROM base\nRUN touch before\nCOPY app.txt /\nRUN touch after\n";
    run_build(&r, &context, df, &BuildOptions::default()).unwrap();
    fs::write(context.join("app.txt"), b"changed").unwrap();
    run_build(&r, &context, df, &BuildOptions::default()).unwrap();
    let runs: Vec<String> = r.runs().iter().map(|a| a[2].clone()).collect();
    assert_eq!(runs, ["touch before", "touch after", "touch after"]);
}

#[test]
fn a_failing_run_names_its_command_and_exit_code() {
    let (dir, context) = setup();
    let r = FakeRunner::new(dir.path(), touch_script());
    let err = run_build(
        &r,
        &context,
        "FROM base\nRUN fail 3\n",
        &BuildOptions::default(),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("exit code: 3"), "{text}");
    assert!(r.commits.lock().unwrap().is_empty(), "nothing committed");
}

#[test]
fn an_engine_error_keeps_its_place_and_its_source() {
    let (dir, context) = setup();
    let r = FakeRunner::new(dir.path(), touch_script());
    let err = run_build(
        &r,
        &context,
        "FROM nope\nRUN true\n",
        &BuildOptions::default(),
    )
    .unwrap_err();
    match &err {
        BuildError::RunnerAt { line, source, .. } => {
            assert_eq!(*line, 1);
            assert!(source.downcast_ref::<FakeError>().is_some(), "{source:?}");
        }
        other => panic!("expected RunnerAt, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("no image nope") && text.contains(">>> FROM nope"),
        "{text}"
    );

    let err = run_build(
        &r,
        &context,
        "FROM base\nRUN refuse\n",
        &BuildOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("no runtime"), "{err}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        if s.downcast_ref::<FakeError>().is_some() {
            return;
        }
        source = s.source();
    }
    panic!("the engine's error is not among the sources of {err:?}");
}

#[test]
fn only_the_stages_the_target_needs_run() {
    let (dir, context) = setup();
    let r = FakeRunner::new(dir.path(), touch_script());
    let df = "FROM base AS a\nRUN touch a\n\
              FROM base AS unused\nRUN touch unused\n\
              FROM base AS b\nCOPY --from=a /a /from-a\nRUN touch b\n\
              FROM base AS last\nRUN touch last\n";
    let opts = BuildOptions {
        target: Some("b".into()),
        ..BuildOptions::default()
    };
    run_build(&r, &context, df, &opts).unwrap();
    let mut runs: Vec<String> = r.runs().iter().map(|a| a[2].clone()).collect();
    runs.sort();
    assert_eq!(runs, ["touch a", "touch b"]);
    let (_, layers, _) = r.last_commit();
    assert_eq!(layers.len(), 2, "COPY --from a's file, then RUN touch b");
}

#[test]
fn an_unknown_target_is_a_clear_error_before_anything_runs() {
    let (dir, context) = setup();
    let r = FakeRunner::new(dir.path(), touch_script());
    let opts = BuildOptions {
        target: Some("missing".into()),
        ..BuildOptions::default()
    };
    let err = run_build(&r, &context, "FROM base AS a\nRUN touch a\n", &opts).unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
    assert!(r.runs().is_empty());
}
