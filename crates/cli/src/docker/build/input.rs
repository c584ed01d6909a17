//! What `build` reads before building: the context (a directory, or a tar on stdin), the
//! Dockerfile (from the context, a path, or stdin) and the .dockerignore.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _};
use berth_build::context::StdinContext;
use berth_dockerfile::dockerignore::{select_ignore_file, DockerIgnore};

use super::super::args::BuildArgs;

/// The build context: its directory, and for a tar on stdin (`-`) the unpacked tar (kept
/// until the build ends) and the Dockerfile it may carry.
pub(super) struct BuildContext {
    pub dir: PathBuf,
    dockerfile: Option<Vec<u8>>,
    stdin: Option<StdinContext>,
}

impl BuildContext {
    /// Whether this is an unpacked tar from stdin (removed after the build).
    pub fn is_stdin(&self) -> bool {
        self.stdin.is_some()
    }
}

/// The Dockerfile: its bytes, its name for the build, and its path when read from a file.
pub(super) struct Dockerfile {
    pub bytes: Vec<u8>,
    pub name: String,
    pub path: Option<PathBuf>,
}

/// The context argument: `-` reads a tar from stdin; otherwise a directory.
pub(super) fn read_context(a: &BuildArgs) -> anyhow::Result<BuildContext> {
    if a.context == "-" {
        let mut ctx = StdinContext::read(io::stdin().lock())
            .map_err(|e| anyhow!("unable to prepare context: {e}"))?;
        for w in ctx.warnings() {
            eprintln!("WARNING: {w}");
        }
        return Ok(BuildContext {
            dir: ctx.dir().to_path_buf(),
            dockerfile: ctx.take_dockerfile(),
            stdin: Some(ctx),
        });
    }
    let dir = Path::new(&a.context)
        .canonicalize()
        .map_err(|_| anyhow!("unable to prepare context: path {:?} not found", a.context))?;
    if !dir.is_dir() {
        bail!(
            "unable to prepare context: {:?} is not a directory",
            a.context
        );
    }
    Ok(BuildContext {
        dir,
        dockerfile: None,
        stdin: None,
    })
}

/// The Dockerfile: `-f -` from stdin (not with a stdin context), one the stdin context
/// carried, `-f PATH` (inside a stdin context), or the context's `Dockerfile`.
pub(super) fn read_dockerfile(a: &BuildArgs, ctx: &mut BuildContext) -> anyhow::Result<Dockerfile> {
    let mut bytes = ctx.dockerfile.take();
    let mut path: Option<PathBuf> = None;
    let name = match a.file.as_deref() {
        Some("-") => {
            if ctx.stdin.is_some() {
                bail!("invalid argument: can't use stdin for both build context and dockerfile");
            }
            let mut b = Vec::new();
            io::stdin()
                .lock()
                .read_to_end(&mut b)
                .context("read the Dockerfile from stdin")?;
            bytes = Some(b);
            "Dockerfile".to_string()
        }
        Some(f) => {
            path = Some(if a.context == "-" {
                ctx.dir.join(f)
            } else {
                PathBuf::from(f)
            });
            f.to_string()
        }
        None => "Dockerfile".to_string(),
    };
    let bytes = match bytes {
        Some(b) => b,
        None => {
            let p = path.clone().unwrap_or_else(|| ctx.dir.join("Dockerfile"));
            fs::read(&p).map_err(|e| {
                anyhow!(
                    "failed to read dockerfile: open {}: {}",
                    p.display(),
                    io_message(&e)
                )
            })?
        }
    };
    Ok(Dockerfile { bytes, name, path })
}

/// An I/O error as Go words it.
fn io_message(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        _ => e.to_string(),
    }
}

/// `<Dockerfile>.dockerignore` next to the Dockerfile, else the context's `.dockerignore`.
pub(crate) fn read_ignore(
    context: &Path,
    dockerfile: Option<&Path>,
) -> anyhow::Result<Option<DockerIgnore>> {
    let df = dockerfile
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| context.join("Dockerfile").display().to_string());
    let chosen = select_ignore_file(&df, |n| {
        let p = if n == ".dockerignore" {
            context.join(n)
        } else {
            PathBuf::from(n)
        };
        fs::read_to_string(p).ok()
    });
    match chosen {
        None => Ok(None),
        Some((file, text)) => Ok(Some(
            DockerIgnore::parse(&text).map_err(|e| anyhow!("{file}: {e}"))?,
        )),
    }
}
